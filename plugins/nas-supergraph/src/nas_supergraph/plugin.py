"""Registers the supergraph ops, the one-shot searchers, the cell search space and the
final-training evaluator with NAS Kernel. Lazy references only: nothing here imports torch."""
from nas_kernel import hookimpl

#: the one table of this package's ops: registry name -> lazy factory reference. Registered below and
#: read by ``nas_supergraph.op_lookup`` (so a model of these ops builds without a plugin manager)
OPS = {
    "none": "nas_supergraph.operations:make_zero",
    "identity": "nas_supergraph.operations:make_identity",
    "max_pool_3x3": "nas_supergraph.operations:make_max_pool_3x3",
    "avg_pool_3x3": "nas_supergraph.operations:make_avg_pool_3x3",
    "skip_connect": "nas_supergraph.operations:make_skip_connect",
    "sep_conv_3x3": "nas_supergraph.operations:make_sep_conv_3x3",
    "sep_conv_5x5": "nas_supergraph.operations:make_sep_conv_5x5",
    "sep_conv_7x7": "nas_supergraph.operations:make_sep_conv_7x7",
    "dil_conv_3x3": "nas_supergraph.operations:make_dil_conv_3x3",
    "dil_conv_5x5": "nas_supergraph.operations:make_dil_conv_5x5",
    "conv_7x1_1x7": "nas_supergraph.operations:make_fac_conv_7x1_1x7",
    "convbnrelu_3x3": "nas_supergraph.operations:make_convbnrelu_3x3",
    "convbnrelu_1x1": "nas_supergraph.operations:make_convbnrelu_1x1",
    "prepr_normal": "nas_supergraph.operations:make_prepr_normal",
    "prepr_reduce": "nas_supergraph.operations:make_prepr_reduce",
    "stem_conv3x3": "nas_supergraph.operations:make_stem_conv3x3",
    "stem_conv3x3Relu": "nas_supergraph.operations:make_stem_conv3x3_relu",
    "stem_conv3x3_s4": "nas_supergraph.operations:make_stem_conv3x3_s4",
    "stem_conv3x3_s4s2": "nas_supergraph.operations:make_stem_conv3x3_s4s2",
    "pool_adaptive_avg2d": "nas_supergraph.operations:make_pool_adaptive_avg2d",
    "pool_avg2d7x7": "nas_supergraph.operations:make_pool_avg2d7x7",
    "pool_mean_tensor": "nas_supergraph.operations:make_pool_mean_tensor",
    "linear": "nas_supergraph.operations:make_linear",
    "concate_channels": "nas_supergraph.operations:make_concate_channels",
    "proj_channels": "nas_supergraph.operations:make_proj_channels",
    "multi_op": "nas_supergraph.operations:make_multi_op",
    "mixed_op": "nas_supergraph.mixed_op:make_mixed_op",
}


@hookimpl
def register_ops(register):
    for name, ref in OPS.items():
        register(name, ref)


@hookimpl
def register_searchers(register):
    register("darts", "nas_supergraph.one_shot:DartsSearcher")
    register("gdas", "nas_supergraph.one_shot:GdasSearcher")


@hookimpl
def register_search_spaces(register):
    register("darts_cells", "nas_supergraph.search_space:DartsCellSpace")


@hookimpl
def on_search_end(searcher, results):
    """Print the cell a one-shot search found (also in ``OUTPUT_DIR/final_model_desc.yaml``)."""
    desc = getattr(searcher, "final_desc", None)
    algorithm = getattr(searcher, "algorithm", None)
    if desc is None or algorithm is None:
        return
    import click

    click.echo(f"\n{algorithm} genotype (node: [op, input] per edge; inputs 0 and 1 are the cell's two inputs):")
    for cell_type, nodes in desc.genotype().items():
        edges = "; ".join(f"node {i + 2}: " + ", ".join(f"{op} <- {src}" for op, src in node)
                          for i, node in enumerate(nodes))
        click.echo(f"  {cell_type}: {edges}")
    click.echo("Train and export it: nas train-best " + str(getattr(searcher, "output_dir", "OUTPUT_DIR")))


@hookimpl
def register_evaluators(register):
    register("final_training", "nas_supergraph.final_training:FinalTraining")
