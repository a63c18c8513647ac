"""Per-epoch progress bars (stderr) for the long phases of a supergraph run: training the
supergraph and training the searched network. Without them a one-shot search shows one
iteration for minutes. A bar is off when asked (``progress_bar=False``) and inside a quiet run
(``nas search -q``, through the kernel's ``progress_enabled``)."""
from __future__ import annotations

import sys
from typing import Any, Optional


class EpochProgress:
    """An epoch callback that moves a bar one epoch and shows the epoch's numeric metrics. It
    takes both callback forms, ``(epoch, info)`` and ``(phase, epoch, info)``."""

    def __init__(self, label: str, total: Optional[int], enabled: bool = True) -> None:
        from nas_kernel.run_context import progress_enabled

        self.bar = None
        if progress_enabled(enabled):
            from tqdm import tqdm

            self.bar = tqdm(total=total, desc=label, unit="epoch", leave=False, file=sys.stderr)

    def __call__(self, *args: Any) -> None:
        if self.bar is None:
            return
        info = args[-1] if args and isinstance(args[-1], dict) else {}
        self.bar.update(1)
        self.bar.set_postfix_str(", ".join(f"{k} {v:.4g}" for k, v in info.items()
                                           if isinstance(v, float)))

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None
