"""Search-space contracts: what a searcher may ask of a space, by capability."""
from __future__ import annotations

from typing import List

from overrides import EnforceOverrides

from nas_kernel.api.model import ArchaiModel
from nas_kernel.api.overridable import OpenOverrides, abstract

__all__ = ["DiscreteSearchSpace", "EvolutionarySearchSpace", "BayesOptSearchSpace"]


class DiscreteSearchSpace(OpenOverrides, EnforceOverrides):
    """A space a searcher can sample from and persist models of.

    ``random_sample`` must draw from the space's own seeded generator, so two spaces built with
    the same seed give the same samples (the reproducibility every search relies on).
    """

    @abstract
    def save_arch(self, model: ArchaiModel, file_path: str):
        """Write enough to rebuild ``model`` with ``load_arch``; must work when ``model.arch`` is None."""

    @abstract
    def load_arch(self, file_path: str):
        """Rebuild a model saved by ``save_arch``; its archid must equal the saved one."""

    @abstract
    def save_model_weights(self, model: ArchaiModel, file_path: str):
        """Write the model's weights."""

    @abstract
    def load_model_weights(self, model: ArchaiModel, file_path: str):
        """Load weights written by ``save_model_weights`` into ``model`` (safely: no pickles)."""

    @abstract
    def random_sample(self):
        """Draw one architecture uniformly (or by the space's own prior)."""


class EvolutionarySearchSpace(DiscreteSearchSpace):
    """A space with neighbourhood moves, for evolutionary and local searchers."""

    @abstract
    def mutate(self, arch: ArchaiModel):
        """Return a neighbour of ``arch``; ``arch`` itself must not change."""

    @abstract
    def crossover(self, arch_list: List[ArchaiModel]):
        """Combine the parents into a child; the parents must not change."""


class BayesOptSearchSpace(DiscreteSearchSpace):
    """A space whose architectures encode to fixed-length vectors, for predictor-guided searchers.

    ``encode`` is the space's default encoding. A space may offer more under names
    (``encodings`` lists them, ``encode_as`` computes one), so a searcher or benchmark can pick
    the encoding its predictor ranks best with, by name, without knowing the space. An encoding
    named ``graph`` follows ``nas_kernel.toolbox.graph_encoding``, so graph predictors can read it.
    """

    DEFAULT_ENCODING = "default"

    @abstract
    def encode(self, arch: ArchaiModel):
        """Return a 1-D numpy array whose length is the same for every architecture of the space."""

    def encodings(self) -> List[str]:
        """Names ``encode_as`` accepts; ``"default"`` (``encode``) is always one of them."""
        return [self.DEFAULT_ENCODING]

    def encode_as(self, arch: ArchaiModel, encoding: str = DEFAULT_ENCODING):
        """``arch`` in the named encoding (a 1-D array of one length per encoding); ValueError
        naming ``encoding`` for a name the space does not offer."""
        if encoding == self.DEFAULT_ENCODING:
            return self.encode(arch)
        raise ValueError(f"encoding must be one of {self.encodings()}, got {encoding!r}")
