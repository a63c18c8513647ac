"""Running named checks and reporting them as sklearn-style result dicts.

A check is a plain function that raises ``CheckFailed`` (an ``AssertionError``) with a message
written by hand: the object, what was expected, what was seen. Nothing here needs pytest, so
``check_search_space(space)`` works in a notebook or a script as well as in a test.
"""
from __future__ import annotations

import warnings
from typing import Any, Callable, Dict, Iterable, List, Mapping, Optional, Tuple

ON_FAIL = ("raise", "warn", None)


class CheckFailed(AssertionError):
    """A conformance check found a component breaking its contract."""


class CheckWarning(UserWarning):
    """Issued per failed check when ``on_fail="warn"``."""


def fail(message: str) -> None:
    raise CheckFailed(message)


def validate_expected(expected: Optional[Mapping[str, str]], check_names: Iterable[str],
                      subject: str) -> Dict[str, str]:
    """Expected failures must name real checks and give a reason (sklearn requires one too)."""
    expected = dict(expected or {})
    known = set(check_names)
    unknown = sorted(set(expected) - known)
    if unknown:
        raise ValueError(f"expected_failed_checks for {subject} names unknown check(s) {unknown}; "
                         f"the checks that run for it are {sorted(known)}")
    for name, reason in expected.items():
        if not isinstance(reason, str) or not reason.strip():
            raise ValueError(f"expected_failed_checks[{name!r}] for {subject} needs a reason (a non-empty string)")
    return expected


def run_checks(
    checks: Iterable[Tuple[Any, Callable[..., None], Optional[str]]],
    on_fail: Optional[str] = "raise",
) -> List[Dict[str, Any]]:
    """Run ``(component, check, expected_to_fail_reason)`` triples; return one dict per check.

    Status is ``passed``, ``failed``, ``xfail`` (failed, as expected) or ``xpass`` (expected to
    fail but passed: the entry in ``expected_failed_checks`` can go). With ``on_fail="raise"``
    the first unexpected failure is raised after it is recorded; ``"warn"`` warns per failure;
    ``None`` only collects.
    """
    if on_fail not in ON_FAIL:
        raise ValueError(f"on_fail must be one of {ON_FAIL}, got {on_fail!r}")
    results: List[Dict[str, Any]] = []
    for obj, check, reason in checks:
        name = check.__name__
        try:
            check(obj)
        except Exception as exc:  # any exception is a failure of the component, reported as such
            status, error = ("xfail" if reason else "failed"), exc
        else:
            status, error = ("xpass" if reason else "passed"), None
        results.append({"component": obj, "check_name": name, "status": status, "exception": error,
                        "expected_to_fail": bool(reason), "expected_to_fail_reason": reason})
        if status == "failed":
            if on_fail == "raise":
                raise error
            if on_fail == "warn":
                warnings.warn(f"{name} failed: {type(error).__name__}: {error}", CheckWarning, stacklevel=3)
    return results
