"""What every space of this distribution shares: its own seeded generator, torch weights files
(``state_dict`` only, loaded with ``weights_only=True``) and architecture files.

An architecture file is a small JSON document
``{"space": <name>, "format": 1, "archid": <archid>, "arch": {...}}``. Loading is safe by
construction (JSON, no objects) and strict: anything that is not exactly that shape, names
another space, or describes an architecture whose archid differs from the recorded one is
refused with a ValueError. Each space only says how to turn a
model into the ``arch`` mapping (``describe``) and back (``from_description``), both working
from the archid alone so cleared models (``arch is None``) can be saved.
"""
from __future__ import annotations

import json
import os
import random
from abc import abstractmethod
from typing import Any, Dict

from overrides import overrides

from nas_kernel.api import ArchaiModel, BayesOptSearchSpace, EvolutionarySearchSpace
from nas_kernel.params import check_int

ARCH_FORMAT = 1
MAX_ARCH_FILE_BYTES = 1 << 20


class SeededSpace(EvolutionarySearchSpace, BayesOptSearchSpace):
    """Base of the spaces here. Subclasses set ``space_name`` and implement the moves."""

    space_name = "space"

    def __init__(self, seed: int = 1) -> None:
        self.seed = check_int("seed", seed, 0)
        self.rng = random.Random(self.seed)

    # ---- architecture files ------------------------------------------------------------------
    @abstractmethod
    def describe(self, model: ArchaiModel):
        """JSON-able description of ``model`` (must not need ``model.arch``)."""

    @abstractmethod
    def from_description(self, description: Dict[str, Any]):
        """Rebuild a model from ``describe``'s output; ValueError if it is not valid here."""

    @overrides
    def save_arch(self, model: ArchaiModel, file_path: str):
        document = {"space": self.space_name, "format": ARCH_FORMAT, "archid": model.archid,
                    "arch": self.describe(model)}
        with open(file_path, "w", encoding="utf-8") as f:
            json.dump(document, f, indent=1, sort_keys=True)

    @overrides
    def load_arch(self, file_path: str):
        if os.path.getsize(file_path) > MAX_ARCH_FILE_BYTES:
            raise ValueError(f"{file_path}: too large for an architecture file")
        with open(file_path, "r", encoding="utf-8") as f:
            try:
                document = json.load(f)
            except json.JSONDecodeError as exc:
                raise ValueError(f"{file_path}: not an architecture file ({exc})") from None
        if not isinstance(document, dict) or set(document) != {"space", "format", "archid", "arch"}:
            raise ValueError(f"{file_path}: expected keys space, format, archid, arch")
        if document["space"] != self.space_name:
            raise ValueError(f"{file_path}: architecture of space {document['space']!r}, not {self.space_name!r}")
        if document["format"] != ARCH_FORMAT or not isinstance(document["arch"], dict):
            raise ValueError(f"{file_path}: unsupported architecture format {document['format']!r}")
        model = self.from_description(document["arch"])
        if model.archid != document["archid"]:
            raise ValueError(f"{file_path}: description gives archid {model.archid!r}, "
                             f"file says {document['archid']!r}")
        return model

    # ---- weights -----------------------------------------------------------------------------
    @overrides
    def save_model_weights(self, model: ArchaiModel, file_path: str):
        import torch

        torch.save(model.arch.state_dict(), file_path)

    @overrides
    def load_model_weights(self, model: ArchaiModel, file_path: str):
        import torch

        state = torch.load(file_path, map_location="cpu", weights_only=True)
        model.arch.load_state_dict(state)


def require_keys(description: Any, keys: set, where: str) -> Dict[str, Any]:
    """Check a description is a mapping with exactly ``keys``."""
    if not isinstance(description, dict) or set(description) != set(keys):
        got = sorted(description) if isinstance(description, dict) else type(description).__name__
        raise ValueError(f"{where}: expected keys {sorted(keys)}, got {got}")
    return description
