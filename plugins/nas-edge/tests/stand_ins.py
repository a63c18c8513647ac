"""What the experiments of these tests name beside this plugin's components, registered by this
test plugin instead of other plugins: the kernel's reference ``Glyphs`` images (as ``glyphs``),
its random sampling (``sampling``) and archid score (``archid_score``). The ``nas`` subprocesses
load it through ``nas_env``; code in this process gets a manager with it (``manager``)."""
from __future__ import annotations

import sys
from pathlib import Path

from nas_kernel import hookimpl
from nas_kernel.testing.reference import ArchidScore, Glyphs, RandomSampling
from nas_kernel.testing.plugin_site import plugin_env

HERE = Path(__file__).resolve().parent
DIST = "nas-edge-test-stand-ins"


@hookimpl
def register_datasets(register):
    register("glyphs", Glyphs)


@hookimpl
def register_searchers(register):
    register("sampling", RandomSampling)


@hookimpl
def register_evaluators(register):
    register("archid_score", ArchidScore)


def manager():
    """A plugin manager of nas-edge and this module only."""
    from nas_kernel.plugins import make_plugin_manager

    pm = make_plugin_manager(only=["nas-edge"])
    pm.register(sys.modules[__name__], name=DIST)
    return pm


def nas_env(root: Path) -> dict:
    """The environment of a ``nas`` subprocess loading nas-edge and this module only."""
    return plugin_env(root, DIST, "stand_ins", HERE, ["nas-edge"])
