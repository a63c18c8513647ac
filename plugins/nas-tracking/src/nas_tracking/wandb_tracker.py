"""Weights & Biases, offline by default: the run is written under ``OUTPUT_DIR/wandb`` and sent
later with ``wandb sync`` (nothing leaves the machine during the search).

Each evaluation is one step (W&B's ``step`` = the evaluation's number): the objectives, the time,
the budget, whether it failed, the archid, the architecture parameters and the failure reasons as
text. The Pareto front (a table) and the plots are logged at the end. A resumed search reopens the
same run id and goes on from the step the killed one had reached.
"""
from __future__ import annotations

import os
from typing import Any, Dict, List, Optional

from overrides import overrides

from nas_kernel.api.tracker import TrackedEvaluation, TrackedRun, Tracker
from nas_tracking import table
from nas_tracking.library import require

MODES = ("offline", "online", "disabled")


class WandbTracker(Tracker):
    """Log a search to Weights & Biases.

    Args:
        project: the W&B project.
        mode: ``offline`` (default: files only, ``wandb sync`` uploads them later), ``online``
            or ``disabled``.
        dir: where W&B writes its ``wandb/`` folder; by default the search's output directory.
        entity: the W&B team or user (online only).
    """

    library = "wandb"

    def __init__(self, project: str = "nas", mode: str = "offline", dir: Optional[str] = None,
                 entity: Optional[str] = None) -> None:
        require("wandb", "wandb", "wandb")
        if mode not in MODES:
            raise ValueError(f"mode must be one of {', '.join(MODES)}, got {mode!r}")
        if not isinstance(project, str) or not project.strip():
            raise ValueError(f"project must be a non-empty text, got {project!r}")
        self.project, self.mode, self.dir, self.entity = project, mode, dir, entity
        self.run: Any = None

    @overrides
    def start(self, run: TrackedRun) -> Optional[int]:
        import wandb

        run_id = run.state.get("run_id") or run.key  # the same id on every --resume
        run.state["run_id"] = run_id
        folder = self.dir or run.output_dir
        os.makedirs(folder, exist_ok=True)
        config = dict(run.params, **{f"version.{k}": v for k, v in run.versions.items()})
        self.run = wandb.init(project=self.project, entity=self.entity, dir=folder, mode=self.mode, id=run_id,
                              resume="allow", config=config, notes=run.description or None,
                              name=os.path.basename(os.path.abspath(run.output_dir)),
                              settings=wandb.Settings(silent=True, console="off"))
        if run.experiment_file and not run.resumed:
            self.run.save(run.experiment_file, base_path=os.path.dirname(run.experiment_file), policy="now")
        return None

    @overrides
    def log_evaluations(self, evaluations: List[TrackedEvaluation]) -> None:
        for ev in evaluations:
            values: Dict[str, Any] = {f"objective/{k}": v for k, v in ev.values.items() if v is not None}
            values.update({"evaluation/seconds": ev.total_seconds, "evaluation/failed": float(ev.failed),
                           "evaluation/iteration": ev.iteration})
            if ev.budget is not None:
                values["evaluation/budget"] = ev.budget
            values["evaluation/archid"] = ev.archid
            values.update({f"arch/{k}": v for k, v in ev.arch_params.items()})
            if ev.errors:
                values["evaluation/errors"] = "; ".join(f"{k}: {v}" for k, v in sorted(ev.errors.items()))
            self.run.log(values, step=ev.index)

    @overrides
    def finish(self, front: List[Dict[str, Any]], artifacts: List[str]) -> None:
        import wandb

        logged: Dict[str, Any] = {}
        if front:
            names = table.columns(front)
            logged["pareto_front"] = wandb.Table(columns=names, data=[[row.get(n) for n in names] for row in front])
        for path in artifacts:
            if path.endswith(".png"):
                logged[f"plots/{os.path.splitext(os.path.basename(path))[0]}"] = wandb.Image(path)
        if logged:
            self.run.log(logged)
        self.run.finish()
        self.run = None

    @overrides
    def abort(self, status: str) -> None:
        self.close()  # the run ends with exit code 1: W&B shows it failed

    @overrides
    def close(self) -> None:
        if self.run is not None:
            self.run.finish(exit_code=1)
            self.run = None
