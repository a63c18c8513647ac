"""``nas train-best DIR``: retrain (or continue training) the best Pareto models of a finished run
and save their weights, architecture and an ONNX export.

The run is rebuilt from the experiment it saved (``nas_kernel.experiment.build.load_run``); the training
evaluator is the run's own ``partial_training`` (found inside pools), with more epochs and a
checkpoint folder, so training the same model again with the same settings continues from the
last checkpoint instead of starting over.

``continue_training`` (``--continue``, HiveNAS's ``fully_train_best_model(from_arch=False)``)
starts from the weights the search trained instead: the search's own checkpoint of the model
(its ``partial_training`` needs ``checkpoint_dir``), else the saved Pareto weights
(``pareto_models/{archid}_weights.pt``), and trains ``epochs`` more epochs with a fresh optimizer
(the search's optimizer state is not carried over, as in HiveNAS). ``epochs`` in the record counts
the new epochs only.

Evaluators other than ``partial_training`` take part through one method,
``train_final(model, epochs, device=None) -> (score, trained ArchaiModel)``: the supergraph's
``final_training`` trains the discrete network of a DARTS or GDAS cell that way. Whatever trained
the model, its ``provider()`` tells how inputs were preprocessed (``input_transform()`` of the
dataset contract); that goes next to the weights (``<archid>_preprocessing.json``) and into the
ONNX file's metadata (key ``preprocessing``), so a deployed model is fed what it was trained on.
An ONNX export that fails is one line naming the model and the cause; the weights and the
summary are written all the same.
"""
from __future__ import annotations

import contextlib
import copy
import json
import os
from typing import Any, Dict, List, Optional

from nas_kernel.paths import inside, safe_filename
from nas_kernel.run_files import (PARETO_JSON, PARETO_MODELS, PREPROCESSING_SUFFIX, TRAIN_BEST, TRAIN_BEST_RECORDS,
                                  WEIGHTS_SUFFIX)


def find_trainer(evaluator: Any) -> Optional[Any]:
    """The PartialTraining, or an evaluator with ``train_final``, inside an evaluator (pools and
    Ray keep theirs as ``.evaluator``)."""
    from nas_evaluators.training import PartialTraining

    seen = 0
    while evaluator is not None and seen < 8:
        if isinstance(evaluator, PartialTraining) or callable(getattr(evaluator, "train_final", None)):
            return evaluator
        evaluator, seen = getattr(evaluator, "evaluator", None), seen + 1
    return None


def pick_best(run_dir: str, objective: str, higher_is_better: bool, top: int) -> List[str]:
    path = os.path.join(run_dir, PARETO_JSON)
    front = []
    if os.path.exists(path):
        with open(path, encoding="utf-8") as f:
            front = json.load(f)
    scored = [row for row in front if isinstance(row.get(objective), (int, float))]
    if not scored:
        raise ValueError(f"{run_dir}: the Pareto front is empty, so there is no model to train: {_why_empty(run_dir)}")
    scored.sort(key=lambda row: row[objective], reverse=higher_is_better)
    return [row["archid"] for row in scored[:top]]


def _why_empty(run_dir: str) -> str:
    """Why a run has no front, from its store: the objectives that never succeeded, else its status."""
    from nas_kernel.failures import failure_summary
    from nas_kernel.store_reader import open_store

    try:
        store = open_store(run_dir)
        try:
            failed = failure_summary(store.evaluations(), only_total=True)
            status = store.get_meta("status") or "unknown"
        finally:
            store.close()
    except Exception:
        return "the run stored no results"
    if failed:
        return f"{failed} (nas results show {run_dir} lists them)"
    return f"the search is {status} and evaluated no model successfully"


def search_weights(run_dir: str, search_trainer: Any, space: Any, model: Any) -> Optional[str]:
    """Load the weights the search trained for ``model`` into it; returns where they came from,
    or None when the run kept none."""
    from nas_evaluators.checkpoints import load_checkpoint

    if search_trainer.checkpoint_dir:
        state = load_checkpoint(search_trainer.checkpoint_dir, model.archid, search_trainer.settings())
        if state is not None:
            model.arch.load_state_dict(state["model"])
            return f"{search_trainer.checkpoint_dir} ({state['epochs']} epochs)"
    saved = inside(os.path.join(run_dir, PARETO_MODELS), safe_filename(model.archid) + WEIGHTS_SUFFIX)
    if os.path.isfile(saved):
        space.load_model_weights(model, saved)
        return saved
    return None


