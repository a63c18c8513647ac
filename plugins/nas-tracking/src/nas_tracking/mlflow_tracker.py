"""MLflow: one run per search; each evaluation is a step of that run.

Why steps and not a child run per evaluation: a child run costs three store round trips (create,
log, terminate), about 100 ms each on a local SQLite store, while one ``log_batch`` per iteration
carries every evaluation of it as steps. The evaluations' text fields (archid, architecture
parameters, failure reasons) go into one JSON artifact per batch, ``evaluations/from-NNNNNN.json``.
The metric ``evaluation`` (value = step = the evaluation's number) is the backend's own count:
a resumed search reads its history to know exactly what the killed one had logged.
"""
from __future__ import annotations

import json
import logging
import os
import time
from typing import Any, Dict, List, Optional

from overrides import overrides

from nas_kernel.api.tracker import TrackedEvaluation, TrackedRun, Tracker
from nas_tracking import table
from nas_tracking.library import require

#: MLflow's limits: metrics per ``log_batch`` call, length of a parameter value
MAX_BATCH = 1000
MAX_PARAM = 6000
#: a remote server that does not answer fails the tracker fast (set them yourself to override)
HTTP_DEFAULTS = {"MLFLOW_HTTP_REQUEST_MAX_RETRIES": "0", "MLFLOW_HTTP_REQUEST_TIMEOUT": "10"}


