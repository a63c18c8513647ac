"""Running a Ray check script inside private namespaces (root only), where 127.0.0.1 is the only
address: Ray binds to the machine's network address otherwise, and no test traffic may leave
the machine. Shared by the single-node and the cluster tests."""
import json
import os
import shutil
import subprocess
import sys
import tempfile


def skip_reason(isolate):
    """Why the checks cannot run here, or None."""
    try:
        import ray  # noqa: F401
    except ImportError:
        return "Ray is not installed (pip install nas-evaluators[ray])"
    if shutil.which("unshare") is None or shutil.which("ip") is None:
        return "needs `unshare` and `ip` to isolate Ray in loopback-only namespaces"
    if os.geteuid() != 0:
        return f"needs root for `{' '.join(isolate)}` (Ray must not bind to the machine's network address)"
    probe = subprocess.run([*isolate, "sh", "-c", "ip link set lo up"], capture_output=True)
    if probe.returncode != 0:
        return f"cannot create the namespaces here: {probe.stderr.decode().strip()}"
    return None


def run_isolated(isolate, script, *, timeout, temp_prefix):
    """Run the Python file ``script`` (a path) isolated; its last stdout line is a JSON report.
    Skips the calling test with the reason when isolation is impossible here."""
    import pytest

    reason = skip_reason(isolate)
    if reason:
        pytest.skip(reason)
    env = dict(os.environ, RAY_AUTH_MODE="disabled", RAY_USAGE_STATS_ENABLED="0",
               PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
    before = set(os.listdir(tempfile.gettempdir()))
    try:
        proc = subprocess.run([*isolate, "sh", "-c", 'ip link set lo up && exec "$0" "$@"', sys.executable,
                               os.fspath(script)], capture_output=True, text=True, timeout=timeout, env=env)
    finally:
        for name in set(os.listdir(tempfile.gettempdir())) - before:
            if name.startswith(temp_prefix):
                shutil.rmtree(os.path.join(tempfile.gettempdir(), name), ignore_errors=True)
    assert proc.returncode == 0, proc.stderr[-4000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])
