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

import random
from abc import abstractmethod
from typing import Any, Dict

from overrides import overrides

from nas_kernel.api import ArchaiModel, BayesOptSearchSpace, EvolutionarySearchSpace
from nas_kernel.toolbox.arch_files import read_arch, write_arch
from nas_kernel.toolbox.params import check_int



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
        write_arch(file_path, self.space_name, model.archid, self.describe(model))

    @overrides
    def load_arch(self, file_path: str):
        return read_arch(file_path, self.space_name, self.from_description)

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
