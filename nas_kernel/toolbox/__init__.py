"""The plugin author's toolbox: helpers that plugins share, kept beside the kernel's core.

The core (the API contracts, the search loop, the run session, the store, the CLI) does not need
these modules to run a search; plugins do, and each would otherwise write its own copy. Every
module here imports nothing heavy at import time and nothing from the core but the API, so a
plugin may use any of them without pulling the run machinery in. Each module's ``__all__`` is
its public surface (listed in ``docs/reference/api.md`` and held by ``tests/test_public_names.py``).

- ``devices``: the one rule for ``device:``, precision, threads, determinism and out-of-memory.
- ``params``: checks of a component's parameters, with messages naming the key.
- ``checkpoints``: atomic writes and safe (``weights_only``) reads of torch state.
- ``schedules``: learning-rate schedules by name.
- ``safe_pickle``: a restricted unpickler for files a user may be handed.
- ``lazy``: module attributes that import their home only when used.
- ``references``: ``"module:attr"`` references from an experiment file, resolved next to it.
- ``arch_files``: size-bounded, strict reading and atomic writing of architecture files.
- ``momentum``: the momentum score of a training curve (HiveNAS's early-stop signal).
- ``graph_encoding``: the flat layout in which a space's ``graph`` encoding reaches a graph predictor.
"""

__all__ = ["arch_files", "checkpoints", "devices", "graph_encoding", "lazy", "momentum", "params", "references",
           "safe_pickle", "schedules"]
