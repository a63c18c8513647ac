"""``nas latency-table build EXPERIMENT.yaml -o TABLE``: time the experiment's space on this device."""
from __future__ import annotations

import click


def add_commands(cli) -> None:
    @cli.group(name="latency-table")
    def latency_table_group():
        """Per-block latency tables, built on the device the networks will run on."""

    @latency_table_group.command(name="build")
    @click.argument("experiment", type=click.Path(dir_okay=False))
    @click.option("-o", "--output", "output", required=True, type=click.Path(dir_okay=False),
                  help="Where to write the table (JSON).")
    @click.option("--device", default="cpu", show_default=True, help="cpu, cuda, cuda:N or auto.")
    @click.option("--runtime", type=click.Choice(["torch", "onnxruntime"]), default="torch", show_default=True,
                  help="Eager PyTorch or ONNX Runtime.")
    @click.option("--threads", type=click.IntRange(min=1), default=1, show_default=True,
                  help="Intra-op threads while timing.")
    @click.option("--batch-size", type=click.IntRange(min=1), default=1, show_default=True)
    @click.option("--warmups", type=click.IntRange(min=0), default=3, show_default=True)
    @click.option("--samples", type=click.IntRange(min=1), default=15, show_default=True,
                  help="Timed runs per block.")
    @click.option("--statistic", type=click.Choice(["median", "min"]), default="median", show_default=True)
    @click.option("--clock", type=click.Choice(["wall", "thread_cpu"]), default="wall", show_default=True,
                  help="thread_cpu: the timing thread's CPU time (one CPU thread; for machines other jobs share).")
    @click.option("--calibration", type=click.IntRange(min=0), default=8, show_default=True,
                  help="Random architectures timed end to end to measure the fixed part.")
    @click.option("--rounds", type=click.IntRange(min=1), default=None,
                  help="Least number of interleaved rounds (each times every block and calibration network "
                       "in turn)  [default: the table builder's]")
    @click.option("--seconds", type=click.FloatRange(min=0), default=None,
                  help="Keep timing rounds until this many seconds have passed  [default: 2 per timed run]")
    @click.option("-q", "--quiet", is_flag=True, help="No progress bar.")
    def build_command(experiment, output, device, runtime, threads, batch_size, warmups, samples, statistic,
                      clock, calibration, rounds, seconds, quiet):
        """Time every distinct block of EXPERIMENT's search space on this device and write TABLE."""
        from nas_kernel.cli_exit import fail
        from nas_kernel.experiment.errors import ConfigError
        from nas_edge.block_contract import require_block_listing
        from nas_edge.latency_table import build_table, save_table
        from nas_edge.space_record import space_from_experiment
        from nas_edge.timing import TimingSettings

        manager = click.get_current_context().find_root().obj
        try:
            settings = TimingSettings.checked(device, runtime, threads, batch_size, warmups, samples, statistic,
                                              clock)
            space, record = space_from_experiment(experiment, manager)
            require_block_listing(space, record["name"])
        except (ConfigError, ValueError, FileNotFoundError) as exc:
            fail(str(exc))
        bar = None
        if not quiet:
            from tqdm import tqdm

            bar = tqdm(total=len(space.latency_block_universe()) + calibration, unit="block", file=click.get_text_stream("stderr"))

        def progress(done, total):
            if bar is not None:
                bar.update(done - bar.n)

        try:
            table = build_table(space, record, settings, calibration=calibration, rounds=rounds, seconds=seconds,
                                progress=progress)
        finally:
            if bar is not None:
                bar.close()
        save_table(table, output)
        click.echo(f"{output}: {len(table['blocks'])} blocks, fixed part {table['fixed_ms']:.3f} ms, "
                   f"{settings.runtime} on {settings.device} ({table['device']['name']}), {settings.threads} "
                   f"thread(s), built in {table['build_seconds']:.1f} s")
