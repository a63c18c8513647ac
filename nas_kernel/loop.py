"""The search loop every built-in searcher runs on.

``IterativeSearcher.search()`` runs inside the run's owner, a ``RunSession`` (lock, store,
heartbeat, the start and end hooks, exports, status: ``nas_kernel.run_session``), and only
proposes and evaluates. For each iteration: the ``on_start_iteration`` hook and subscribed
callbacks, the algorithm's ``propose``, dedup by (archid, budget) before any module is built,
constraints, evaluation (cheap objectives first, cache first, async evaluators batched), durable
recording, the algorithm's ``learn``, and ``on_iteration_end``. A concrete algorithm supplies
``propose`` and usually ``learn``; it draws every random choice from ``self.rng``.

Resume replays the same seed: stored evaluations are read back into the cache before the first
iteration, so the replayed iterations cost no evaluation and the search continues where it
stopped.
"""
from __future__ import annotations

import hashlib
import random
import sys
import time
from abc import abstractmethod
from dataclasses import dataclass, field, replace
from typing import Any, Callable, Dict, List, Optional, Sequence, Set, Tuple

import numpy as np
from overrides import overrides

from nas_kernel.api.evaluation import budget_key, normalize_budget
from nas_kernel.api.model import ArchaiModel
from nas_kernel.api.objectives import SearchObjectives
from nas_kernel.api.results import SearchResults
from nas_kernel.api.searcher import Searcher
from nas_kernel.api.stop import StopSearch
from nas_kernel.failures import FailureWatch, SearchFailed
from nas_kernel.plugins import call_lifecycle
from nas_kernel.run_context import RunContext, progress_enabled
from nas_kernel.run_session import RunSession

__all__ = ["IterativeSearcher", "Proposal", "SearchFailed", "StopSearch"]


def _run_setting(name: str) -> property:
    """An attribute of the searcher that is the field ``name`` of its ``RunContext``, ``self.run``
    (one home for a run setting, however it is set)."""

    def get(self):
        return getattr(self.run, name)

    def set(self, value) -> None:
        self.run = replace(self.run, **{name: value})

    return property(get, set, doc=f"``self.run.{name}``: see ``nas_kernel.run_context.RunContext``.")


@dataclass
class Proposal:
    """What an algorithm asks the loop to evaluate in one iteration.

    ``budgets`` (one per model, or None) reaches the expensive objectives and the cache key;
    ``extra`` holds searcher columns for the search-state CSV (e.g. ``parent``), one value per model.
    """

    models: List[ArchaiModel]
    budgets: Optional[List[Optional[float]]] = None
    extra: Dict[str, List[Any]] = field(default_factory=dict)


