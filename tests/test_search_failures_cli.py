"""How a search that cannot succeed ends, through the real `nas` command: fail-fast per objective
(a cheap objective's successes do not hide a trained one failing), a non-zero exit when some
objective never succeeded, the failure summary even under -q, and a full disk in one line."""
from __future__ import annotations

import re
import sqlite3
import sys
from pathlib import Path

from support import TOY_EXPERIMENT, run_nas, toy_site  # noqa: F401 (fixture)

TOY = {"NAS_LOAD_PLUGINS": "nas-toy"}
#: the line of tests/toy.py that raises the toy failure (the error names where it was raised)
TOY_FAILURE_LINE = next(n for n, line in enumerate((Path(__file__).parent / "toy.py").read_text().splitlines(), 1)
                        if "toy failure on" in line)


def _one_line(stderr: str, expected: str) -> bool:
    """stderr is exactly the one line ``expected``, where {ARCHID}, {TOY} and {N} stand for an
    archid, the path of tests/toy.py and a count."""
    pattern = re.escape(expected).replace(r"\{ARCHID\}", r"[a-z]\d+").replace(r"\{TOY\}", r"\S*toy\.py") \
        .replace(r"\{N\}", r"[1-9]\d*")
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    assert re.fullmatch(pattern, lines[0]), (lines[0], expected)
    return True


def _experiment(tmp_path, distance_params: str, extra: str = ""):
    out = tmp_path / "run"
    text = TOY_EXPERIMENT.format(out=out).replace("{name: distance}", f"{{name: distance, params: {distance_params}}}")
    path = tmp_path / "exp.yaml"
    path.write_text(extra + text)
    return path, out


def test_a_cheap_objective_does_not_hide_a_trained_one_that_always_fails(tmp_path, toy_site):
    path, out = _experiment(tmp_path, "{fail_every: 1}")
    done = run_nas(["search", str(path), "-q"], pythonpath=[toy_site], env_extra=TOY)
    assert done.returncode == 1, done.stderr
    log = out / "error.log"
    assert _one_line(done.stderr,
                     "nas: error: search failed: the first 10 distance evaluations all failed, so the failure looks "
                     "systematic; stopping. The last error: RuntimeError: toy failure on {ARCHID} "
                     f"(at {{TOY}}:{TOY_FAILURE_LINE}). Set max_failures to choose your own limit; details in {log}")
    assert log.read_text().count("toy failure") == 10  # every failed evaluation, not a traceback
    with sqlite3.connect(out / "results.db") as conn:
        assert conn.execute("SELECT value FROM meta WHERE key='status'").fetchone()[0] == "failed"


def test_a_search_ending_without_one_success_of_an_objective_exits_1_with_a_summary(tmp_path, toy_site):
    path, out = _experiment(tmp_path, "{fail_every: 1}", extra="max_failures: 1000\n")  # the fail-fast rules off
    done = run_nas(["search", str(path), "-q"], pythonpath=[toy_site], env_extra=TOY)
    assert done.returncode == 1
    assert _one_line(done.stderr, "nas: error: search failed: 24 of 24 distance evaluations failed: RuntimeError: "
                                  f"toy failure on {{ARCHID}} (at {{TOY}}:{TOY_FAILURE_LINE}); "
                                  f"details in {out / 'error.log'}")


def test_failures_of_a_finished_search_are_summarised_even_when_quiet(tmp_path, toy_site):
    path, out = _experiment(tmp_path, "{fail_every: 3}")
    done = run_nas(["search", str(path), "-q"], pythonpath=[toy_site], env_extra=TOY)
    assert done.returncode == 0, done.stderr
    assert _one_line(done.stderr, "nas: {N} of 24 distance evaluations failed: RuntimeError: toy failure on "
                                  f"{{ARCHID}} (at {{TOY}}:{TOY_FAILURE_LINE}); details in {out / 'error.log'}")


DISK_FULLS_AFTER_5 = """\
import sqlite3, sys
from nas_kernel.store import Store
real = Store.record_evaluation
calls = []
def record(self, *args, **kwargs):
    calls.append(1)
    if len(calls) > 5:
        raise sqlite3.OperationalError("database or disk is full")
    return real(self, *args, **kwargs)
Store.record_evaluation = record
from nas_kernel.cli import main
sys.argv = ["nas"] + sys.argv[1:]
sys.exit(main())
"""


def test_a_full_disk_is_one_line_naming_what_is_stored_and_how_to_resume(tmp_path, toy_site):
    import os
    import subprocess

    from support import TESTS

    path, out = _experiment(tmp_path, "{}")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(toy_site), str(TESTS)]), **TOY)
    done = subprocess.run([sys.executable, "-c", DISK_FULLS_AFTER_5, "search", str(path), "-q"], env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == [
        f"nas: error: no space left on device writing {out}: 5 evaluations are stored; free space and resume "
        f"with nas search {path} -o {out} --resume"]
    resumed = run_nas(["search", str(path), "-q", "--resume"], pythonpath=[toy_site], env_extra=TOY)
    assert resumed.returncode == 0, resumed.stderr
