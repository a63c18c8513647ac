"""When failed evaluations stop a search.

The kernel records a failed evaluation and goes on (one bad candidate should not end a long
search). A failure that is *systematic* (a wrong dataset path, a missing package, an evaluator
that cannot run at all) would otherwise run every iteration into the same error, so by default a
search stops early, with the reason, when

* the first ``first`` evaluations of one objective all failed, or
* ``in_row`` evaluations of one objective failed one after another.

The rules count each objective on its own, so a cheap objective that always works does not hide a
trained one that always fails. A search that ends without one successful evaluation of some
objective has failed too (``never_succeeded``): ``nas search`` exits 1 with a one-line summary.

An explicit ``max_failures`` (experiment file, ``RunContext`` or searcher attribute) is the
user's own rule: more failures than that stop the search, and the two defaults above are off.
Both defaults are run settings too (``RunContext.fail_fast_first``, ``fail_fast_in_row``).
"""
from __future__ import annotations

from typing import Any, Dict, Iterable, List, Optional, Tuple

__all__ = ["FAIL_FAST_FIRST", "FAIL_FAST_IN_ROW", "FailureWatch", "SearchFailed", "failure_summary", "never_succeeded",
           "write_failure_log"]

#: the first this many evaluations all failed -> the evaluator cannot work at all
FAIL_FAST_FIRST = 10
#: this many failed evaluations in a row -> something broke during the run
FAIL_FAST_IN_ROW = 30


class SearchFailed(Exception):
    """The search cannot go on (too many failed evaluations, nothing valid to evaluate)."""


class FailureWatch:
    """Counts one run's evaluations and raises ``SearchFailed`` as soon as a rule is broken.

    The fail-fast rules apply to each objective on its own: a cheap objective that always works
    (a parameter count) must not hide a trained one that always fails. ``max_failures`` counts
    the failures of all objectives together."""

    def __init__(self, max_failures: Optional[int] = None, first: Optional[int] = FAIL_FAST_FIRST,
                 in_row: Optional[int] = FAIL_FAST_IN_ROW) -> None:
        self.max_failures = max_failures
        self.first = first if max_failures is None else None
        self.in_row = in_row if max_failures is None else None
        self.evaluations = 0
        self.failures = 0
        #: per objective: [evaluations, failures, failed in a row]
        self.per_objective: Dict[str, List[int]] = {}

    def record(self, name: str, ok: bool, error: Optional[str] = None) -> None:
        counts = self.per_objective.setdefault(name, [0, 0, 0])
        self.evaluations += 1
        counts[0] += 1
        if ok:
            counts[2] = 0
            return
        self.failures += 1
        counts[1] += 1
        counts[2] += 1
        last = f" The last error: {error.rstrip('.')}." if error else ""
        if self.max_failures is not None and self.failures > self.max_failures:
            raise SearchFailed(
                f"{self.failures} evaluations failed (max_failures is {self.max_failures}); stopping."
                f"{last} The failures are listed by 'nas results show'.")
        if self.first and counts[1] == counts[0] == self.first:
            raise SearchFailed(
                f"the first {self.first} {name} evaluations all failed, so the failure looks systematic; "
                f"stopping.{last} Set max_failures to choose your own limit.")
        if self.in_row and counts[2] >= self.in_row:
            raise SearchFailed(
                f"{counts[2]} {name} evaluations failed in a row; stopping.{last} "
                "Set max_failures to choose your own limit.")


def never_succeeded(evaluations: Iterable[Tuple[str, str, Any, Any]]) -> Optional[str]:
    """One line for the objectives none of whose evaluations succeeded (``store.evaluations()``
    rows), e.g. ``17 of 17 val_acc evaluations failed: RuntimeError ...``; None when every
    objective that was evaluated succeeded at least once."""
    return failure_summary(evaluations, only_total=True)


def failure_summary(evaluations: Iterable[Tuple[str, str, Any, Any]], only_total: bool = False) -> Optional[str]:
    """``3 of 20 val_acc evaluations failed: <first error>`` for each objective with failures
    (with ``only_total``: only those where every evaluation failed), joined by ``; ``."""
    counts: Dict[str, List[Any]] = {}
    for objective, _archid, _budget, ev in evaluations:
        entry = counts.setdefault(objective, [0, 0, None])
        entry[0] += 1
        if ev.ok:
            entry[1] += 1
        elif entry[2] is None:
            entry[2] = ev.error
    lines = []
    for name, (total, ok, error) in counts.items():
        if total > ok and (ok == 0 or not only_total):
            text = (error or "").strip()
            lines.append(f"{total - ok} of {total} {name} evaluations failed: "
                         f"{text.splitlines()[0] if text else 'no error recorded'}")
    return "; ".join(lines) or None


def write_failure_log(path: str, failures: List[Dict[str, Any]]) -> str:
    """Every failed evaluation (``store.failures()`` rows), one block each, to ``path``."""
    with open(path, "w", encoding="utf-8") as f:
        for row in failures:
            budget = "" if row.get("budget") is None else f" at budget {row['budget']}"
            f.write(f"{row['objective']} of {row['archid']}{budget} failed:\n{row.get('error') or ''}\n\n")
    return path