def train_best(run_dir: str, manager: Any, *, epochs: int, top: int = 1, objective: Optional[str] = None,
               onnx: bool = True, echo=print, device: Optional[str] = None,
               continue_training: bool = False) -> List[dict]:
    """Train the ``top`` front models (ranked by ``objective``) for ``epochs``; returns one
    record per model with its score and the files written. ``device`` (``auto``, ``cpu``,
    ``cuda``, ``cuda:N``) replaces the device of the run's trainer; None keeps it."""
    from nas_kernel.toolbox.devices import check_device

    device = None if device is None else check_device("--device", device)
    from nas_kernel.experiment.build import load_run
    from nas_evaluators.checkpoints import load_checkpoint
    from nas_evaluators.training import PartialTraining

    experiment = load_run(run_dir, manager)
    objectives = experiment.objectives.objectives
    trainers = {name: find_trainer(spec.evaluator) for name, spec in objectives.items()}
    trainers = {name: t for name, t in trainers.items() if t is not None}
    if not trainers:
        raise ValueError(f"{run_dir}: no objective is computed by partial_training or an evaluator with "
                         "train_final (such as final_training); nothing knows how to train")
    rank_by = objective or next(iter(trainers))  # any objective ranks; the run's trainer trains
    if rank_by not in objectives:
        raise ValueError(f"--objective {rank_by!r} is not an objective of this run; choose one of: "
                         f"{', '.join(objectives)}")
    name = rank_by if rank_by in trainers else next(iter(trainers))
    if not isinstance(trainers[name], PartialTraining):
        if continue_training:
            raise ValueError(f"--continue needs partial_training; {name!r} is computed by "
                             f"{type(trainers[name]).__name__}, which retrains from scratch")
        return _train_final(run_dir, experiment, name, trainers[name], epochs=epochs, top=top, onnx=onnx,
                            echo=echo, device=device, rank_by=rank_by)
    trainer = copy.deepcopy(trainers[name])
    trainer.epochs = int(epochs)
    trainer.act_beta = 0.0
    if device is not None:
        trainer.device = device
    out_dir = os.path.join(run_dir, TRAIN_BEST)
    trainer.checkpoint_dir = os.path.join(out_dir, "checkpoints-continued" if continue_training else "checkpoints")
    if continue_training:
        trainer.reset_weights = False  # start from the loaded search-time weights
    records = []
    for archid in pick_best(run_dir, rank_by, objectives[rank_by].higher_is_better, top):
        model = experiment.search_space.load_arch(inside(os.path.join(run_dir, PARETO_MODELS), safe_filename(archid)))
        if continue_training:
            source = search_weights(run_dir, trainers[name], experiment.search_space, model)
            if source is None:
                raise ValueError(f"{archid}: the run kept no trained weights to continue from; give its "
                                 "partial_training a checkpoint_dir (or run without --continue)")
            echo(f"continuing {archid} from {source} for {epochs} more epochs")
        else:
            echo(f"training {archid} for {epochs} epochs")
        score = trainer.evaluate(model, None)
        state = load_checkpoint(trainer.checkpoint_dir, model.archid, trainer.settings())
        model.arch.load_state_dict(state["model"])
        record = {"archid": archid, name: score, "epochs": state["epochs"], "continued": bool(continue_training),
                  "device": model.metadata.get("device")}
        records.append(_keep(experiment.search_space, model, archid, out_dir, trainer.provider(), record, onnx, echo))
    return _write_summary(out_dir, records)


def _train_final(run_dir: str, experiment: Any, name: str, evaluator: Any, *, epochs: int, top: int, onnx: bool,
                 echo, device: Optional[str], rank_by: Optional[str] = None) -> List[dict]:
    """The front models trained by the evaluator's own ``train_final`` (e.g. the discrete network
    of a one-shot search's cell, trained by ``final_training``)."""
    out_dir = os.path.join(run_dir, TRAIN_BEST)
    records = []
    rank_by = rank_by or name
    for archid in pick_best(run_dir, rank_by, experiment.objectives.objectives[rank_by].higher_is_better, top):
        model = experiment.search_space.load_arch(inside(os.path.join(run_dir, PARETO_MODELS), safe_filename(archid)))
        echo(f"training {archid} for {epochs} epochs")
        score, trained = evaluator.train_final(model, int(epochs), device=device)
        record = {"archid": archid, name: float(score), "epochs": int(epochs), "continued": False,
                  "device": trained.metadata.get("device")}
        records.append(_keep(experiment.search_space, trained, archid, out_dir, evaluator.provider(), record, onnx,
                             echo))
    return _write_summary(out_dir, records)


