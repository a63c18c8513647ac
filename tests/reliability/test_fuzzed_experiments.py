"""Fuzzed experiment files: every bad file exits 2 with one line naming the key, no traceback,
nothing written; valid random files run. NAS_FUZZ_EXAMPLES raises the count for manual runs."""
import copy
import os

import yaml
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nas_kernel.cli import make_cli

EXAMPLES = int(os.environ.get("NAS_FUZZ_EXAMPLES", "250"))
BASE = {
    "seed": 3,
    "search_space": {"name": "toy", "params": {"size": 500}},
    "objectives": [
        {"name": "distance", "higher_is_better": False, "evaluator": {"name": "distance", "params": {"target": 250}}},
        {"name": "size", "higher_is_better": True, "compute_intensive": False, "evaluator": {"name": "size"},
         "constraint": [0, 400]},
    ],
    "searcher": {"name": "toy_random", "params": {"num_iters": 2, "samples_per_iter": 3}},
}
# every leaf/branch path of BASE, used to aim mutations
PATHS = [("seed",), ("search_space",), ("search_space", "name"), ("search_space", "params"),
         ("search_space", "params", "size"), ("objectives",), ("objectives", 0), ("objectives", 0, "name"),
         ("objectives", 0, "higher_is_better"), ("objectives", 0, "evaluator"),
         ("objectives", 0, "evaluator", "name"), ("objectives", 0, "evaluator", "params", "target"),
         ("objectives", 1, "constraint"), ("objectives", 1, "compute_intensive"), ("searcher",),
         ("searcher", "name"), ("searcher", "params"), ("searcher", "params", "num_iters"),
         ("searcher", "params", "samples_per_iter")]
BAD_VALUES = [None, "", "text", -1, -(10**30), 10**30, 2.5, float("nan"), float("inf"), True, [], {}, [1, 2, 3],
              {"name": "nope"}, {"name": "size", "bogus": 1}, "../../etc/passwd"]
RAW_TEXTS = [
    "!!python/object/apply:os.system ['touch /tmp/nas-fuzz-pwned']",
    "seed: !!python/object/new:subprocess.Popen [['true']]",
    "seed: [1\nsearcher: {",
    "\t- tab: indented",
    "seed: &a [*a, *a]",
    "- just\n- a list",
    "42",
    "",
    "{" * 200,
    "seed: 1\nseed: 2\n" + "x" * 100,
]


def label(path):
    out = ""
    for p in path:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else p)
    return out


def set_path(spec, path, value):
    node = spec
    for p in path[:-1]:
        node = node[p]
    node[path[-1]] = value


def del_path(spec, path):
    node = spec
    for p in path[:-1]:
        node = node[p]
    del node[path[-1]]


@st.composite
def bad_experiments(draw):
    spec = copy.deepcopy(BASE)
    action = draw(st.sampled_from(["value", "unknown_key", "delete", "raw"]))
    if action == "raw":
        return draw(st.sampled_from(RAW_TEXTS)), None
    path = draw(st.sampled_from(PATHS))
    if action == "value":
        set_path(spec, path, draw(st.sampled_from(BAD_VALUES)))
    elif action == "unknown_key":
        parent = draw(st.sampled_from([p for p in PATHS if p == ("seed",) or isinstance(eval_path(p), dict)]))
        key = draw(st.text(alphabet="abcxyz_", min_size=3, max_size=8))
        target = eval_path(parent) if isinstance(eval_path(parent), dict) else BASE
        if key in target or key in ("params", "name"):
            key = "zz_" + key
        node = spec
        for p in (parent if isinstance(eval_path(parent), dict) else ()):
            node = node[p]
        node[key] = 1
        path = parent
    else:
        required = [p for p in PATHS if p[-1] in ("seed", "search_space", "name", "higher_is_better", "evaluator",
                                                  "searcher", "objectives")]
        path = draw(st.sampled_from(required))
        del_path(spec, path)
    return yaml.safe_dump(spec), path


def eval_path(path):
    node = BASE
    for p in path:
        node = node[p]
    return node


def run(manager, text, out):
    exp = out.parent / "exp.yaml"
    exp.write_text(text)
    cli = make_cli()
    return CliRunner().invoke(cli, ["search", str(exp), "-q", "-o", str(out)], obj=manager)


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(case=bad_experiments())
def test_bad_files_exit_2_with_one_line_and_write_nothing(toy_manager, tmp_path_factory, case):
    text, path = case
    out = tmp_path_factory.mktemp("fuzz") / "out"
    result = run(toy_manager, text, out)
    if result.exit_code == 0:  # a mutation that happens to be valid
        assert out.joinpath("results.db").exists()
        return
    if result.exit_code == 1:  # valid, but the constraints reject every candidate: the search fails
        assert "no candidate could be evaluated" in result.output and "Traceback" not in result.output
        return
    assert result.exit_code == 2, (text, result.output, result.exception)
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("nas: error: "), result.output
    assert "Traceback" not in result.output
    if path is not None and text.strip():
        assert "key '" in lines[0], lines[0]
    assert not out.exists()
    assert not os.path.exists("/tmp/nas-fuzz-pwned")


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 2**31), size=st.integers(2, 10_000), iters=st.integers(1, 3),
       per_iter=st.integers(1, 5), lo=st.integers(0, 50))
def test_valid_random_files_run(toy_manager, tmp_path_factory, seed, size, iters, per_iter, lo):
    spec = copy.deepcopy(BASE)
    spec["seed"] = seed
    spec["search_space"]["params"]["size"] = size
    spec["objectives"][1]["constraint"] = [min(lo, size), size]
    spec["searcher"]["params"] = {"num_iters": iters, "samples_per_iter": per_iter}
    out = tmp_path_factory.mktemp("valid") / "out"
    result = run(toy_manager, yaml.safe_dump(spec), out)
    if result.exit_code == 1:  # a constraint window with no candidate found in the bounded tries
        assert "no candidate could be evaluated" in result.output
        return
    assert result.exit_code == 0, result.output
    assert (out / "search_state.csv").exists()
