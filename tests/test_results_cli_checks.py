"""`nas results` through the real command: a comparison of runs that share no objective is refused
before any file is written, and `nas results show` counts what a running search has done."""
from __future__ import annotations

import re
import time

from support import TOY_EXPERIMENT, run_nas, toy_site  # noqa: F401 (fixture)
from test_cli import SLOW, start, stored

TOY = {"NAS_LOAD_PLUGINS": "nas-toy"}
COUNTS = re.compile(r"^(\d+) iterations done \((\d+) models in them\); (\d+) evaluations of (\d+) models so far "
                    r"\((\d+) failed\)$")


def test_compare_refuses_runs_without_a_shared_objective_before_writing(tmp_path, toy_site):
    a, b = tmp_path / "a", tmp_path / "b"
    (tmp_path / "a.yaml").write_text(TOY_EXPERIMENT.format(out=a))
    other = TOY_EXPERIMENT.format(out=b).replace("name: distance,", "name: far,").replace("name: size,", "name: big,")
    (tmp_path / "b.yaml").write_text(other)
    for name in ("a", "b"):
        assert run_nas(["search", str(tmp_path / f"{name}.yaml"), "-q"], pythonpath=[toy_site],
                       env_extra=TOY).returncode == 0
    plots = tmp_path / "plots"
    done = run_nas(["results", "plot", str(a), "--compare", str(b), "--out", str(plots)], pythonpath=[toy_site],
                   env_extra={"NAS_LOAD_PLUGINS": ""})
    assert done.returncode == 2
    assert done.stderr.splitlines() == [
        "nas: error: the runs share no objective to compare (a: distance, size; b: far, big); nothing was written"]
    assert not plots.exists()


def test_results_show_counts_a_running_search_by_what_is_stored(tmp_path, toy_site):
    out, log = tmp_path / "run", tmp_path / "log"
    exp = tmp_path / "exp.yaml"
    exp.write_text(SLOW.format(out=out, log=log).replace("sleep: 0.03", "sleep: 0.05"))
    proc = start(["search", str(exp), "-q"], toy_site)
    try:
        deadline = time.time() + 60
        while stored(out) < 3 and time.time() < deadline:
            time.sleep(0.05)
        shown = run_nas(["results", "show", str(out)], pythonpath=[toy_site], env_extra={"NAS_LOAD_PLUGINS": ""})
        assert shown.returncode == 0, shown.stderr
        done, in_them, total, evaluated, failed = map(int, COUNTS.match(shown.stdout.splitlines()[1]).groups())
        assert evaluated >= 3 and total >= evaluated >= in_them and failed == 0  # stored evaluations count at once
    finally:
        assert proc.wait(timeout=120) == 0
    shown = run_nas(["results", "show", str(out)], pythonpath=[toy_site], env_extra={"NAS_LOAD_PLUGINS": ""})
    done, in_them, total, evaluated, failed = map(int, COUNTS.match(shown.stdout.splitlines()[1]).groups())
    assert (done, in_them == evaluated, total == 2 * evaluated) == (8, True, True)  # distance and size per model
