"""Does the user's data fit the search space? Checked once, before the first evaluation.

A space built for 1-channel images and a dataset of feature rows would otherwise fail every
training evaluation with a shape error, and the search would end with an empty front. So before a
search starts, one sample model of the space is built and one batch of each training evaluator's
data goes through it (forward only, on the CPU); its outputs are checked against the labels. A
mismatch is one ``DataMismatch`` message naming the space and the dataset and what each says.

The contract, all optional, so a third-party component takes part by adding methods:

* An evaluator that trains on data has ``training_data()``: its dataset provider. A wrapper
  (``process_pool``, ``ray``) that keeps the evaluator it runs as ``.evaluator`` is looked through.
* An evaluator may have ``check_fits(model)``: run one batch through ``model.arch`` and raise
  ``DataMismatch`` when it does not fit (``check_batch`` does the forward pass and the label
  check for classification and regression). Without it, ``check_batch`` runs on a batch of
  ``training_data()`` as a classifier.
* A provider may have ``task`` (``"classification"``, the default, or ``"regression"``).
* A provider whose samples are not images or feature rows (token windows, say) may have
  ``space_sizes()``: the sizes a space takes from it, by factory parameter name
  (``{"vocab_size": 256, "max_sequence_length": 128}``), instead of those read off its shape.

``data_sizes`` reads the sizes a space takes from the data (``in_channels``, ``img_size``,
``num_features``, ``num_classes``); ``nas_kernel.experiment.build`` fills them into a space whose
experiment does not set them.
"""
from __future__ import annotations

import copy
from typing import Any, Dict, Iterator, List, Optional, Tuple

__all__ = [
    "DATA_SIZED", "DataMismatch", "DataUnreadable", "training_data", "data_sizes", "describe_data", "sample_batch",
    "check_batch",
]

#: space factory parameters the data can supply (``nas_kernel.experiment.build`` fills them when unset)
DATA_SIZED = ("in_channels", "img_size", "num_features", "num_classes")
#: samples in the preflight batch
BATCH = 16


class DataMismatch(ValueError):
    """The data does not fit the model: ``str()`` says what the data gives and what failed."""


class DataUnreadable(ValueError):
    """Reading one batch of an evaluator's data failed (a file that cannot be decoded): ``label``
    says whose data, ``__cause__`` is the reader's error."""

    def __init__(self, label: Any, error: BaseException) -> None:
        self.label = label
        super().__init__(str(error))


def training_data(evaluator: Any) -> Optional[Any]:
    """The dataset provider ``evaluator`` trains on (looking through wrappers), or None."""
    seen = 0
    while evaluator is not None and seen < 8:
        method = getattr(evaluator, "training_data", None)
        if callable(method):
            return method()
        evaluator, seen = getattr(evaluator, "evaluator", None), seen + 1
    return None


def fit_checker(evaluator: Any) -> Optional[Any]:
    """The evaluator (itself or the one it wraps) that takes part in the check, or None."""
    seen = 0
    while evaluator is not None and seen < 8:
        if callable(getattr(evaluator, "check_fits", None)) or callable(getattr(evaluator, "training_data", None)):
            return evaluator
        evaluator, seen = getattr(evaluator, "evaluator", None), seen + 1
    return None


def task_of(provider: Any) -> str:
    return str(getattr(provider, "task", "classification") or "classification")


def data_sizes(provider: Any) -> Dict[str, Any]:
    """What a space can take from ``provider``: ``in_channels`` and ``img_size`` for images
    ``(C, H, W)``, ``num_features`` for rows ``(F,)``, ``num_classes`` (1 output for regression);
    or what the provider's own ``space_sizes()`` says."""
    from nas_kernel.api.dataset import input_shape

    own = getattr(provider, "space_sizes", None)
    if callable(own):
        return dict(own())
    shape = input_shape(provider)
    sizes: Dict[str, Any] = {}
    if len(shape) == 3:
        sizes["in_channels"], sizes["img_size"] = shape[0], [shape[1], shape[2]]
    elif len(shape) == 1:
        sizes["num_features"] = shape[0]
    if task_of(provider) == "regression":
        sizes["num_classes"] = int(getattr(provider, "num_targets", 1) or 1)
    elif getattr(provider, "num_classes", None) is not None:
        sizes["num_classes"] = int(provider.num_classes)
    return sizes


def describe_data(provider: Any) -> str:
    """``feature rows of shape (30,) with 2 classes`` and the like, for messages."""
    from nas_kernel.api.dataset import input_shape

    shape = input_shape(provider)
    if len(shape) == 1:
        what = f"feature rows of shape ({shape[0]},)"
    elif len(shape) == 3:
        what = f"{shape[0]}-channel {shape[1]}x{shape[2]} images"
    else:
        what = f"samples of shape {tuple(shape)}"
    if task_of(provider) == "regression":
        return f"{what} with float targets"
    n = getattr(provider, "num_classes", None)
    return f"{what} with {n} classes" if n is not None else what


