"""The no-pytest front end: ``check_search_space(space)`` and friends run every check that
applies to one component and return sklearn-style result dicts."""
from __future__ import annotations

from typing import Any, Dict, List, Mapping, Optional

from nas_kernel.kinds import KINDS
from nas_kernel.testing._generator import WithInputs, component_checks
from nas_kernel.testing._results import run_checks


def _runner(kind: str, label: str):
    def run(component: Any, *, expected_failed_checks: Optional[Mapping[str, str]] = None,
            on_fail: Optional[str] = "raise", **inputs: Any) -> List[Dict[str, Any]]:
        if isinstance(component, WithInputs):  # with_inputs(...) given here too: merge
            component, inputs = component.component, {**component.inputs, **inputs}
        item = WithInputs(component, inputs)
        checks = list(component_checks(item, kinds=[kind], expected_failed_checks=expected_failed_checks,
                                       require=label))
        return run_checks(checks, on_fail=on_fail)

    run.__name__ = run.__qualname__ = f"check_{kind}"
    run.__doc__ = (f"Run every check that applies to a {label}; return one result dict per check.\n\n"
                   "Keys: component, check_name, status (passed/failed/xfail/xpass), exception,\n"
                   "expected_to_fail, expected_to_fail_reason. ``expected_failed_checks`` maps check names\n"
                   "to reasons; ``on_fail`` is \"raise\" (first unexpected failure), \"warn\" or None.\n"
                   "Extra keyword arguments are the checks' inputs (see ``with_inputs``).")
    return run


# check_search_space, check_evaluator, check_predictor, check_searcher, check_op, check_dataset: one per kind
for _kind in KINDS:
    globals()[f"check_{_kind.snake}"] = _runner(_kind.snake, _kind.subject())
del _kind
