"""The distribution as the kernel sees it: entry point, registrations, cheap imports, and
``nas search`` running a DARTS experiment file end to end."""
from __future__ import annotations

import inspect
import os
import subprocess
import sys
import textwrap


from nas_kernel.plugins import make_plugin_manager
from nas_supergraph import plugin

from .named_components import nas_env

EXPECTED = {
    "searchers": ["darts", "gdas"],
    "search_spaces": ["darts_cells"],
    "evaluators": ["final_training"],
}


def manager():
    pm = make_plugin_manager(entrypoints=False)
    pm.register(plugin, name="supergraph")
    return pm


def test_entry_point_is_installed_and_loads():
    pm = make_plugin_manager(only=["nas-supergraph"])
    record = pm.records["supergraph"]
    assert record.status == "ok", record.error
    assert record.distribution == "nas-supergraph"


def test_registers_every_op_and_the_search_components():
    registry = manager().registry
    for kind, names in EXPECTED.items():
        assert registry.names(kind) == names
    assert set(registry.names("ops")) == set(plugin.OPS)
    for name in registry.names("ops"):
        factory = registry.get("ops", name).load()
        assert list(inspect.signature(factory).parameters)[:2] == ["op_desc", "affine"], name


def test_plugin_ops_is_the_one_op_table_registered_and_looked_up():
    """Every op factory of the package is named by ``plugin.OPS``, and the lookup a model uses
    without a plugin manager gives the registered factory itself."""
    from nas_supergraph import mixed_op, op_lookup, operations

    factories = {f"{module.__name__}:{name}" for module in (operations, mixed_op) for name in vars(module)
                 if name.startswith("make_") and callable(getattr(module, name))}
    assert factories == set(plugin.OPS.values())
    registry = manager().registry
    for name in plugin.OPS:
        assert op_lookup.resolve_factory(name) is registry.get("ops", name).load(), name


def test_factories_have_explicit_keyword_parameters_with_defaults():
    registry = manager().registry
    for kind in EXPECTED:
        for name in registry.names(kind):
            params = registry.get(kind, name).parameters()
            assert all(p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY) for p in params)
            assert all(p.default is not inspect.Parameter.empty for p in params), (kind, name)
            if kind != "evaluators" or name != "final_training":
                assert "seed" in {p.name for p in params}


def test_plugin_and_package_imports_stay_cheap():
    code = ("import sys, nas_supergraph.plugin, nas_supergraph; "
            "assert 'torch' not in sys.modules, 'torch imported'; "
            "assert nas_supergraph.ModelDesc.__name__ == 'ModelDesc'")
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


def test_nas_search_runs_a_darts_experiment_file_end_to_end(tmp_path):
    experiment = tmp_path / "darts.yaml"
    out = tmp_path / "run"
    experiment.write_text(textwrap.dedent(f"""\
        seed: 1
        output_dir: {out}
        search_space: {{name: darts_cells, params: {{init_channels: 4, n_cells: 1, n_nodes: 2}}}}
        objectives:
          - {{name: val_acc, higher_is_better: true,
             evaluator: {{name: final_training, params: {{epochs: 1, dataset: {{name: digits}}}}}}}}
        searcher: {{name: darts, params: {{epochs: 1, dataset: {{name: digits}}}}}}
        """))
    nas = os.path.join(os.path.dirname(sys.executable), "nas")
    done = subprocess.run([nas, "search", str(experiment), "-q"], capture_output=True, text=True, timeout=300,
                          env=nas_env(tmp_path / "site"))
    assert done.returncode == 0, done.stderr
    assert (out / "final_model_desc.yaml").exists()
    assert (out / "supergraph" / "search" / "checkpoint.pt").exists()
    assert "darts-" in done.stdout