def describe_space(space: Any) -> str:
    """What a space's models take, read from its size attributes (``1-channel 8x8 image models
    with 10 outputs``); a space may say it itself with ``describe_inputs()``."""
    method = getattr(space, "describe_inputs", None)
    if callable(method):
        return str(method())
    parts = []
    features = getattr(space, "num_features", None)
    channels = getattr(space, "in_channels", None)
    size = getattr(space, "img_size", None)
    if isinstance(features, int):
        parts.append(f"models of {features} input features")
    elif isinstance(channels, int):
        grid = f" {size[0]}x{size[1]}" if isinstance(size, (list, tuple)) and len(size) == 2 else ""
        parts.append(f"{channels}-channel{grid} image models")
    else:
        parts.append(f"{type(space).__name__} models")
    classes = getattr(space, "num_classes", None)
    if isinstance(classes, int):
        parts.append(f"with {classes} outputs")
    return " ".join(parts)


def sample_batch(provider: Any, n: int = BATCH) -> Tuple[Any, Any]:
    """The first ``n`` training samples as ``(X, y)`` tensors."""
    method = getattr(provider, "sample_batch", None)
    if callable(method):
        return method(n)
    X, y = provider.get_train()
    return X[:n], y[:n]


def check_batch(net: Any, X: Any, y: Any, task: str = "classification", num_classes: Optional[int] = None) -> None:
    """Forward ``X`` through ``net`` (eval mode, no gradients, CPU) and check the outputs against
    ``y`` (and against ``num_classes``, the labels the whole data may hold); ``DataMismatch``
    saying what went wrong. The net's training mode is restored."""
    import torch

    was_training = getattr(net, "training", False)
    try:
        if hasattr(net, "eval"):
            net.eval()
        with torch.no_grad():
            out = net(X)
    except Exception as exc:  # the shapes do not agree: say it the way torch did, in one line
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise DataMismatch(f"a batch of shape {tuple(X.shape)} fails in the model: {type(exc).__name__}: "
                           f"{first}") from None
    finally:
        if was_training and hasattr(net, "train"):
            net.train()
    if not isinstance(out, torch.Tensor):
        raise DataMismatch(f"the model returned a {type(out).__name__}, not a tensor of outputs")
    n = len(y)
    if task == "regression":
        targets = 1 if y.dim() == 1 else int(y[0].numel())
        if out.shape[0] != n or out[0].numel() != targets:
            raise DataMismatch(f"the model gives outputs of shape {tuple(out.shape[1:])} per sample for "
                               f"{targets} float target(s)")
        return
    if out.dim() != 2 or out.shape[0] != n:
        raise DataMismatch(f"the model gives outputs of shape {tuple(out.shape)} for a batch of {n}; a "
                           f"classifier gives ({n}, classes)")
    top = max(int(y.max()) if n else -1, int(num_classes or 0) - 1)
    if top >= out.shape[1]:
        raise DataMismatch(f"the model has {out.shape[1]} outputs, but the labels go up to {top}")


def check_evaluator(evaluator: Any, model: Any) -> None:
    """One evaluator's check on ``model``: its own ``check_fits`` or the default batch check."""
    checker = fit_checker(evaluator)
    if checker is None:
        return
    own = getattr(checker, "check_fits", None)
    if callable(own):
        own(model)
        return
    provider = training_data(checker)
    if provider is None:
        return
    X, y = sample_batch(provider)
    check_batch(model.arch, X, y, task_of(provider), getattr(provider, "num_classes", None))


def sample_model(space: Any) -> Any:
    """One model of ``space`` drawn without moving the space's own generator (the search must
    draw the same candidates as without the check)."""
    states = []
    for name in ("rng", "np_rng", "generator"):
        rng = getattr(space, name, None)
        if hasattr(rng, "getstate"):
            states.append((rng, rng.getstate(), "random"))
        elif hasattr(rng, "bit_generator"):
            states.append((rng, copy.deepcopy(rng.bit_generator.state), "numpy"))
    if not states:
        return copy.deepcopy(space).random_sample()
    try:
        return space.random_sample()
    finally:
        for rng, state, kind in states:
            if kind == "random":
                rng.setstate(state)
            else:
                rng.bit_generator.state = state


def mismatches(space: Any, evaluators: List[Tuple[str, Any]]) -> Iterator[Tuple[str, Any, DataMismatch]]:
    """``(label, provider, mismatch)`` for each of ``evaluators`` (``(label, evaluator)`` pairs)
    whose data does not fit one sample model of ``space``."""
    todo = [(label, ev) for label, ev in evaluators if fit_checker(ev) is not None]
    if not todo:
        return
    model = sample_model(space)
    for label, evaluator in todo:
        try:
            check_evaluator(evaluator, model)
        except DataMismatch as exc:
            yield label, training_data(evaluator), exc
        except (ValueError, OSError) as exc:  # the data could not be read: the user's to fix, named
            raise DataUnreadable(label, exc) from exc
