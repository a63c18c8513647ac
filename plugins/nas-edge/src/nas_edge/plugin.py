"""Registers the edge plugin's space, evaluators, the ``latency-table`` and ``supernet``
commands, and the conformance check of its block contract (lazy references: importing this
module imports no torch)."""
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


@hookimpl
def conformance_checks(component):
    from nas_edge.block_contract import check_keeps_latency_block_contract, takes_part

    if takes_part(component):
        return [check_keeps_latency_block_contract]
