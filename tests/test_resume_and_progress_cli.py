"""Through the real `nas` command with the toy plugin: a refused --resume names the keys that
differ, --resume with a larger num_iters continues a finished search, a space method that reads
a model the loop cleared names clear_evaluated_models, and the progress summary shows one model's
values."""
from __future__ import annotations

import re
import sqlite3

from support import TOY_EXPERIMENT, make_dist, run_nas, toy_site  # noqa: F401 (fixture)

TOY = {"NAS_LOAD_PLUGINS": "nas-toy"}


def _experiment(tmp_path, text=TOY_EXPERIMENT):
    out = tmp_path / "run"
    path = tmp_path / "exp.yaml"
    path.write_text(text.format(out=out))
    return path, out


def _iterations(out):
    with sqlite3.connect(out / "results.db") as conn:
        return conn.execute("SELECT COUNT(DISTINCT iteration) FROM candidates").fetchone()[0]


def test_resume_names_the_keys_that_differ_and_a_larger_num_iters_continues_a_finished_search(tmp_path, toy_site):
    path, out = _experiment(tmp_path)
    first = run_nas(["search", str(path), "-q"], pythonpath=[toy_site], env_extra=TOY)
    assert first.returncode == 0, first.stderr
    assert _iterations(out) == 4

    refused = run_nas(["search", str(path), "-q", "--resume", "--seed", "9", "--set",
                       "objectives[0].evaluator.params={target: 10}"], pythonpath=[toy_site], env_extra=TOY)
    assert refused.returncode == 2
    assert refused.stderr.splitlines() == [
        f"nas: error: the store in {out} was written by a different experiment (ToyEvolution on ToySpace, seed 3); "
        "refusing to mix results. Use another output directory. The keys that differ: "
        "objectives[0].evaluator.params (not set -> {'target': 10}); seed (3 -> 9)."]

    more = run_nas(["search", str(path), "-q", "--resume", "--set", "searcher.params.num_iters=6"],
                   pythonpath=[toy_site], env_extra=TOY)
    assert more.returncode == 0, more.stderr
    assert _iterations(out) == 6  # the 4 stored iterations replayed from the store, 2 new ones
    assert "num_iters: 6" in (out / "experiment.yaml").read_text()


ARCH_READING = """\
from overrides import overrides

import toy
from nas_kernel import hookimpl


class ArchReadingSpace(toy.ToySpace):
    @overrides
    def mutate(self, arch):
        return toy._model(arch.arch.get("x"), parent=arch.archid)  # reads the module: gone once cleared


@hookimpl
def register_search_spaces(register):
    register("arch_reading", ArchReadingSpace)
"""


def test_a_space_method_reading_a_cleared_model_names_the_setting(tmp_path, toy_site):
    make_dist(toy_site, "nas-arch-reading", "0.1.0", {"arch_reading": "fake_arch_reading"},
              {"fake_arch_reading": ARCH_READING})
    path, out = _experiment(tmp_path, TOY_EXPERIMENT.replace("{{name: toy}}", "{{name: arch_reading}}"))
    done = run_nas(["search", str(path), "-q"], pythonpath=[toy_site],
                   env_extra={"NAS_LOAD_PLUGINS": "nas-toy,nas-arch-reading"})
    assert done.returncode == 1
    line, = done.stderr.splitlines()
    assert line.startswith("nas: error: search failed: AttributeError: 'NoneType' object has no attribute 'get' "
                           "(in iteration 2: a search space method probably read model.arch of a model the search had "
                           "already cleared, since searcher.params.clear_evaluated_models is true, Archai's default; "
                           "rebuild the model from its archid there, or set clear_evaluated_models: false)")


def test_the_progress_summary_shows_one_models_values(tmp_path, toy_site):
    path, out = _experiment(tmp_path)
    done = run_nas(["search", str(path)], pythonpath=[toy_site], env_extra=TOY)
    assert done.returncode == 0, done.stderr
    summaries = re.findall(r"best x(\d+): distance=(\S+) size=(\S+?)\]", done.stderr)
    assert summaries
    for x, distance, size in summaries:  # the values belong to the archid shown
        assert float(size) == int(x) and float(distance) == float(f"{(int(x) - 5000) ** 2:.4g}")
