"""Search, then evaluate, from one YAML experiment file.

``ExperimentRunner(config_filename, base_name)`` reads the file with ``yaml.safe_load``,
checks it against the schema (``nas_supergraph.conf.RUNNER``; one ``ValueError`` naming the
first wrong key) and works in ``expdir = common.logdir/base_name`` (``$expdir`` in any file name
of the config stands for it). ``run_search`` trains the supergraph with ``trainer_class()``,
finalizes it with ``finalizers()`` and saves the searched description; ``run_eval`` lays it out
at the evaluation's size and trains it; ``run(search, eval)`` does both. A killed run started
again with the same file continues: a finished search or evaluation is read back, an unfinished
one resumes from its checkpoint (loaded with ``weights_only=True``); one made with other
settings is refused (search) or redone (evaluation). The evaluated model's weights are kept
next to the evaluation's metrics (``eval_model_weights.pt``), so a finished evaluation read back
gives the trained model too (``eval_result.model``), not only its metrics.

Subclass and override ``model_desc_builder()``, ``trainer_class()`` or ``finalizers()`` to
change one part, as an algorithm does. A minimal file (every other key has a default)::

    common: {seed: 1, logdir: runs}
    dataset: {name: digits}
    nas:
      search:
        model_desc: {n_cells: 1, n_reductions: 0, model_stems: {init_node_ch: 4}, cell: {n_nodes: 2}}
        trainer: {algorithm: darts, epochs: 2, device: cpu}
      eval:
        model_desc: {n_cells: 1, n_reductions: 0, model_stems: {init_node_ch: 8}, cell: {n_nodes: 2}}
        trainer: {epochs: 5, device: cpu}
"""
from __future__ import annotations

import os
import shutil
from typing import Any, Callable, Dict, List, Optional, Tuple, Type

from nas_kernel.api.overridable import OpenOverrides
from nas_supergraph.arch_trainer import ArchTrainer
from nas_supergraph.conf import runner_conf
from nas_supergraph.data import describe, resolve_dataset
from nas_supergraph.evaluater import EvalResult, Evaluater
from nas_supergraph.finalizers import Finalizers
from nas_supergraph.model_desc_builder import ModelDescBuilder
from nas_supergraph.progress import EpochProgress
from nas_supergraph.random_finalizers import RandomFinalizers
from nas_supergraph.search_combinations import SearchCombinations
from nas_supergraph.searcher import Searcher, SearchResult

EpochCallback = Callable[[str, int, Dict[str, float]], None]
EVAL_WEIGHTS = "eval_model_weights.pt"  #: the evaluated model's weights, next to its metrics file


