"""Adds ``nas results serve`` to the kernel's ``results`` group (cheap to import: no server here)."""
from nas_kernel import hookimpl


@hookimpl
def register_commands(cli):
    import click

    results = cli.commands.get("results")
    if not isinstance(results, click.Group):
        raise RuntimeError("the kernel has no 'nas results' group to add 'serve' to")

    @results.command(name="serve")
    @click.argument("directories", nargs=-1, required=True, type=click.Path(file_okay=False))
    @click.option("--port", type=click.IntRange(0, 65535), default=8765, show_default=True,
                  help="TCP port (0: any free port).")
    @click.option("--host", default="127.0.0.1", show_default=True,
                  help="Address to bind; the default keeps the dashboard on this machine.")
    @click.option("--interval", type=click.FloatRange(0.2, 600), default=3.0, show_default=True,
                  help="Seconds between the page's fetches of new rows.")
    def serve_command(directories, port, host, interval):
        """Live dashboard of one or more runs (several: a comparison), read-only on their stores."""
        from nas_dashboard.command import serve

        raise SystemExit(serve(list(directories), host=host, port=port, interval=interval))
