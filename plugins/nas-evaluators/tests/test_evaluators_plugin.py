"""Registration, cheap imports, and the kernel's conformance checks where the kit exists."""
import subprocess
import sys

import pytest

import nas_evaluators.plugin
from nas_kernel.api import AsyncModelEvaluator, ModelEvaluator
from nas_kernel.plugins import make_plugin_manager

NEEDS_ARGUMENTS = {"function", "process_pool", "ray"}
EXPECTED = sorted(nas_evaluators.plugin.EVALUATORS)


@pytest.fixture(scope="module")
def registry():
    pm = make_plugin_manager(entrypoints=False)
    pm.register(nas_evaluators.plugin, name="evaluators")
    return pm.registry


def test_registers_every_evaluator(registry):
    assert registry.names("evaluators") == EXPECTED
    assert {"partial_training", "process_pool", "ray", "synflow", "naswot", "grad_norm", "snip", "jacov",
            "num_params", "flops", "macs", "cpu_latency", "peak_memory", "onnx_latency", "function"} <= set(EXPECTED)


@pytest.mark.parametrize("name", [n for n in EXPECTED if n not in NEEDS_ARGUMENTS])
def test_factory_builds_with_defaults(registry, name):
    obj = registry.get("evaluators", name).load()()
    assert isinstance(obj, (ModelEvaluator, AsyncModelEvaluator))


def test_parallel_evaluators_wrap_an_inner_evaluator(registry):
    inner = registry.get("evaluators", "num_params").load()()
    pool = registry.get("evaluators", "process_pool").load()(inner, num_workers=1)
    assert isinstance(pool, AsyncModelEvaluator) and pool.worker_pids() == [None]  # nothing started yet
    ray_eval = registry.get("evaluators", "ray").load()(inner)
    assert isinstance(ray_eval, AsyncModelEvaluator)


def test_plugin_import_does_not_import_torch():
    code = ("import sys, nas_evaluators, nas_evaluators.plugin; "
            "print([m for m in ('torch', 'ray', 'onnxruntime', 'sklearn') if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_installed_entry_point_and_conformance():
    testing = pytest.importorskip("nas_kernel.testing")
    if not hasattr(testing, "check_plugin"):
        pytest.skip("nas_kernel.testing.check_plugin is not available yet")
    testing.check_plugin("nas-evaluators", expects={"evaluators": EXPECTED})
