"""Registers the example space with NAS Kernel. A lazy reference: listing plugins never imports torch."""
from nas_kernel import hookimpl


@hookimpl
def register_search_spaces(register):
    register("example_mlp", "nas_example_space.space:MLPSearchSpace")
