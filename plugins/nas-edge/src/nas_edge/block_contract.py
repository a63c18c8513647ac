"""The block-listing contract: what a search space offers to get latency tables.

A latency table times every distinct block a space can produce once, on the target device, and
predicts an architecture's latency as the sum of its blocks plus a measured fixed part. Any space
takes part, not only ``mobilenet``, by having four methods:

``latency_blocks(model) -> list[dict]``
    The model's blocks in forward order, each a JSON-able dict with a ``"key"`` (text) that is
    equal for two blocks exactly when they have the same module and input shape. Must work from
    the archid alone (on a cleared model).
``latency_block_universe() -> list[dict]``
    Every distinct block any architecture of the space can contain (the table's rows), with the
    same keys ``latency_blocks`` uses.
``build_latency_block(block) -> (torch.nn.Module, torch.Tensor)``
    The module of one block and an example input (batch 1) to time it on.
``latency_input_shape(model) -> tuple``
    The whole network's input shape for one inference (batch 1), to time it end to end.

:func:`check_lists_blocks` checks a space against the contract. With this plugin installed, the
conformance kit runs it on every search space that has any of the four methods
(``check_keeps_latency_block_contract``, given through the ``conformance_checks`` hook), so a
third party's ``check_search_space(space)`` or ``parametrize_with_checks`` holds the space to it.
"""
from __future__ import annotations

from typing import Any, List

METHODS = ("latency_blocks", "latency_block_universe", "build_latency_block", "latency_input_shape")


def missing_methods(space: Any) -> List[str]:
    return [m for m in METHODS if not callable(getattr(space, m, None))]


def require_block_listing(space: Any, name: str) -> None:
    """ValueError naming what is missing when ``space`` cannot list its blocks."""
    missing = missing_methods(space)
    if missing:
        raise ValueError(f"search space {name!r} cannot list its architectures' blocks, which latency tables "
                         f"need (it lacks {', '.join(missing)}; see docs/edge-devices.md, 'The block contract')")


def takes_part(component: Any) -> bool:
    """Whether ``component`` claims the contract: it has any of the four methods (a space with
    some but not all of them is held to it, and fails naming the missing ones)."""
    return any(callable(getattr(component, m, None)) for m in METHODS)


def check_keeps_latency_block_contract(space: Any) -> None:
    """The conformance kit's check of the contract (see :func:`check_lists_blocks`)."""
    check_lists_blocks(space)


def check_lists_blocks(space: Any, samples: int = 4) -> None:
    """Raise ``CheckFailed`` (an AssertionError) with a message when ``space`` breaks the block
    contract: every block of ``samples`` random (and cleared) models is in the universe, keys are
    unique there, and a block built from a listed dict runs on its example input."""
    import torch

    from nas_kernel.testing import CheckFailed

    name = type(space).__name__
    missing = missing_methods(space)
    if missing:
        raise CheckFailed(f"{name} lacks {', '.join(missing)}")
    universe = space.latency_block_universe()
    keys = [b.get("key") for b in universe]
    if not all(isinstance(k, str) and k for k in keys):
        raise CheckFailed(f"{name}.latency_block_universe() gave blocks without a text 'key'")
    if len(set(keys)) != len(keys):
        raise CheckFailed(f"{name}.latency_block_universe() lists a key twice")
    known = set(keys)
    for _ in range(samples):
        model = space.random_sample()
        model.clear()
        blocks = space.latency_blocks(model)
        outside = [b["key"] for b in blocks if b["key"] not in known]
        if not blocks or outside:
            raise CheckFailed(f"{name}.latency_blocks({model.archid!r}) lists blocks outside the universe: "
                                 f"{outside[:3]}" if blocks else f"{name}.latency_blocks gave no blocks")
        shape = tuple(space.latency_input_shape(model))
        if not shape or shape[0] != 1:
            raise CheckFailed(f"{name}.latency_input_shape({model.archid!r}) should start with batch 1, got {shape}")
    module, example = space.build_latency_block(blocks[len(blocks) // 2])
    with torch.no_grad():
        module.eval()(example)
