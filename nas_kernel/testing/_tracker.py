"""Checks for trackers: the kit drives a tracker the way ``nas_kernel._tracking`` does (start,
evaluations in batches, finish, close), in a temporary output directory, then starts it again on
the same directory as a resumed search would. A tracker whose backend cannot be reached from a
test machine is checked with parameters that point it at local files."""
from __future__ import annotations

import tempfile
from typing import Callable, List

from nas_kernel.api.tracker import TrackedEvaluation, TrackedRun, Tracker
from nas_kernel.testing._naming import name_of
from nas_kernel.testing._results import fail


def sample_evaluations(start: int, n: int, iteration: int) -> List[TrackedEvaluation]:
    """``n`` evaluations numbered from ``start``: two objectives, the second failing on every third."""
    out = []
    for index in range(start, start + n):
        failed = index % 3 == 2
        out.append(TrackedEvaluation(
            index=index, iteration=iteration, archid=f"int-{index}", budget=None if index % 2 else 1.0,
            values={"score": 0.5 + index / 100, "size": None if failed else float(100 + index)},
            seconds={"score": 0.01, "size": 0.0}, errors={"size": "evaluator returned NaN"} if failed else {},
            arch_params={"depth": index % 4, "kind": "toy"}))
    return out


def _run(tracker: Tracker, output_dir: str, *, resumed: bool, state: dict, logged: int, batches) -> dict:
    run = TrackedRun(output_dir=output_dir, key=f"kit{abs(hash(output_dir)) % 10**12:012d}", resumed=resumed, state=state, logged=logged,
                     params={"seed": 1, "search_space.name": "integers", "searcher.name": "random"},
                     versions={"nas-kernel": "0"}, description="kit check")
    counted = tracker.start(run)
    if counted is not None and (isinstance(counted, bool) or not isinstance(counted, int)):
        fail(f"{name_of(tracker)}.start should return how many evaluations its backend holds (an int) or None, "
             f"got {counted!r}")
    if counted is not None and counted != logged:
        fail(f"{name_of(tracker)}.start on {'a resumed' if resumed else 'a new'} run counted {counted} evaluations "
             f"in its backend; {logged} were logged")
    try:
        for batch in batches:
            tracker.log_evaluations(batch)
        tracker.finish([{"archid": "int-0", "score": 0.5, "size": 100.0, "iteration": 1}], [])
    finally:
        tracker.close()
    return run.state


def check_tracker_logs_a_search(tracker):
    with tempfile.TemporaryDirectory() as tmp:
        _run(tracker, tmp, resumed=False, state={}, logged=0,
             batches=[sample_evaluations(0, 3, 1), sample_evaluations(3, 2, 2)])


def check_tracker_resumes_its_run(tracker):
    """A second ``start`` on the same directory with the state of the first continues the count."""
    with tempfile.TemporaryDirectory() as tmp:
        state = _run(tracker, tmp, resumed=False, state={}, logged=0, batches=[sample_evaluations(0, 3, 1)])
        try:
            import json

            state = json.loads(json.dumps(state))
        except (TypeError, ValueError):
            fail(f"{name_of(tracker)}.start left a TrackedRun.state that is not JSON: {state!r}; the kernel keeps "
                 "it in a JSON file for --resume")
        _run(tracker, tmp, resumed=True, state=state, logged=3, batches=[sample_evaluations(3, 2, 2)])


def tracker_checks(tracker) -> List[Callable[..., None]]:
    if not isinstance(tracker, Tracker):
        return []
    return [check_tracker_logs_a_search, check_tracker_resumes_its_run]
