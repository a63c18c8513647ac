"""Which heavy libraries loading a plugin pulls in.

``plugin.py`` must stay cheap (``nas --help`` and ``nas plugins list`` load every plugin), so it
registers lazy ``"module:attr"`` references instead of importing its implementations. If this
process had imported no heavy library before the plugin loaded, ``sys.modules`` tells; if it
had (a test session that already used torch), a fresh interpreter imports the modules and tells.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Dict, List, Sequence, Set

HEAVY = ("torch", "torchvision", "tensorflow", "jax", "ray", "onnx", "onnxruntime", "sklearn", "scipy",
         "pandas", "matplotlib")

_PROBE = """
import importlib, json, sys
heavy, found = json.loads(sys.argv[1]), {}
for module in json.loads(sys.argv[2]):
    before = {h for h in heavy if h in sys.modules}
    importlib.import_module(module)
    found[module] = sorted(h for h in heavy if h in sys.modules and h not in before)
print(json.dumps(found))
"""


def loaded_heavy() -> Set[str]:
    return {h for h in HEAVY if h in sys.modules}


def heavy_imports(modules: Sequence[str], before: Set[str]) -> Dict[str, List[str]]:
    """``{module(s): [heavy libraries loaded]}``; ``before`` is ``loaded_heavy()`` taken before
    the plugin's modules were imported (in-process answers name the modules together)."""
    if not before:
        return {", ".join(modules): sorted(loaded_heavy())}
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
    result = subprocess.run([sys.executable, "-c", _PROBE, json.dumps(list(HEAVY)), json.dumps(list(modules))],
                            capture_output=True, text=True, env=env, timeout=300)
    if result.returncode != 0:
        raise RuntimeError(f"importing {list(modules)} in a fresh interpreter failed:\n{result.stderr[-2000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])
