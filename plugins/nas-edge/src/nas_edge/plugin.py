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


EVALUATORS = {
    "latency_table": "nas_edge.latency_table_evaluator:LatencyTableEvaluator",
    "command_latency": "nas_edge.command_latency:CommandLatency",
    "int8": "nas_edge.int8_evaluator:Int8Cost",
    "supernet": "nas_edge.supernet.evaluator:SupernetEvaluator",
}


@hookimpl
def register_evaluators(register):
    for name, ref in EVALUATORS.items():
        register(name, ref)


@hookimpl
def register_commands(cli):
    from nas_edge.latency_table_command import add_commands
    from nas_edge.supernet.command import add_commands as add_supernet_commands

    add_commands(cli)
    add_supernet_commands(cli)
