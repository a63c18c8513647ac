"""One writer per run directory, through the real `nas` command in subprocesses: a second search
(new or --resume) on a held directory is exit 2 naming the holder; `nas results show` reads the
state without being blocked; a holder killed with SIGKILL blocks nothing and --resume takes over."""
import os
import signal
import sqlite3
import subprocess
import sys
import time

from support import TESTS, run_nas

SLOW = """\
seed: 2
output_dir: {out}
search_space: {{name: toy}}
objectives:
  - {{name: distance, higher_is_better: false, evaluator: {{name: slow_distance, params: {{sleep: 0.1, log: {log}}}}}}}
  - {{name: size, higher_is_better: true, compute_intensive: false, evaluator: {{name: size}}}}
searcher: {{name: toy_evolution, params: {{num_iters: 8, population: 8}}}}
"""


def nas(args, toy_site):
    return run_nas(args, pythonpath=[toy_site], env_extra={"NAS_LOAD_PLUGINS": "nas-toy"})


def stored(out):
    try:
        with sqlite3.connect(f"file:{out / 'results.db'}?mode=ro", uri=True) as conn:
            return conn.execute("SELECT COUNT(*) FROM evaluations WHERE objective='distance'").fetchone()[0]
    except sqlite3.Error:
        return 0


def test_a_held_directory_refuses_a_second_search_and_a_killed_holder_is_taken_over(tmp_path, toy_site):
    out, exp = tmp_path / "run", tmp_path / "exp.yaml"
    exp.write_text(SLOW.format(out=out, log=tmp_path / "log"))
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(toy_site), str(TESTS)]), NAS_LOAD_PLUGINS="nas-toy")
    holder = subprocess.Popen([sys.executable, "-m", "nas_kernel.cli", "search", str(exp), "-q"], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.time() + 60
        while stored(out) < 3 and time.time() < deadline:
            time.sleep(0.05)
        assert stored(out) >= 3 and holder.poll() is None, holder.poll() is None or holder.stderr.read()
        for extra in ([], ["--resume"]):
            second = nas(["search", str(exp), "-q", *extra], toy_site)
            assert second.returncode == 2, second.stderr
            lines = second.stderr.strip().splitlines()
            assert len(lines) == 1 and f"held by a running search (pid {holder.pid} on " in lines[0]
            assert "--resume" in lines[0] and "Traceback" not in second.stderr
        shown = nas(["results", "show", str(out)], toy_site)
        assert shown.returncode == 0 and shown.stdout.startswith(f"{out}: running (heartbeat ")
        holder.send_signal(signal.SIGKILL)
        holder.wait(timeout=30)
        killed_at = stored(out)
        shown = nas(["results", "show", str(out)], toy_site)
        assert shown.stdout.startswith(f"{out}: stale (its writer is gone (pid {holder.pid}")
        fresh = nas(["search", str(exp), "-q"], toy_site)  # a new search still may not mix with it
        assert fresh.returncode == 2 and "already holds a search" in fresh.stderr
        resumed = nas(["search", str(exp), "-q", "--resume"], toy_site)
        assert resumed.returncode == 0, resumed.stderr
        assert stored(out) >= killed_at
        shown = nas(["results", "show", str(out)], toy_site)
        assert shown.stdout.startswith(f"{out}: finished (ended ")
    finally:
        if holder.poll() is None:
            holder.kill()
            holder.wait()
