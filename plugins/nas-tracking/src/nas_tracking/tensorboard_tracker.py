"""TensorBoard: event files written with tensorboardX's record writer (numpy and protobuf, no
TensorFlow), synchronously: tensorboardX's ``SummaryWriter`` hands events to a queue that its
``flush()`` does not drain, so after a ``kill -9`` an evaluation counted as logged could be missing.

Each evaluation is one step: ``objective/<name>`` scalars, ``evaluation/seconds``,
``evaluation/budget``, ``evaluation/failed`` and a text entry with the archid, the architecture
parameters and the failure reasons. A resumed search starts its new event file with a
``SessionLog.START`` at the number of evaluations logged (TensorBoard's purge marker), so
TensorBoard's reader drops whatever a killed process wrote past that count and reads each step once.
"""
from __future__ import annotations

import os
import time
from typing import Any, Dict, List, Optional

from overrides import overrides

from nas_kernel.api.tracker import TrackedEvaluation, TrackedRun, Tracker
from nas_tracking import table
from nas_tracking.library import require


class TensorBoardTracker(Tracker):
    """Write a search as TensorBoard event files (``tensorboard --logdir LOG_DIR``).

    Args:
        log_dir: the folder of the event files; by default ``OUTPUT_DIR/tensorboard``.
    """

    library = "tensorboardX"

    def __init__(self, log_dir: Optional[str] = None) -> None:
        require("tensorboardX", "tensorboard", "tensorboard")
        if log_dir is not None and (not isinstance(log_dir, str) or not log_dir.strip()):
            raise ValueError(f"log_dir must be a folder path, got {log_dir!r}")
        self.log_dir = log_dir
        self.writer: Any = None

    @overrides
    def start(self, run: TrackedRun) -> Optional[int]:
        from tensorboardX.event_file_writer import EventsWriter
        from tensorboardX.proto.event_pb2 import Event, SessionLog

        log_dir = run.state.get("log_dir") or self.log_dir or os.path.join(run.output_dir, "tensorboard")
        run.state["log_dir"] = os.path.abspath(log_dir)
        os.makedirs(log_dir, exist_ok=True)
        self.writer = EventsWriter(os.path.join(log_dir, "events"), filename_suffix=f".{os.getpid()}")
        if run.resumed:
            self.writer.write_event(Event(wall_time=time.time(), step=run.logged,
                                          session_log=SessionLog(status=SessionLog.START)))
        else:
            self._text("run/params", table.markdown([{"key": k, "value": v} for k, v in sorted(run.params.items())]))
            self._text("run/versions", table.markdown([{"package": k, "version": v}
                                                       for k, v in sorted(run.versions.items())]))
            if run.experiment_file:
                with open(run.experiment_file, encoding="utf-8") as f:
                    self._text("run/experiment", "    " + f.read().replace("\n", "\n    "))
        self.writer.flush()
        return None

    def _write(self, summary: Any, step: int = 0) -> None:
        from tensorboardX.proto.event_pb2 import Event

        self.writer.write_event(Event(wall_time=time.time(), step=step, summary=summary))

    def _text(self, tag: str, text: str, step: int = 0) -> None:
        from tensorboardX.summary import text as text_summary

        self._write(text_summary(tag, text), step)

    @overrides
    def log_evaluations(self, evaluations: List[TrackedEvaluation]) -> None:
        from tensorboardX.summary import scalar

        for ev in evaluations:
            for name, value in ev.values.items():
                if value is not None:
                    self._write(scalar(f"objective/{name}", value), ev.index)
            self._write(scalar("evaluation/seconds", ev.total_seconds), ev.index)
            self._write(scalar("evaluation/failed", float(ev.failed)), ev.index)
            if ev.budget is not None:
                self._write(scalar("evaluation/budget", ev.budget), ev.index)
            self._text("evaluation/archid", _describe(ev), ev.index)
        self.writer.flush()  # on disk before the kernel counts the batch as logged

    @overrides
    def finish(self, front: List[Dict[str, Any]], artifacts: List[str]) -> None:
        if front:
            self._text("pareto_front", table.markdown(front))
        for path in artifacts:
            if path.endswith(".png"):
                import matplotlib.image
                from tensorboardX.summary import image

                pixels = matplotlib.image.imread(path)[..., :3]
                self._write(image(f"plots/{os.path.splitext(os.path.basename(path))[0]}", pixels, dataformats="HWC"))
        self.writer.flush()

    @overrides
    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            self.writer = None


def _describe(ev: TrackedEvaluation) -> str:
    lines = [f"archid: `{ev.archid}`, iteration {ev.iteration}"]
    lines += [f"{k}: {v}" for k, v in sorted(ev.arch_params.items())]
    lines += [f"failed {k}: {v}" for k, v in sorted(ev.errors.items())]
    return "  \n".join(lines)
