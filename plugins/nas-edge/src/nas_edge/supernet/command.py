"""``nas supernet train EXPERIMENT.yaml -o DIR``: train the experiment's supernet once.

What is trained comes from the experiment: its search space (a ``mobilenet`` space, with the sizes
its data gives) and its ``supernet`` objective (the dataset and the training settings, the same
parameters the ``supernet`` evaluator later checks the trained supernet against). Started again
with the same command after a kill, training resumes from the folder's last checkpoint.
"""
from __future__ import annotations

import click

EVALUATOR = "supernet"


def find_objective(spec):
    """``(key, evaluator component)`` of the experiment's ``supernet`` evaluator, looking into
    wrappers (``process_pool``, ``ray``); ``(None, None)`` when there is none."""
    def look(comp, key, depth=0):
        if not isinstance(comp, dict) or depth > 8:
            return None
        if comp.get("name") == EVALUATOR:
            return key, comp
        for pname, value in (comp.get("params") or {}).items():
            found = look(value, f"{key}.params.{pname}", depth + 1)
            if found:
                return found
        return None

    for i, objective in enumerate(spec.get("objectives") or []):
        found = look(objective.get("evaluator"), f"objectives[{i}].evaluator")
        if found:
            return found
    return None, None


def prepare(experiment: str, manager, device=None):
    """``(space, record, provider, settings)`` from the experiment file (ConfigError on bad input)."""
    import inspect

    from nas_kernel.experiment.component_builder import ComponentBuilder
    from nas_kernel.experiment.errors import ConfigError
    from nas_kernel.data_fit import data_sizes
    from nas_edge.space_record import build_space, read_spec, space_record
    from nas_edge.supernet.evaluator import SupernetEvaluator
    from nas_edge.supernet.settings import SupernetSettings

    spec, source = read_spec(experiment)
    key, comp = find_objective(spec)
    if comp is None:
        raise ConfigError("no objective uses the supernet evaluator (evaluator: {name: supernet, params: {path: DIR, "
                          "...}}); its parameters say how to train the supernet", source=source, key="objectives")
    params = dict(comp.get("params") or {})
    accepted = inspect.signature(SupernetEvaluator).parameters
    for name in params:
        if name not in accepted:
            raise ConfigError(f"unknown parameter of evaluator 'supernet'; its parameters are: {', '.join(accepted)}",
                              source=source, key=f"{key}.params.{name}")
    builder = ComponentBuilder(manager, source, spec["seed"], base_dir=spec.get("base_dir"))
    provider = None
    if isinstance(params.get("dataset"), dict):
        provider = builder.component("datasets", params["dataset"], f"{key}.params.dataset")
    else:
        from nas_kernel.components import build_component

        provider = build_component("datasets", "digits", seed=spec["seed"], manager=manager)
    fields = {f for f in SupernetSettings.__dataclass_fields__}
    given = {k: v for k, v in params.items() if k in fields}
    given.setdefault("seed", spec["seed"])
    if device is not None:
        given["device"] = device
    try:
        settings = SupernetSettings.checked(**given)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"evaluator 'supernet' refused its parameters: {exc}", source=source,
                          key=f"{key}.params") from None
    record = space_record(spec, data_sizes(provider))
    space = build_space(record, manager, source)
    if not hasattr(space, "choices") or not hasattr(space.choices, "table"):
        raise ConfigError(f"search space {record['name']!r} is not a mobilenet space; the supernet covers the "
                          "mobilenet space only", source=source, key="search_space.name")
    return space, record, provider, settings


def add_commands(cli) -> None:
    @cli.group(name="supernet")
    def supernet_group():
        """A weight-sharing supernet of the mobilenet space: train once, score any sub-network."""

    @supernet_group.command(name="train")
    @click.argument("experiment", type=click.Path(dir_okay=False))
    @click.option("-o", "--output", "output", required=True, type=click.Path(file_okay=False),
                  help="The supernet's folder (the supernet evaluator's path).")
    @click.option("--device", default=None, help="auto, cpu, cuda or cuda:N (default: the experiment's).")
    @click.option("-q", "--quiet", is_flag=True, help="No progress bar.")
    def train_command(experiment, output, device, quiet):
        """Train the supernet of EXPERIMENT's space with its supernet objective's settings into
        OUTPUT; run it again after an interruption to resume."""
        from nas_kernel.cli_exit import fail
        from nas_kernel.experiment.errors import ConfigError
        from nas_edge.supernet.trainer import train_supernet

        manager = click.get_current_context().find_root().obj
        try:
            space, record, provider, settings = prepare(experiment, manager, device)
        except (ConfigError, ValueError, FileNotFoundError) as exc:
            fail(str(exc))
        bar = None
        if not quiet:
            from tqdm import tqdm

            bar = tqdm(unit="step", file=click.get_text_stream("stderr"), desc="supernet")

        def progress(done, total, info):
            if bar is not None:
                bar.total = total
                bar.update(done - bar.n)
                bar.set_postfix(info, refresh=False)

        try:
            meta = train_supernet(space, provider, settings, output, space_record=record, progress=progress,
                                  echo=click.echo)
        except (ValueError, FileNotFoundError) as exc:
            if bar is not None:
                bar.close()
            fail(str(exc))
        if bar is not None:
            bar.close()
        last = (meta.get("history") or [{}])[-1]
        click.echo(f"{output}: supernet trained for {meta.get('epochs')} epochs ({meta.get('steps')} steps) on "
                   f"{meta.get('device')} in {meta.get('train_seconds')} s; validation accuracy "
                   f"largest {last.get('val_acc_largest')}, smallest {last.get('val_acc_smallest')} "
                   "(batch norm recalibrated)")
