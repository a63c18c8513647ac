"""Shared test support: plugin managers without entry points, fake installed distributions, and
a subprocess runner for the real `nas` command."""
from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent
sys.path.insert(0, str(TESTS))

import toy  # noqa: E402
from nas_kernel.plugins import make_plugin_manager  # noqa: E402

TOY_EXPERIMENT = """\
seed: 3
output_dir: {out}
search_space: {{name: toy}}
objectives:
  - {{name: distance, higher_is_better: false, evaluator: {{name: distance}}}}
  - {{name: size, higher_is_better: true, compute_intensive: false, evaluator: {{name: size}}, constraint: [0, 9000]}}
searcher: {{name: toy_evolution, params: {{num_iters: 4, population: 6}}}}
"""


def digits_experiment(out, *, seed: int, searcher: str) -> str:
    """A tiny real-training experiment: small CNNs on digits, one epoch, accuracy vs parameters."""
    return f"""\
seed: {seed}
output_dir: {out}
search_space: {{name: cnn, params: {{max_layers: 2, hidden_list: [8, 16]}}}}
objectives:
  - {{name: val_acc, higher_is_better: true,
     evaluator: {{name: partial_training, params: {{dataset: {{name: digits}}, epochs: 1, progress_bar: false}}}}}}
  - {{name: params, higher_is_better: false, compute_intensive: false, evaluator: {{name: num_params}}}}
searcher: {searcher}
"""


@pytest.fixture
def plugin_manager():
    return make_plugin_manager(entrypoints=False)


@pytest.fixture
def toy_manager():
    pm = make_plugin_manager(entrypoints=False)
    pm.register(toy, name="toy")
    return pm


@pytest.fixture
def experiment(tmp_path):
    """A toy experiment file and its output directory."""
    out = tmp_path / "run"
    path = tmp_path / "exp.yaml"
    path.write_text(TOY_EXPERIMENT.format(out=out))
    return path, out


def make_dist(root: Path, dist: str, version: str, entry_points: dict, modules: dict) -> Path:
    """A fake installed distribution: a dist-info folder plus modules, under ``root``."""
    root.mkdir(parents=True, exist_ok=True)
    info = root / f"{dist.replace('-', '_')}-{version}.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: {version}\n")
    lines = "\n".join(f"{name} = {target}" for name, target in entry_points.items())
    (info / "entry_points.txt").write_text(f"[nas_kernel]\n{lines}\n")
    for name, source in modules.items():
        (root / f"{name}.py").write_text(textwrap.dedent(source))
    return root


@pytest.fixture
def fake_dists(tmp_path, monkeypatch):
    """Put fake distributions on sys.path for this test only."""
    root = tmp_path / "site"
    root.mkdir()
    monkeypatch.syspath_prepend(str(root))
    def add(dist, version="0.1.0", entry_points=None, modules=None):
        make_dist(root, dist, version, entry_points or {}, modules or {})
        return root

    yield add
    for mod in list(sys.modules):
        if mod.startswith("fake_"):
            del sys.modules[mod]


@pytest.fixture
def toy_site(tmp_path):
    """A folder holding a fake `nas-toy` distribution whose plugin is tests/toy.py."""
    root = tmp_path / "toy_site"
    make_dist(root, "nas-toy", "0.1.0", {"toy": "toy"}, {})
    return root


def run_nas(args, *, env_extra=None, pythonpath=(), cwd=None, timeout=120):
    """Run the real `nas` command in a subprocess; returns CompletedProcess."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(p) for p in pythonpath] + [str(TESTS)])
    env.update(env_extra or {})
    return subprocess.run([sys.executable, "-m", "nas_kernel.cli", *args], capture_output=True, text=True,
                          env=env, cwd=cwd, timeout=timeout)
