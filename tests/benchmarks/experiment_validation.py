"""What checking an experiment's types costs at start-up, the kernel's own checks beside
pydantic v2's: the milliseconds an import adds on top of ``import nas_kernel`` (which every
``nas`` command pays anyway), each in a fresh interpreter, median of ``--repeat`` runs; then the
message each gives for the same mistakes, so their precision can be compared side by side.

The pydantic column imports pydantic and defines the experiment's shape as models (components,
objectives, the experiment), which is the least an adoption would cost.

Run: .venv/bin/python tests/benchmarks/experiment_validation.py [--repeat 7]
"""
from __future__ import annotations

import argparse
import statistics
import subprocess
import sys

TIMED = """
import time, nas_kernel
started = time.perf_counter()
{body}
print((time.perf_counter() - started) * 1000)
"""

KERNEL_READER = "import nas_kernel.experiment.reader"
KERNEL_BUILD = "import nas_kernel.experiment.build"
PYDANTIC_MODELS = '''
from typing import Any, Dict, List, Optional
from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt

class Component(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str
    params: Optional[Dict[str, Any]] = None

class Objective(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str
    higher_is_better: StrictBool
    compute_intensive: StrictBool = True
    evaluator: Component
    constraint: Optional[List[float]] = None

class Constraint(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str
    evaluator: Component
    constraint: List[float]

class Experiment(BaseModel):
    model_config = ConfigDict(extra="forbid")
    seed: StrictInt = Field(1, ge=0, le=2**63 - 1)
    output_dir: str
    base_dir: str = "."
    description: Optional[str] = None
    max_failures: Optional[StrictInt] = Field(None, ge=0)
    search_space: Component
    searcher: Component
    objectives: List[Objective]
    constraints: List[Constraint] = []
    trackers: List[Component] = []
'''

GOOD = {"output_dir": "out", "search_space": {"name": "cnn"}, "searcher": {"name": "random"},
        "objectives": [{"name": "val_acc", "higher_is_better": True, "evaluator": {"name": "partial_training"}}]}
MISTAKES = {
    "search_space: cnn": {**GOOD, "search_space": "cnn"},
    "higher_is_better: yes (text)": {**GOOD, "objectives": [{**GOOD["objectives"][0], "higher_is_better": "yes"}]},
    "serach_space: (a typo)": {**GOOD, "serach_space": {"name": "cnn"}},
    "seed: -1": {**GOOD, "seed": -1},
}


def timed_ms(body: str, repeat: int) -> float:
    runs = []
    for _ in range(repeat):
        out = subprocess.run([sys.executable, "-c", TIMED.format(body=body)], capture_output=True, text=True,
                             check=True).stdout
        runs.append(float(out.strip().splitlines()[-1]))
    return statistics.median(runs)


def kernel_message(raw) -> str:
    from nas_kernel.experiment.errors import ConfigError
    from nas_kernel.experiment.shape import validate

    try:
        validate(raw, "exp.yaml")
    except ConfigError as exc:
        return str(exc)
    return "(accepted)"


def pydantic_message(raw) -> str:
    from pydantic import ValidationError

    namespace: dict = {}
    exec(compile(PYDANTIC_MODELS, "<models>", "exec", dont_inherit=True), namespace)
    try:
        namespace["Experiment"].model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        return f"{'.'.join(str(p) for p in first['loc'])}: {first['msg']}"
    return "(accepted)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    base = timed_ms("pass", args.repeat)
    print(f"{'added to import nas_kernel (ms, median of %d)' % args.repeat:52} {'ms':>8}")
    for label, body in [("the kernel's reader (nas_kernel.experiment.reader)", KERNEL_READER),
                        ("the kernel's reader and builder (experiment.build)", KERNEL_BUILD),
                        ("pydantic v2 and the experiment's models", PYDANTIC_MODELS)]:
        print(f"{label:52} {timed_ms(body, args.repeat) - base:8.1f}")
    print()
    for mistake, raw in MISTAKES.items():
        print(f"{mistake}\n  kernel:   {kernel_message(raw)}\n  pydantic: {pydantic_message(raw)}")


if __name__ == "__main__":
    main()
