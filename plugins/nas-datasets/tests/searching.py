"""The real ``nas search`` in a subprocess, with this plugin and the test components of
``search_plugin`` as the only plugins it loads."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from nas_kernel.testing.plugin_site import plugin_site as installed_plugin

HERE = Path(__file__).resolve().parent
DIST = "nas-datasets-search-test"


def plugin_site(root: Path) -> Path:
    """A folder holding a made-up installed distribution whose plugin is ``search_plugin``."""
    return installed_plugin(root, DIST, "search_plugin", entry_name="search_test")


def nas_search(experiment: str, cwd, *args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    """``nas search EXPERIMENT -q ARGS`` run in ``cwd`` on CPU."""
    site = plugin_site(Path(cwd).parent / f"{Path(cwd).name}-site")
    env = {**os.environ, "CUDA_VISIBLE_DEVICES": "", "NAS_LOAD_PLUGINS": f"{DIST},nas-datasets",
           "PYTHONPATH": os.pathsep.join([str(site), str(HERE)])}
    return subprocess.run([sys.executable, "-m", "nas_kernel.cli", "search", experiment, "-q", *args],
                          capture_output=True, text=True, cwd=cwd, env=env, timeout=timeout)
