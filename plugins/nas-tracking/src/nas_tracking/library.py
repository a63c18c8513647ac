"""Checking that a tracker's optional library is installed, or refusing with the install command.

A missing library is a mistake in the experiment's setup, not a bug: the factory raises
``ValueError`` naming the extra, which ``nas search`` reports as exit 2 with the key. Only the
presence is checked when the tracker is built; the import itself (seconds for MLflow or W&B)
happens on the tracker's background thread, so it does not delay the search.
"""
from __future__ import annotations

import importlib.util


def require(module: str, tracker: str, extra: str) -> None:
    """Nothing when ``module`` can be imported, else ``ValueError`` saying which extra installs it."""
    try:
        found = importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):  # ValueError: the module is blocked in sys.modules
        found = False
    if not found:
        raise ValueError(f"the {tracker} tracker needs the {module!r} library, which is not installed; "
                         f"install it with: pip install 'nas-tracking[{extra}]'")
