"""`ArchModule` under the module name the supergraph API uses (defined in `nas_supergraph.arch_params`)."""
from nas_supergraph.arch_params import ArchModule

__all__ = ["ArchModule"]