class ExperimentRunner(OpenOverrides):
    """Runs one search-then-eval experiment; see the module docstring for the file.

    ``dataset`` (not in the seed API): a provider to use instead of the file's ``dataset``
    (tests and notebooks with in-memory tensors). ``progress_bar`` (not in the seed API): a
    per-epoch bar with the epoch's losses on stderr while the supergraph and the evaluated
    network train; False turns it off."""

    def __init__(self, config_filename: str, base_name: str, clean_expdir: bool = False, *,
                 dataset: Any = None, progress_bar: bool = True) -> None:
        import yaml

        if not isinstance(base_name, str) or not base_name or os.sep in base_name or base_name in (".", ".."):
            raise ValueError(f"base_name must be a plain directory name, got {base_name!r}")
        try:
            with open(config_filename, "r", encoding="utf-8") as f:
                raw = yaml.safe_load(f)
        except OSError as exc:
            raise ValueError(f"{config_filename}: cannot read the experiment file ({exc.strerror})") from None
        except yaml.YAMLError as exc:
            raise ValueError(f"{config_filename}: not valid YAML ({exc})") from None
        try:
            conf = runner_conf(raw)
        except ValueError as exc:
            raise ValueError(f"{config_filename}: {exc}") from None
        self.config_filename, self.base_name = config_filename, base_name
        self.expdir = os.path.join(conf["common"]["logdir"], base_name)
        if clean_expdir and os.path.isdir(self.expdir):
            shutil.rmtree(self.expdir)
        os.makedirs(self.expdir, exist_ok=True)
        self.conf = _expand(conf, self.expdir)
        self.seed, self.resume = self.conf["common"]["seed"], self.conf["common"]["resume"]
        self._dataset = dataset
        self.progress_bar = bool(progress_bar)
        self.epoch_callbacks: List[EpochCallback] = []

    # ---- parts (override to change one) -------------------------------------------------------
    def model_desc_builder(self) -> Optional[ModelDescBuilder]:
        return ModelDescBuilder()

    def trainer_class(self) -> Optional[Type[ArchTrainer]]:
        """The supergraph trainer (None: no training, the random-architecture baseline)."""
        return ArchTrainer

    def finalizers(self) -> Finalizers:
        if self.conf["nas"]["search"]["finalizer"] == "random":
            return RandomFinalizers(seed=self.seed)
        return Finalizers()

    @property
    def dataset(self) -> Any:
        if self._dataset is None or not hasattr(self._dataset, "get_train"):
            self._dataset = resolve_dataset(self._dataset or self.conf["dataset"], self.seed)
        return self._dataset

    # ---- running -----------------------------------------------------------------------------
    def run_search(self, conf_search: Dict[str, Any]) -> SearchResult:
        conf_search = self._with_data(conf_search)
        searcher = SearchCombinations if conf_search["pareto"]["enabled"] else Searcher
        search = searcher(self.dataset, self.seed, self.resume)
        search.epoch_callbacks.extend(self.epoch_callbacks)
        trainer_class = self.trainer_class()
        bar = EpochProgress("supergraph search", None if conf_search["pareto"]["enabled"] or trainer_class is None
                            else conf_search["trainer"]["epochs"], self.progress_bar and trainer_class is not None)
        search.epoch_callbacks.append(bar)
        try:
            return search.search(conf_search, self._builder(), trainer_class, self.finalizers())
        finally:
            bar.close()

    def run_eval(self, conf_eval: Dict[str, Any]) -> EvalResult:
        conf_eval = self._with_data(conf_eval)
        evaluater = Evaluater(self.dataset, self.seed, self.resume)
        evaluater.epoch_callbacks.extend(lambda e, info, cb=cb: cb("eval", e, info) for cb in self.epoch_callbacks)
        bar = EpochProgress("evaluation", conf_eval["trainer"]["epochs"], self.progress_bar)
        evaluater.epoch_callbacks.append(bar)
        try:
            result = evaluater.evaluate(conf_eval, self._builder())
        finally:
            bar.close()
        _keep_weights(result, os.path.join(os.path.dirname(os.path.abspath(conf_eval["metric_filename"])),
                                           EVAL_WEIGHTS))
        return result

    def run(self, search: bool = True, eval: bool = True) -> Tuple[Optional[SearchResult], Optional[EvalResult]]:
        """Search, then evaluate the searched description (read from disk when ``search`` is
        False); either part may be skipped."""
        search_result = self.run_search(self.conf["nas"]["search"]) if search else None
        eval_result = self.run_eval(self.conf["nas"]["eval"]) if eval else None
        return search_result, eval_result

    def _builder(self) -> ModelDescBuilder:
        return self.model_desc_builder() or ModelDescBuilder()  # None: the default builder

    def _with_data(self, section: Dict[str, Any]) -> Dict[str, Any]:
        """The section with ``model_desc.dataset`` channels and classes filled from the data."""
        in_channels, num_classes = describe(self.dataset)
        out = dict(section)
        md = dict(out["model_desc"])
        ds = dict(md.get("dataset") or {})
        for key, value in (("channels", in_channels), ("n_classes", num_classes)):
            if ds.get(key) is None:
                ds[key] = value
            elif ds[key] != value:
                raise ValueError(f"model_desc.dataset.{key} is {ds[key]} but the dataset has {value}")
        md["dataset"] = ds
        out["model_desc"] = md
        return out


def _keep_weights(result: EvalResult, path: str) -> None:
    """Save the model an evaluation just trained, or load the saved one into a result read back
    (only weights saved for the same evaluation: its ``run_key``)."""
    import torch

    from nas_supergraph.model import Model

    run_key = (result.train_metrics or {}).get("run_key")
    if result.model is not None:
        tmp = f"{path}.tmp-{os.getpid()}"
        torch.save({"run_key": run_key, "model": {k: v.detach().cpu() for k, v in result.model.state_dict().items()}}, tmp)
        os.replace(tmp, path)
    elif result.model_desc is not None and os.path.isfile(path):
        saved = torch.load(path, map_location="cpu", weights_only=True)
        if isinstance(saved, dict) and saved.get("run_key") == run_key:
            model = Model(result.model_desc, droppath=True, affine=True)
            model.load_state_dict(saved["model"])
            result.model = model.eval()


def _expand(value: Any, expdir: str) -> Any:
    if isinstance(value, str):
        return value.replace("$expdir", expdir)
    if isinstance(value, dict):
        return {k: _expand(v, expdir) for k, v in value.items()}
    if isinstance(value, list):
        return [_expand(v, expdir) for v in value]
    return value
