"""`Cell` under the module name the supergraph API uses (defined in `nas_supergraph.model`)."""
from nas_supergraph.model import Cell

__all__ = ["Cell"]
