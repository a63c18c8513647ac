"""``nas results serve DIR [DIR ...]``: check the directories, bind, print the address, serve
until Ctrl-C or SIGTERM. Bad input (a missing or non-store directory, a port in use, an
address that cannot be bound) is one message and exit status 2."""
from __future__ import annotations

import errno
import signal
import sys
from typing import List

import click

from nas_dashboard.runs import RunDirError, open_runs
from nas_dashboard.server import Dashboard, make_server

EXIT_OK, EXIT_BAD_INPUT = 0, 2


def serve(directories: List[str], *, host: str = "127.0.0.1", port: int = 8765, interval: float = 3.0) -> int:
    try:
        runs = open_runs(directories)
    except RunDirError as exc:
        return _error(str(exc))
    try:
        from nas_kernel.plugins_in_use import plugins_in_use

        # the nas command's plugins (its scope does not reach the server's request threads)
        server = make_server(Dashboard(runs, interval=interval, plugins=plugins_in_use()), host, port)
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            return _error(f"port {port} on {host} is already in use; pick another with --port N "
                          "(--port 0 takes any free one)")
        return _error(f"cannot listen on {host}:{port}: {exc.strerror or exc}")
    bound_port = server.server_address[1]
    shown = f"[{host}]" if ":" in host else host
    what = "run" if len(runs) == 1 else f"{len(runs)} runs (comparison)"
    click.echo(f"Serving {what} read-only at http://{shown}:{bound_port}/  (Ctrl-C to stop)")
    for run in runs:
        click.echo(f"  [{run.index}] {run.path}")
    sys.stdout.flush()

    def stop(signum, frame):
        raise KeyboardInterrupt

    try:
        signal.signal(signal.SIGTERM, stop)
    except ValueError:  # not the main thread (tests)
        pass
    try:
        server.serve_forever(poll_interval=0.5)
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return EXIT_OK


def _error(message: str) -> int:
    click.echo(f"nas: error: {message}", err=True)
    return EXIT_BAD_INPUT
