"""A test plugin that a real ``nas`` subprocess loads, as an installed plugin would be loaded.

A plugin's tests often run the real command over components their plugin does not have (a search
space, a searcher, a dataset): a small module of the tests registers stand-ins. The subprocess
finds it only through an installed distribution's entry point, so :func:`plugin_site` writes a
made-up ``.dist-info`` for it, and :func:`plugin_env` gives the subprocess's environment: the site
and the tests' folder on ``PYTHONPATH``, and ``NAS_LOAD_PLUGINS`` naming only the plugins it may load.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Dict, Iterable, Optional

__all__ = ["plugin_env", "plugin_site"]


def plugin_site(root: Path, dist: str, module: str, *, entry_name: Optional[str] = None,
                version: str = "0.1.0") -> Path:
    """``root``, now holding an installed distribution ``dist`` whose ``nas_kernel`` entry point
    (``entry_name``, by default the module's name) is the module ``module``."""
    root = Path(root)
    info = root / f"{dist.replace('-', '_')}-{version}.dist-info"
    info.mkdir(parents=True, exist_ok=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: {version}\n")
    (info / "entry_points.txt").write_text(f"[nas_kernel]\n{entry_name or module} = {module}\n")
    return root


def plugin_env(root: Path, dist: str, module: str, module_folder: Path, load: Iterable[str] = (), *,
               entry_name: Optional[str] = None) -> Dict[str, str]:
    """The environment of a ``nas`` subprocess that loads the plugins ``load`` and the test plugin
    ``module`` (found in ``module_folder``) as the distribution ``dist``, and no other plugin."""
    plugin_site(root, dist, module, entry_name=entry_name)
    paths = [str(root), str(module_folder)]
    if os.environ.get("PYTHONPATH"):
        paths.append(os.environ["PYTHONPATH"])
    return {**os.environ, "NAS_LOAD_PLUGINS": ",".join([*load, dist]), "PYTHONPATH": os.pathsep.join(paths)}
