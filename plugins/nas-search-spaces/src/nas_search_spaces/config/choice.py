"""One discrete architecture parameter: its options, optional sampling weights, and how it is
encoded for predictors."""
from __future__ import annotations

import numbers
from typing import Any, List, Optional, Sequence

from nas_kernel.api.overridable import OpenOverrides

ENCODE_STRATEGIES = ("auto", "ordinal", "one_hot")


def _is_number(value: Any) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


class DiscreteChoice(OpenOverrides):
    """A parameter taking one of ``choices``.

    Using the *same* ``DiscreteChoice`` object at several places of a tree ties them: they are
    one parameter and always take the same value.

    Args:
        choices: the options (any values: numbers, strings, lists, mappings, classes...).
        probabilities: sampling weights (default uniform); need not sum to 1.
        encode_strategy: ``ordinal`` encodes one number (the value itself when every option is a
            number, else the option's index); ``one_hot`` one slot per option; ``auto`` picks
            ordinal for all-numeric options and one-hot otherwise.
    """

    def __init__(self, choices: Sequence[Any], probabilities: Optional[Sequence[float]] = None,
                 encode_strategy: str = "auto") -> None:
        if isinstance(choices, (str, bytes)) or not isinstance(choices, Sequence) or len(choices) == 0:
            raise ValueError(f"choices must be a non-empty list, got {choices!r}")
        self.choices = list(choices)
        if probabilities is not None:
            probabilities = [float(p) for p in probabilities]
            if len(probabilities) != len(self.choices) or any(p < 0 for p in probabilities) or sum(probabilities) <= 0:
                raise ValueError(f"probabilities must be {len(self.choices)} non-negative weights with a positive sum, "
                                 f"got {probabilities!r}")
        self.probabilities = probabilities
        if encode_strategy not in ENCODE_STRATEGIES:
            raise ValueError(f"encode_strategy must be one of {ENCODE_STRATEGIES}, got {encode_strategy!r}")
        self.numeric = all(_is_number(c) for c in self.choices)
        if encode_strategy == "auto":
            encode_strategy = "ordinal" if self.numeric else "one_hot"
        self.encode_strategy = encode_strategy

    def __len__(self) -> int:
        return len(self.choices)

    def __getitem__(self, index: int) -> Any:
        return self.choices[index]

    def sample_index(self, rng) -> int:
        """Index of an option drawn with ``rng`` (a ``random.Random``)."""
        if self.probabilities is None:
            return rng.randrange(len(self.choices))
        return rng.choices(range(len(self.choices)), weights=self.probabilities)[0]

    def random_sample(self, rng) -> Any:
        return self.choices[self.sample_index(rng)]

    @property
    def encoded_length(self) -> int:
        return len(self.choices) if self.encode_strategy == "one_hot" else 1

    def encode(self, index: int) -> List[float]:
        """The encoding of option ``index``."""
        if self.encode_strategy == "one_hot":
            vector = [0.0] * len(self.choices)
            vector[index] = 1.0
            return vector
        return [float(self.choices[index]) if self.numeric else float(index)]

    def __repr__(self) -> str:
        return f"DiscreteChoice({self.choices!r})"
