"""The searcher of the real ``nas search`` runs of these tests, registered by this test plugin
instead of another plugin's: the kernel's reference random sampling, as ``sampling``. The ``nas``
subprocesses load it through ``nas_env``; code in this process gets a manager with it
(``manager``)."""
from __future__ import annotations

import sys
from pathlib import Path

from nas_kernel import hookimpl
from nas_kernel.testing.reference import RandomSampling
from nas_kernel.testing.plugin_site import plugin_env

HERE = Path(__file__).resolve().parent
DIST = "nas-transformers-test-searcher"


@hookimpl
def register_searchers(register):
    register("sampling", RandomSampling)


def manager():
    """A plugin manager of nas-transformers and this module only."""
    from nas_kernel.plugins import make_plugin_manager

    pm = make_plugin_manager(only=["nas-transformers"])
    pm.register(sys.modules[__name__], name=DIST)
    return pm


def nas_env(root: Path) -> dict:
    """The environment of a ``nas`` subprocess loading nas-transformers and this module only."""
    return plugin_env(root, DIST, "sampling_plugin", HERE, ["nas-transformers"], entry_name="sampling")
