"""Registers the edge plugin's space, evaluators and the ``latency-table`` command (lazy
references: importing this module imports no torch)."""
from nas_kernel import hookimpl

SEARCH_SPACES = {
    "mobilenet": "nas_edge.mobilenet_space:MobileNetSearchSpace",
}


@hookimpl
def register_search_spaces(register):
    for name, ref in SEARCH_SPACES.items():
        register(name, ref)