class IterativeSearcher(Searcher):
    """Base class of searchers on the kernel loop; see the module docstring.

    ``budget_params``: constructor parameters that only say how long to search. ``nas search
    --resume`` continues a stored run when only these differ (a finished search goes on with a
    larger ``num_iters``); a subclass adds its own (e.g. a total evaluation budget).

    How a run is driven is one ``RunContext`` (``nas_kernel.run_context``): the caller's, given
    as ``search(run=...)`` (the ``nas search`` command and the conformance kit pass one), else
    the searcher's own, ``self.run``. Python code may set that one's fields through attributes of
    the same names, Archai-style: ``plugin_manager`` (lifecycle hooks), ``resume``,
    ``fingerprint`` (identifies the experiment in the store), ``progress``, ``max_failures``,
    ``fail_fast_first``, ``fail_fast_in_row`` (when failed evaluations stop the search, see
    ``nas_kernel.failures``). While a search runs, ``self.run`` is the context it runs under.
    ``sampling_patience``: tries per wanted candidate before giving up on finding valid, unseen
    ones.
    """

    budget_params: Tuple[str, ...] = ("num_iters",)

    def __init__(
        self,
        search_space: Any,
        search_objectives: SearchObjectives,
        output_dir: str,
        num_iters: int = 10,
        seed: int = 1,
        clear_evaluated_models: bool = True,
        save_pareto_model_weights: bool = False,
    ) -> None:
        super().__init__()
        self.run = RunContext()  # the context of a ``search()`` given none; see the class docstring
        if int(num_iters) < 1:
            raise ValueError(f"num_iters must be at least 1, got {num_iters}")
        if not isinstance(search_objectives, SearchObjectives):
            raise TypeError("search_objectives must be a SearchObjectives")
        self.search_space = search_space
        self.objectives = search_objectives
        self.output_dir = str(output_dir)
        self.num_iters = int(num_iters)
        self.seed = seed
        self.rng = random.Random(seed)
        self.clear_evaluated_models = clear_evaluated_models
        self.save_pareto_model_weights = save_pareto_model_weights
        self.sampling_patience = 20
        self.results: Optional[SearchResults] = None
        self.stop_reason: Optional[str] = None
        self._seen: Set[Tuple[str, str]] = set()
        self._watch = FailureWatch()

    plugin_manager = _run_setting("plugin_manager")
    resume = _run_setting("resume")
    fingerprint = _run_setting("fingerprint")
    progress = _run_setting("progress")
    max_failures = _run_setting("max_failures")
    fail_fast_first = _run_setting("fail_fast_first")
    fail_fast_in_row = _run_setting("fail_fast_in_row")

    # ---- what an algorithm implements ------------------------------------------------------
    @abstractmethod
    def propose(self, iteration: int):
        """Candidates for this (1-based) iteration; empty ends the search."""

    def learn(self, iteration: int, models: List[ArchaiModel], results: Dict[str, np.ndarray]):
        """Take this iteration's evaluated models and values (NaN = failed) into account."""

    def reset(self):
        """Clear the algorithm's own state; called at the start of every ``search()``, so a search
        can run twice and a resumed replay starts from the same state as the original run."""

    # ---- helpers for algorithms ------------------------------------------------------------
    def is_seen(self, archid: str, budget: Optional[float] = None) -> bool:
        """True when (archid, budget) was evaluated or already proposed in this search."""
        return (archid, budget_key(normalize_budget(budget))) in self._seen

    def sample_candidates(
        self,
        make: Callable[[], Optional[ArchaiModel]],
        n: int,
        *,
        budget: Optional[float] = None,
        patience: Optional[int] = None,
    ) -> List[ArchaiModel]:
        """Call ``make()`` until ``n`` valid, unseen, distinct models are found. Gives up after
        ``n * patience`` tries in all, or ``50 * patience`` tries in a row that found nothing (an
        exhausted neighbourhood, or constraints that reject everything): the bounds that keep a
        search from looping forever. ``make`` may return None for "no candidate this try"."""
        patience = self.sampling_patience if patience is None else patience
        found: List[ArchaiModel] = []
        batch: Set[str] = set()
        tries = misses = 0
        while len(found) < n and tries < max(1, n) * patience and misses < 50 * patience:
            tries += 1
            misses += 1
            model = make()
            if model is None or model.archid in batch or self.is_seen(model.archid, budget):
                continue
            if not self.objectives.is_model_valid(model):
                continue
            batch.add(model.archid)
            found.append(model)
            misses = 0
        return found

    def objective_values(self, name: str, models: Sequence[ArchaiModel], budget: Optional[float] = None) -> np.ndarray:
        """Cached values of one objective (NaN where missing or failed): for learning from history."""
        out = np.full(len(models), np.nan)
        for i, model in enumerate(models):
            value = self.objectives.lookup_cache(name, model.archid, budget)
            if value is not None:
                out[i] = value
        return out

    # ---- the loop --------------------------------------------------------------------------
    @overrides
    def search(self, run: Optional[RunContext] = None):
        """Run the search under ``run`` (the caller's settings for this run, see
        ``nas_kernel.run_context``); without one, under the searcher's own, ``self.run``."""
        own = self.run
        run = own if run is None else run
        self._watch = FailureWatch(run.max_failures, run.fail_fast_first, run.fail_fast_in_row)
        self._seen = set()
        self.stop_reason = None
        self.reset()
        self.run = run
        try:
            with RunSession(self.output_dir, run, fingerprint=run.fingerprint or self._fingerprint(),
                            describe=self._describe(), searcher=self, objectives=self.objectives,
                            on_evaluation=lambda name, ev: self._watch.record(name, ev.ok, ev.error)) as session:
                results = self.results = SearchResults(self.search_space, self.objectives)
                try:
                    if session.stop_at_start is not None:
                        raise session.stop_at_start
                    self._iterate(session, results)
                except StopSearch as stop:  # raised by an evaluator, a callback or a hook: a clean end
                    self.stop_reason = str(stop) or "StopSearch was raised"
                    print(f"nas: search stopped: {self.stop_reason}", file=sys.stderr)
                    session.record_stop_reason(self.stop_reason)
                if results.iteration_num == 0 or not any(len(r["archid"]) for r in results.results):
                    raise SearchFailed(
                        "no candidate could be evaluated: " + (self.stop_reason or "every proposal was empty")
                        + ". Check the constraints and the search space.")
                session.finish(results, save_weights=self.save_pareto_model_weights)
        finally:
            self.run = own
        return results

    def _iterate(self, session: RunSession, results: SearchResults) -> None:
        """The iterations: propose, evaluate, record (through ``session``), learn."""
        walltime_offset = session.store.max_walltime()
        started = time.time()
        bar = _iteration_bar(self.num_iters)
        try:
            for iteration in range(1, self.num_iters + 1):
                session.start_iteration(iteration)
                self.on_start_iteration(iteration)
                call_lifecycle(self.plugin_manager, "on_start_iteration", searcher=self, iteration=iteration)
                models, budgets, extra = self._take_proposal(self._propose(iteration))
                if not models:
                    self.stop_reason = self.stop_reason or "the searcher has nothing new to evaluate"
                    break
                values = self._evaluate(models, budgets)
                walltimes = session.iteration_walltimes(iteration)
                if walltimes is None or len(walltimes) != len(models):
                    now = walltime_offset + (time.time() - started) / 3600
                    walltimes = [now] * len(models)
                columns = dict(extra)
                if any(b is not None for b in budgets):
                    columns["budget"] = list(budgets)
                results.add_iteration_results(models, values, columns, walltime_hours=walltimes)
                session.record_iteration(iteration, [m.archid for m in models], budgets,
                                         _rows(columns, len(models)), walltimes)
                self.learn(iteration, models, values)
                call_lifecycle(self.plugin_manager, "on_iteration_end", searcher=self, iteration=iteration,
                               models=models, results=values)
                if self.clear_evaluated_models:
                    keep = set() if not self.save_pareto_model_weights else {
                        m.archid for m in results.get_pareto_frontier()["models"]}
                    for model in models:
                        if model.archid not in keep:
                            model.clear()
                bar.update(1)
                bar.set_postfix_str(_best_text(results), refresh=False)
        finally:
            bar.close()

    def _propose(self, iteration: int):
        """``propose``, with the likely cause named when a space method read the module of a model
        the loop had cleared (``clear_evaluated_models``, Archai's default)."""
        try:
            return self.propose(iteration)
        except (AttributeError, TypeError) as exc:
            if not (self.clear_evaluated_models and "'NoneType' object" in str(exc)):
                raise
            raise type(exc)(
                f"{exc} (in iteration {iteration}: a search space method probably read model.arch of a model "
                "the search had already cleared, since searcher.params.clear_evaluated_models is true, Archai's "
                "default; rebuild the model from its archid there, or set clear_evaluated_models: false)") from exc

    def _take_proposal(self, proposal) -> Tuple[List[ArchaiModel], List[Optional[float]], Dict[str, List[Any]]]:
        if not isinstance(proposal, Proposal):
            proposal = Proposal(list(proposal or []))
        n = len(proposal.models)
        budgets = [normalize_budget(b) for b in (proposal.budgets or [None] * n)]
        if len(budgets) != n:
            raise ValueError(f"{type(self).__name__}.propose gave {len(budgets)} budgets for {n} models")
        for key, col in proposal.extra.items():
            if len(col) != n:
                raise ValueError(f"{type(self).__name__}.propose gave {len(col)} values of {key!r} for {n} models")
        keep: List[int] = []
        for i, (model, budget) in enumerate(zip(proposal.models, budgets)):
            key = (model.archid, budget_key(budget))
            if key in self._seen:  # dropped before its module is ever built
                continue
            self._seen.add(key)
            keep.append(i)
        models = [proposal.models[i] for i in keep]
        if models and self.objectives.all_constraints:
            _, valid = self.objectives.validate_constraints(models)
            keep = [keep[i] for i in valid]
            models = [proposal.models[i] for i in keep]
        extra = {k: [col[i] for i in keep] for k, col in proposal.extra.items()}
        return models, [budgets[i] for i in keep], extra

    def _evaluate(self, models: List[ArchaiModel], budgets: List[Optional[float]]) -> Dict[str, np.ndarray]:
        """Cheap objectives first (budget None), then expensive ones at the proposal's budgets."""
        values = self.objectives.eval_cheap_objs(models, progress_bar=False)
        expensive = self.objectives.expensive_objective_names
        per_obj = {name: budgets for name in expensive}
        values.update(self.objectives.eval_expensive_objs(models, per_obj, progress_bar=True))  # off when quiet
        return {name: values[name] for name in self.objectives.objective_names}

    def _fingerprint(self) -> str:
        """The run's identity in the store when the context gives none."""
        text = f"{self._describe()}|seed={self.seed}|objectives={self.objectives.objective_names}"
        return hashlib.sha256(text.encode()).hexdigest()

    def _describe(self) -> str:
        return f"{type(self).__name__} on {type(self.search_space).__name__}, seed {self.seed}"



def _rows(columns: Dict[str, List[Any]], n: int) -> List[Dict[str, Any]]:
    return [{k: col[i] for k, col in columns.items()} for i in range(n)]


def _best_text(results: SearchResults) -> str:
    """The progress bar's summary: the best model so far by the first objective, with all its
    values (one model's values, never the best of each objective from different models)."""
    if results.objectives is None or not results.results:
        return ""
    names = list(results.objectives.higher_is_better)
    if not names:
        return ""
    first, hib = names[0], results.objectives.higher_is_better[names[0]]
    best = None
    for entry in results.results:
        column = np.asarray(entry[first], dtype=float)
        for i, value in enumerate(column):
            if np.isnan(value):
                continue
            if best is None or (value > best[0] if hib else value < best[0]):
                best = (value, entry, i)
    if best is None:
        return ""
    _, entry, i = best
    values = " ".join(f"{n}={float(entry[n][i]):.4g}" for n in names)
    return f"best {entry['archid'][i]}: {values}"


def _iteration_bar(total: int):
    if not progress_enabled():  # a quiet run (``RunContext.progress`` off)
        from nas_kernel.progress import NoBar

        return NoBar()
    from tqdm.auto import tqdm

    return tqdm(total=total, desc="search", unit="iter")
