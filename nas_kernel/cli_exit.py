"""How a ``nas`` command ends: the exit codes of DESIGN, the one error printer, and SIGTERM
turned into Ctrl-C. Every command module imports these from here (none imports ``nas_kernel.cli``).

Exit codes: 0 ok, 1 the search failed or a plugin has a bug, 2 bad input (file, key, value,
unknown component: the user's to fix), 130 interrupted.
"""
from __future__ import annotations

import signal
import sys
import traceback
from typing import Optional

from nas_kernel.run_files import ERROR_LOG

__all__ = [
    "EXIT_OK", "EXIT_FAILED", "EXIT_BAD_INPUT", "EXIT_INTERRUPTED", "error", "fail", "write_error_log",
    "plugin_bug", "disk_full", "install_sigterm",
]

EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT, EXIT_INTERRUPTED = 0, 1, 2, 130


def error(message: str, code: int = EXIT_BAD_INPUT, *, exc: Optional[BaseException] = None,
          show_traceback: bool = False) -> int:
    """Print ``nas: error: MESSAGE`` on stderr (with ``exc``'s traceback when ``show_traceback``)
    and return ``code`` for the command to exit with."""
    import click

    click.echo(f"nas: error: {message}", err=True)
    if show_traceback and exc is not None:
        click.echo("".join(traceback.format_exception(type(exc), exc, exc.__traceback__)).rstrip(), err=True)
    return code


def fail(message: str, code: int = EXIT_BAD_INPUT) -> None:
    """``error`` and exit now (inside a click command)."""
    sys.exit(error(message, code))


def write_error_log(path: str, exc: BaseException) -> str:
    """Write ``exc``'s traceback (with its causes) to ``path``; return ``path``."""
    import os

    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        f.write("".join(traceback.format_exception(type(exc), exc, exc.__traceback__)))
    return path


def plugin_bug(exc: BaseException, output_dir: Optional[str], *, show_traceback: bool) -> int:
    """Report a plugin's factory failing (``config.ComponentBuildError``): the plugin named, the
    traceback kept in ``OUTPUT_DIR/error.log`` (and printed when ``show_traceback``: strict or
    trace mode); exit 1, since the user cannot fix a plugin's bug by editing the experiment."""
    import os

    where = ""
    if output_dir:
        try:
            where = f" (traceback in {write_error_log(os.path.join(output_dir, ERROR_LOG), exc)})"
        except OSError:
            show_traceback = True  # nowhere to keep it: print it
    return error(f"{exc}{where}", EXIT_FAILED, exc=exc, show_traceback=show_traceback)


def disk_full(exc: BaseException) -> bool:
    """True when ``exc`` or one it was raised from or during is a full disk (``ENOSPC``, or
    SQLite's "database or disk is full"): a search that hit it lost nothing stored, so the user
    needs one line saying so, not the chain of tracebacks every later write adds."""
    import errno

    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT):
            return True
        if type(exc).__module__ == "sqlite3" and "disk is full" in str(exc):
            return True
        exc = exc.__cause__ or exc.__context__
    return False


def install_sigterm() -> None:
    """Turn SIGTERM into KeyboardInterrupt so a terminated search stops cleanly, like Ctrl-C."""

    def handler(signum, frame):
        raise KeyboardInterrupt

    try:
        signal.signal(signal.SIGTERM, handler)
    except ValueError:  # not the main thread (e.g. inside a test runner thread)
        pass
