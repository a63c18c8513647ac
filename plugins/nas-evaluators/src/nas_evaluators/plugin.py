"""Registers this distribution's evaluators with NAS Kernel (lazy references: no torch here)."""
from nas_kernel import hookimpl

EVALUATORS = {
    "function": "nas_evaluators.function:EvaluationFunction",
    "num_params": "nas_evaluators.num_params:TorchNumParameters",
    "flops": "nas_evaluators.flops:TorchFlops",
    "macs": "nas_evaluators.flops:TorchMacs",
    "latency": "nas_evaluators.latency:TorchLatency",
    "cpu_latency": "nas_evaluators.latency:TorchLatency",  # the older name of ``latency``
    "peak_memory": "nas_evaluators.memory:TorchPeakCpuMemory",
    "onnx_latency": "nas_evaluators.onnx_latency:AvgOnnxLatency",
    "partial_training": "nas_evaluators.training:PartialTraining",
    "synflow": "nas_evaluators.zero_cost:Synflow",
    "naswot": "nas_evaluators.zero_cost:Naswot",
    "grad_norm": "nas_evaluators.zero_cost:GradNorm",
    "snip": "nas_evaluators.zero_cost:Snip",
    "jacov": "nas_evaluators.zero_cost:Jacov",
    "process_pool": "nas_evaluators.process_pool:ProcessPoolEvaluator",
    "ray": "nas_evaluators.ray_evaluator:RayParallelEvaluator",
}


@hookimpl
def register_evaluators(register):
    for name, ref in EVALUATORS.items():
        register(name, ref)


@hookimpl
def register_commands(cli):
    import click

    @cli.command(name="train-best")
    @click.argument("directory", type=click.Path(file_okay=False, exists=True))
    @click.option("--epochs", type=click.IntRange(min=1), default=20, show_default=True)
    @click.option("--top", type=click.IntRange(min=1), default=1, show_default=True,
                  help="How many of the best Pareto models to train.")
    @click.option("--objective", default=None,
                  help="Rank the front by this objective, any of the run's (default: the trained one); the "
                       "models are trained by the run's training evaluator either way.")
    @click.option("--no-onnx", is_flag=True, help="Skip the ONNX export.")
    @click.option("--device", default=None,
                  help="auto, cpu, cuda or cuda:N (default: the device the run's partial_training used).")
    @click.option("--continue", "continue_", is_flag=True,
                  help="Continue from the weights the search trained (its partial_training checkpoint_dir) "
                       "for --epochs more epochs, instead of retraining from scratch.")
    def train_best_command(directory, epochs, top, objective, no_onnx, device, continue_):
        """Retrain or continue the best Pareto models of a run; save weights, arch and ONNX."""
        from nas_evaluators.train_best import train_best
        from nas_kernel.experiment.errors import ConfigError

        manager = click.get_current_context().find_root().obj
        try:
            records = train_best(directory, manager, epochs=epochs, top=top, objective=objective,
                                 onnx=not no_onnx, echo=click.echo, device=device, continue_training=continue_)
        except (ConfigError, ValueError, FileNotFoundError) as exc:
            click.echo(f"nas: error: {exc}", err=True)
            raise SystemExit(2)
        for record in records:
            click.echo(", ".join(f"{k}: {v}" for k, v in record.items()))
