"""A run's heartbeat status, as the kernel reports it (``nas_kernel.runstate.read_run_state``).

The kernel owns the writer lock and heartbeat; the dashboard only reads them. With a kernel that
predates ``runstate``, the status the loop writes into the store's meta table is shown instead
(``running`` there cannot tell a live search from a killed one, so it is reported as ``unknown``
unless the store says the search ended).
"""
from __future__ import annotations

from typing import Any, Dict, Optional

_FROM_META = {"finished": "finished", "interrupted": "stopped", "failed": "failed"}
FIELDS = ("state", "pid", "host", "heartbeat_age_s", "started_at", "ended_at")


def run_state(path: str, meta_status: Optional[str]) -> Dict[str, Any]:
    """``{"state", "pid", "host", "heartbeat_age_s", "started_at", "ended_at", "source"}``."""
    try:
        from nas_kernel.runstate import read_run_state
    except ImportError:
        read_run_state = None
    if read_run_state is not None:
        try:
            state = read_run_state(path)
        except Exception as exc:  # a reader must not take the page down; say why instead
            return {**dict.fromkeys(FIELDS), "state": "unknown", "source": f"runstate: {exc}"}
        out = {name: getattr(state, name, None) for name in FIELDS}
        out["source"] = "heartbeat"
        return out
    out = dict.fromkeys(FIELDS)
    out["state"] = _FROM_META.get(meta_status or "", "unknown")
    out["source"] = f"store status {meta_status!r}"
    return out
