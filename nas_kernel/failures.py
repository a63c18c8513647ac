"""When failed evaluations stop a search.

The kernel records a failed evaluation and goes on (one bad candidate should not end a long
search). A failure that is *systematic* (a wrong dataset path, a missing package, an evaluator
that cannot run at all) would otherwise run every iteration into the same error, so by default a
search stops early, with the reason, when

* the first ``first`` evaluations of the run all failed, or
* ``in_row`` evaluations failed one after another.

An explicit ``max_failures`` (experiment file, ``RunContext`` or searcher attribute) is the
user's own rule: more failures than that stop the search, and the two defaults above are off.
"""
from __future__ import annotations

from typing import Optional

#: the first this many evaluations all failed -> the evaluator cannot work at all
FAIL_FAST_FIRST = 10
#: this many failed evaluations in a row -> something broke during the run
FAIL_FAST_IN_ROW = 30


class SearchFailed(Exception):
    """The search cannot go on (too many failed evaluations, nothing valid to evaluate)."""


class FailureWatch:
    """Counts one run's evaluations and raises ``SearchFailed`` as soon as a rule is broken."""

    def __init__(self, max_failures: Optional[int] = None, first: Optional[int] = FAIL_FAST_FIRST,
                 in_row: Optional[int] = FAIL_FAST_IN_ROW) -> None:
        self.max_failures = max_failures
        self.first = first if max_failures is None else None
        self.in_row = in_row if max_failures is None else None
        self.evaluations = 0
        self.failures = 0
        self.failed_in_row = 0

    def record(self, ok: bool, error: Optional[str] = None) -> None:
        self.evaluations += 1
        if ok:
            self.failed_in_row = 0
            return
        self.failures += 1
        self.failed_in_row += 1
        last = f" The last error: {error}" if error else ""
        if self.max_failures is not None and self.failures > self.max_failures:
            raise SearchFailed(
                f"{self.failures} evaluations failed (max_failures is {self.max_failures}); stopping."
                f"{last} The failures are listed by 'nas results show'.")
        if self.first and self.failures == self.evaluations == self.first:
            raise SearchFailed(
                f"the first {self.first} evaluations all failed, so the failure looks systematic; stopping."
                f"{last} Set max_failures to choose your own limit.")
        if self.in_row and self.failed_in_row >= self.in_row:
            raise SearchFailed(
                f"{self.failed_in_row} evaluations failed in a row; stopping.{last} "
                "Set max_failures to choose your own limit.")