def _keep(space: Any, model: Any, archid: str, out_dir: str, provider: Any, record: dict, onnx: bool,
          echo) -> dict:
    """Write the trained model's architecture, weights, preprocessing and (``onnx``) ONNX file;
    ``record`` gets their paths. An export failure is recorded and told in one line."""
    from nas_kernel.api.dataset import input_transform, torch_dataset

    os.makedirs(out_dir, exist_ok=True)
    base = inside(out_dir, safe_filename(archid))
    space.save_arch(model, base + ".arch")
    space.save_model_weights(model, base + WEIGHTS_SUFFIX)
    transform = input_transform(provider)
    with open(base + PREPROCESSING_SUFFIX, "w", encoding="utf-8") as f:
        json.dump(transform, f, indent=2)
    record.update({"arch": base + ".arch", "weights": base + WEIGHTS_SUFFIX,
                   "preprocessing": base + PREPROCESSING_SUFFIX})
    if onnx:
        try:
            example = torch_dataset(provider, "val")[0][0].unsqueeze(0)  # one real sample: its shape and dtype
            record["onnx"] = export_onnx(model.arch, example, base + ".onnx",
                                         metadata={"archid": archid, "preprocessing": json.dumps(transform)})
        except Exception as exc:  # any exporter failure: the model stays usable from its weights
            record["onnx"], record["onnx_error"] = None, export_error(exc)
            echo(f"{archid}: ONNX export failed: {record['onnx_error']} (weights: {record['weights']})")
    return record


def _write_summary(out_dir: str, records: List[dict]) -> List[dict]:
    os.makedirs(out_dir, exist_ok=True)
    with open(os.path.join(out_dir, TRAIN_BEST_RECORDS), "w", encoding="utf-8") as f:
        json.dump(records, f, indent=2)
    return records


def export_error(exc: BaseException) -> str:
    """The cause of an export failure in one line: the exporter's first line, not the graph dump
    some exporters append."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    text = lines[0] if lines else ""
    text = f"{type(exc).__name__}: {text}" if text else type(exc).__name__
    return text if len(text) <= 300 else text[:297] + "..."


def _export_with_torch_export(module: Any, example: Any, path: str) -> bool:
    """The second try, for models the TorchScript exporter rejects (e.g. attention whose
    ``is_causal`` is computed while tracing): torch's ``torch.export``-based exporter, slower
    to run and needing ``onnxscript``. False when it is not installed or fails as well."""
    import importlib.util

    import torch

    if importlib.util.find_spec("onnxscript") is None:
        return False
    batch = torch.cat([example, example])  # a batch of two: a batch of one would be fixed at 1
    try:
        torch.onnx.export(module, (batch,), path, dynamo=True, input_names=["input"], output_names=["logits"],
                          dynamic_shapes=({0: torch.export.Dim("batch")},), verbose=False)
    except Exception:
        return False
    return True


@contextlib.contextmanager
def _silenced_output():
    """Discard what is written to the process's stdout and stderr meanwhile: the TorchScript
    exporter prints the whole graph from C++ when it fails, before raising its one-line error."""
    import sys
    import tempfile

    for stream in (sys.stdout, sys.stderr):
        stream.flush()
    saved = [os.dup(1), os.dup(2)]
    try:
        with tempfile.TemporaryFile() as sink:
            os.dup2(sink.fileno(), 1)
            os.dup2(sink.fileno(), 2)
            yield
    finally:
        for stream in (sys.stdout, sys.stderr):
            stream.flush()
        os.dup2(saved[0], 1)
        os.dup2(saved[1], 2)
        for fd in saved:
            os.close(fd)


def export_onnx(module: Any, example: Any, path: str, metadata: Optional[Dict[str, str]] = None) -> str:
    """Export with the TorchScript-based exporter (fast, no onnxscript needed) for inputs like
    ``example`` (a batch of one, or the shape of one sample for float inputs); the batch axis is
    dynamic. ``metadata`` is written into the file's ``metadata_props``. A file that failed half
    way is removed."""
    import warnings

    import torch

    module.eval()
    param = next(iter(module.parameters()), None)
    device = param.device if param is not None else "cpu"
    example = example.to(device) if torch.is_tensor(example) else torch.zeros((1, *example), device=device)
    try:
        with warnings.catch_warnings(), _silenced_output():
            warnings.simplefilter("ignore")
            try:
                torch.onnx.export(module, (example,), path, dynamo=False, input_names=["input"],
                                  output_names=["logits"], dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}})
            except Exception as first:
                if not _export_with_torch_export(module, example, path):
                    raise first
        if metadata:
            import onnx

            proto = onnx.load(path)
            for key, value in metadata.items():
                entry = proto.metadata_props.add()
                entry.key, entry.value = key, str(value)
            onnx.save(proto, path)
    except BaseException:
        if os.path.exists(path):
            os.remove(path)
        raise
    return path
