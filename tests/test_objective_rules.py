"""Each rule of declaring objectives and constraints lives in one function, with one message,
whether the declaration comes from an experiment file or from ``SearchObjectives`` in code."""
from pathlib import Path

import numpy as np
import pytest
import yaml

import nas_kernel
from nas_kernel import SearchObjectives
from nas_kernel.api import objective_rules
from nas_kernel.experiment.errors import ConfigError
from nas_kernel.experiment.shape import validate
from support import run_nas
from toy import Distance, Size


def experiment(objectives, constraints=()):
    return {"output_dir": "out", "search_space": {"name": "toy"}, "searcher": {"name": "toy_random"},
            "objectives": list(objectives), "constraints": list(constraints)}


def objective(name, **more):
    return {"name": name, "higher_is_better": True, "evaluator": {"name": "size"}, **more}


CHEAP = {"compute_intensive": False}

#: rule function, the file's declarations, the key at fault, the same declarations in code, the message
RULES = [
    ("check_objective_name", [objective("archid")], "objectives[0].name",
     lambda so: so.add_objective("archid", Size(), higher_is_better=True),
     "'archid' is a column the results table uses itself; choose another name (reserved: archid, models, "
     "iteration_num, search_walltime_hours, is_pareto)"),
    ("check_objective_name", [objective("size"), objective("size")], "objectives[1].name",
     lambda so: [so.add_objective("size", Size(), higher_is_better=True) for _ in range(2)],
     "name 'size' is already used by "),
    ("check_constraint_range", [objective("size", constraint=[5, 1], **CHEAP)], "objectives[0].constraint",
     lambda so: so.add_objective("size", Size(), higher_is_better=True, compute_intensive=False, constraint=[5, 1]),
     "low 5 is above high 1"),
    ("check_constraint_range", [objective("size", constraint=[float("nan"), 1], **CHEAP)], "objectives[0].constraint",
     lambda so: so.add_objective("size", Size(), True, compute_intensive=False, constraint=[float("nan"), 1]),
     "bounds must be numbers, got [nan, 1] (NaN)"),
    ("check_constraint_range", [objective("size", constraint=["a", 1], **CHEAP)], "objectives[0].constraint",
     lambda so: so.add_objective("size", Size(), True, compute_intensive=False, constraint=["a", 1]),
     "expected [low, high] numbers, got ['a', 1]"),
    ("check_constraint_is_cheap", [objective("distance", constraint=[0, 1])], "objectives[0].constraint",
     lambda so: so.add_objective("distance", Distance(), higher_is_better=False, constraint=[0, 1]),
     "a constraint needs a cheap objective (compute_intensive: false): constraints are checked before expensive "
     "evaluations"),
]


def raised_in(exc: BaseException) -> str:
    """The function the rule's own exception was raised in (the innermost frame of its traceback)."""
    rule_error = exc.__context__  # both the file reader and SearchObjectives re-raise it, naming the entry
    assert isinstance(rule_error, objective_rules.ObjectiveRuleError)
    tb = rule_error.__traceback__
    while tb.tb_next is not None:
        tb = tb.tb_next
    assert tb.tb_frame.f_code.co_filename == objective_rules.__file__
    return tb.tb_frame.f_code.co_name


@pytest.mark.parametrize("function,declared,key,in_code,message", RULES)
def test_a_rule_is_one_function_with_one_message_from_the_file_and_from_code(function, declared, key, in_code,
                                                                            message):
    with pytest.raises(ConfigError) as from_file:
        validate(experiment(declared), "exp.yaml")
    assert from_file.value.key == key and from_file.value.detail.startswith(message)
    assert str(from_file.value).startswith(f"exp.yaml: key '{key}': {message}")
    with pytest.raises(ValueError) as from_code:
        in_code(SearchObjectives())
    name = declared[-1]["name"]
    assert str(from_code.value).startswith(f"objective {name!r}: {message}")
    assert raised_in(from_file.value) == raised_in(from_code.value) == function


def test_a_constraint_without_a_range_is_refused_by_the_same_function_both_ways():
    with pytest.raises(ConfigError) as from_file:
        validate(experiment([objective("d")], [{"name": "c", "evaluator": {"name": "size"}}]), "exp.yaml")
    assert from_file.value.key == "constraints[0].constraint"
    with pytest.raises(ValueError) as from_code:
        SearchObjectives().add_constraint("c", Size(), None)
    assert from_file.value.detail == "missing; expected [low, high]"
    assert str(from_code.value) == f"constraint 'c': {from_file.value.detail}"
    assert raised_in(from_file.value) == raised_in(from_code.value) == "check_constraint_range"


@pytest.mark.parametrize("given", [[0, 5], (0, 5.0), np.array([0, 5]), (np.float32(0), np.int64(5))])
def test_a_range_given_in_code_may_be_any_pair_of_real_numbers(given):
    so = SearchObjectives()
    so.add_objective("size", Size(), higher_is_better=True, compute_intensive=False, constraint=given)
    so.add_constraint("size_again", Size(), given)
    assert so.objectives["size"].constraint == so.constraints["size_again"].constraint == (0.0, 5.0)
    assert all(type(v) is float for v in so.objectives["size"].constraint)


@pytest.mark.parametrize("given", ["05", ("0", "5"), (0, 1, 2), (True, 5), {0: 5}])
def test_anything_else_is_not_a_range(given):
    with pytest.raises(ValueError, match=r"objective 'size': expected \[low, high\] numbers, got "):
        SearchObjectives().add_objective("size", Size(), True, compute_intensive=False, constraint=given)


@pytest.mark.parametrize("phrase", ["is a column the results table uses itself", "name {name!r} is already used by",
                                    "is above high", "got {constraint!r} (NaN)", "needs a cheap objective",
                                    "expected [low, high]"])
def test_each_rule_message_is_written_once_in_the_kernel(phrase):
    """The messages' source text: a second copy of a rule would carry its own."""
    kernel = Path(nas_kernel.__file__).parent
    holders = [p.relative_to(kernel).as_posix() for p in kernel.rglob("*.py")
               if phrase in p.read_text(encoding="utf-8")]
    assert holders == ["api/objective_rules.py"]


def test_the_cli_reports_a_broken_rule_as_one_exit_2_line_naming_the_key(tmp_path):
    path = tmp_path / "exp.yaml"
    spec = experiment([objective("distance", constraint=[0, 1])])
    spec["objectives"][0]["evaluator"] = {"name": "distance"}
    spec["output_dir"] = str(tmp_path / "out")
    path.write_text(yaml.safe_dump(spec))
    done = run_nas(["search", str(path), "-q"])
    assert done.returncode == 2 and not (tmp_path / "out").exists()
    assert done.stderr.splitlines() == [f"nas: error: {path}: key 'objectives[0].constraint': a constraint needs a "
                                        "cheap objective (compute_intensive: false): constraints are checked before "
                                        "expensive evaluations"]