class MLflowTracker(Tracker):
    """Log a search to MLflow.

    Args:
        tracking_uri: MLflow's tracking URI (``sqlite:///path.db``, ``http://host:5000``, ...);
            by default ``$MLFLOW_TRACKING_URI``, else ``sqlite:///OUTPUT_DIR/mlflow.db``.
        experiment_name: the MLflow experiment the search's run goes into (created if needed).
        run_name: the run's name; by default the output directory's name.
    """

    library = "mlflow-skinny"

    def __init__(self, tracking_uri: Optional[str] = None, experiment_name: str = "nas",
                 run_name: Optional[str] = None) -> None:
        require("mlflow", "mlflow", "mlflow")
        if tracking_uri is not None and (not isinstance(tracking_uri, str) or not tracking_uri.strip()):
            raise ValueError(f"tracking_uri must be a URI text, got {tracking_uri!r}")
        if not isinstance(experiment_name, str) or not experiment_name.strip():
            raise ValueError(f"experiment_name must be a non-empty text, got {experiment_name!r}")
        self.tracking_uri, self.experiment_name, self.run_name = tracking_uri, experiment_name, run_name
        self.client: Any = None
        self.run_id: Optional[str] = None

    def _uri(self, output_dir: str) -> str:
        uri = self.tracking_uri or os.environ.get("MLFLOW_TRACKING_URI")
        return uri or "sqlite:///" + os.path.abspath(os.path.join(output_dir, "mlflow.db"))

    @overrides
    def start(self, run: TrackedRun) -> Optional[int]:
        from mlflow.entities import Param
        from mlflow.tracking import MlflowClient

        # a new SQLite store announces its table creation on INFO lines: noise in a search's output
        logging.getLogger("mlflow.store.db.utils").setLevel(logging.WARNING)
        uri = run.state.get("tracking_uri") or self._uri(run.output_dir)
        if uri.startswith(("http://", "https://")):
            for key, value in HTTP_DEFAULTS.items():
                os.environ.setdefault(key, value)
        self.client = MlflowClient(tracking_uri=uri)
        self.run_id = run.state.get("run_id") or self._opened_before(run, uri)
        if self.run_id:  # a resumed search, or one killed before the kernel recorded the run id
            run.state.update(run_id=self.run_id, tracking_uri=uri)
            self.client.update_run(self.run_id, status="RUNNING")
            history = self.client.get_metric_history(self.run_id, "evaluation")
            return len({m.step for m in history})
        tags = {"nas.run": run.key, "nas.output_dir": os.path.abspath(run.output_dir)}
        if run.description:
            tags["mlflow.note.content"] = run.description
        created = self.client.create_run(self._experiment_id(run, uri), run_name=self.run_name or os.path.basename(
            os.path.abspath(run.output_dir)), tags=tags)
        self.run_id = created.info.run_id
        run.state.update(run_id=self.run_id, tracking_uri=uri)
        params = {k: v for k, v in run.params.items() if v is not None}
        params.update({f"version.{k}": v for k, v in run.versions.items()})
        items = [Param(k, str(v)[:MAX_PARAM]) for k, v in sorted(params.items())]
        for i in range(0, len(items), 100):
            self.client.log_batch(self.run_id, params=items[i:i + 100])
        if run.experiment_file:
            self.client.log_artifact(self.run_id, run.experiment_file)
        return 0

    def _experiment_id(self, run: TrackedRun, uri: str) -> str:
        experiment = self.client.get_experiment_by_name(self.experiment_name)
        if experiment is not None:
            return experiment.experiment_id
        location = None
        if uri.startswith("sqlite:"):  # beside the run, not in the working directory's ./mlruns
            location = "file://" + os.path.abspath(os.path.join(run.output_dir, "mlartifacts"))
        return self.client.create_experiment(self.experiment_name, artifact_location=location)

    def _opened_before(self, run: TrackedRun, uri: str) -> Optional[str]:
        """The run tagged with this search's key, if a killed process created it."""
        found = self.client.search_runs([self._experiment_id(run, uri)], filter_string=f"tags.`nas.run` = '{run.key}'",
                                        max_results=1)
        return found[0].info.run_id if found else None

    @overrides
    def log_evaluations(self, evaluations: List[TrackedEvaluation]) -> None:
        from mlflow.entities import Metric

        rows = [_row(ev) for ev in evaluations]
        # the text first: the metrics batch is what counts as logged, so it goes last
        self.client.log_text(self.run_id, json.dumps(rows, indent=1, sort_keys=True),
                             f"evaluations/from-{evaluations[0].index:06d}.json")
        now = int(time.time() * 1000)
        metrics = []
        for ev in evaluations:
            values: Dict[str, float] = {name: v for name, v in ev.values.items() if v is not None}
            values.update(seconds=ev.total_seconds, failed=float(ev.failed))
            if ev.budget is not None:
                values["budget"] = ev.budget
            values["evaluation"] = float(ev.index)
            metrics += [Metric(name, float(value), now, ev.index) for name, value in values.items()]
        # one call when it fits, so a batch is stored whole or not at all
        for i in range(0, len(metrics), MAX_BATCH):
            self.client.log_batch(self.run_id, metrics=metrics[i:i + MAX_BATCH])

    @overrides
    def finish(self, front: List[Dict[str, Any]], artifacts: List[str]) -> None:
        if front:
            self.client.log_text(self.run_id, table.csv_text(front), "pareto_front.csv")
            names = table.columns(front)
            self.client.log_dict(self.run_id, {"columns": names, "data": [[row.get(n) for n in names] for row in front]},
                                 "pareto_front.json")
        for path in artifacts:
            self.client.log_artifact(self.run_id, path, "plots" if path.endswith(".png") else None)
        self._end("FINISHED")

    @overrides
    def abort(self, status: str) -> None:
        self._end("KILLED" if status == "interrupted" else "FAILED")

    @overrides
    def close(self) -> None:
        """A run neither finished nor aborted (this tracker failed on the way) ends FAILED, not RUNNING."""
        if self.run_id is not None:
            self._end("FAILED")

    def _end(self, status: str) -> None:
        run_id, self.run_id = self.run_id, None
        self.client.set_terminated(run_id, status)


def _row(ev: TrackedEvaluation) -> Dict[str, Any]:
    return {"evaluation": ev.index, "iteration": ev.iteration, "archid": ev.archid, "budget": ev.budget,
            "values": ev.values, "seconds": ev.seconds, "errors": ev.errors, "arch_params": ev.arch_params}
