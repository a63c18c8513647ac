"""The ``latency_table`` evaluator: an architecture's latency on the table's device, in
milliseconds, predicted as the sum of its blocks plus the table's fixed part (no timing at search
time, so it is a cheap objective or a constraint).

A table built on another device, or with settings other than those the experiment asks for, is
refused when the evaluator is built (one exit-2 line naming what differs), unless
``allow_other_device`` is true: then it is used with one warning (the usual case when the table
was built on a phone or board and the search runs on a workstation).
"""
from __future__ import annotations

import os
import warnings
from typing import Any, Dict, Optional

from overrides import overrides

from nas_kernel.api import ArchaiModel, ModelEvaluator
from nas_edge.latency_table import load_table, mismatches, predict_ms


class LatencyTableWarning(UserWarning):
    """A table from another device or with other settings is used because the experiment asked."""


class LatencyTableEvaluator(ModelEvaluator):
    """Predicted milliseconds per inference from a latency table.

    Args:
        table: the table file (``nas latency-table build``); relative paths are read from the
            experiment's folder.
        device, runtime, threads, batch_size: when given, the table must have been built with
            these settings.
        allow_other_device: use a table from another device or with other settings, with a
            warning, instead of refusing it.
        base_dir: filled by the kernel (the experiment's folder).
    """

    def __init__(self, table: str, device: Optional[str] = None, runtime: Optional[str] = None,
                 threads: Optional[int] = None, batch_size: Optional[int] = None, allow_other_device: bool = False,
                 base_dir: Optional[str] = None) -> None:
        if not isinstance(table, str) or not table:
            raise ValueError(f"table must be the path of a latency table file, got {table!r}")
        self.path = table if os.path.isabs(table) or base_dir is None else os.path.join(base_dir, table)
        self.table = load_table(self.path)
        expected: Dict[str, Any] = {k: v for k, v in (("device", device), ("runtime", runtime), ("threads", threads),
                                                      ("batch_size", batch_size)) if v is not None}
        if "device" in expected:
            from nas_kernel.toolbox.devices import check_device

            expected["device"] = check_device("device", expected["device"])
        problems = mismatches(self.table, expected)
        if problems and not allow_other_device:
            raise ValueError(f"latency table {self.path!r} does not fit: {'; '.join(problems)}. Build a table here "
                             "(nas latency-table build), or set allow_other_device: true to use it anyway")
        if problems:
            warnings.warn(f"latency table {self.path!r} used although {'; '.join(problems)}", LatencyTableWarning,
                          stacklevel=2)
        self.allow_other_device = bool(allow_other_device)
        self._space = None

    def __getstate__(self):
        state = dict(self.__dict__)
        state["_space"] = None  # rebuilt in the process that evaluates
        return state

    @property
    def space(self):
        """The table's search space, rebuilt once through the plugin manager in use."""
        if self._space is None:
            from nas_kernel.plugins_in_use import plugins_in_use
            from nas_edge.block_contract import require_block_listing
            from nas_edge.space_record import build_space

            record = self.table["space"]
            self._space = build_space(record, plugins_in_use(), self.path)
            require_block_listing(self._space, record["name"])
        return self._space

    def predict(self, model: ArchaiModel) -> float:
        try:
            return predict_ms(self.table, self.space.latency_blocks(model))
        except KeyError as exc:
            raise ValueError(f"{model.archid!r} has block {exc.args[0]!r}, which latency table {self.path!r} does "
                             "not hold (was the table built for another configuration of the space?)") from None

    @overrides
    def evaluate(self, arch: ArchaiModel, budget: Optional[float] = None) -> float:
        return self.predict(arch)
