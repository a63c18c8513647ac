"""The one reader of an experiment: file (or the embedded default) -> ``--set`` -> shape checked,
defaults filled. What it returns is plain data (``spec``); building it is ``build``'s job."""
from __future__ import annotations

from typing import Any, Dict, Optional, Sequence, Tuple

from nas_kernel.experiment.overrides import apply_overrides
from nas_kernel.experiment.shape import validate
from nas_kernel.experiment.yaml_file import read_experiment

__all__ = ["read_spec"]


def read_spec(path: Optional[str], *, sets: Sequence[str] = (), seed: Optional[int] = None,
              output_dir: Optional[str] = None) -> Tuple[Dict[str, Any], str]:
    """The validated plain experiment of ``path`` and its source name (the path, or the default's)."""
    raw, source = read_experiment(path)
    raw = apply_overrides(raw, sets, source)
    return validate(raw, source, seed=seed, output_dir=output_dir), source
