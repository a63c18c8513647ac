"""The same DARTS settings give the same cell through ``nas search`` and through
``ExperimentRunner``, once the one default that differs is set alike: the runner's schema lays
two stems out (Archai's ``model_stems.ops: [stem_conv3x3, stem_conv3x3]``), the ``darts_cells``
space one (``model_stem``). Everything else (seed, data split, trainer settings, reduction
positions, finalizer) is the same by default."""
from __future__ import annotations

import yaml

from nas_kernel.plugins_in_use import using_plugins
from nas_supergraph.exp_runner import ExperimentRunner
from nas_supergraph.model_desc import ModelDesc

from .named_components import manager, nas

CLI = """\
seed: 1
output_dir: {out}
search_space: {{name: darts_cells, params: {{init_channels: 4, n_cells: 1, n_nodes: 2}}}}
objectives:
  - {{name: params, higher_is_better: false, compute_intensive: false, evaluator: {{name: param_count}}}}
searcher: {{name: darts, params: {{epochs: 1, dataset: {{name: digits}}}}}}
"""


def runner_file(path, logdir, stems):
    conf = {"common": {"seed": 1, "logdir": str(logdir)}, "dataset": {"name": "digits"},
            "nas": {"search": {"model_desc": {"n_cells": 1, "n_reductions": 0, "cell": {"n_nodes": 2},
                                              "model_stems": {"init_node_ch": 4, "ops": ["stem_conv3x3"] * stems}},
                               "trainer": {"algorithm": "darts", "epochs": 1}}}}
    path.write_text(yaml.safe_dump(conf))
    return str(path)


def test_the_cli_and_the_runner_find_the_same_cell_with_the_same_stems(tmp_path, capfd):
    (tmp_path / "exp.yaml").write_text(CLI.format(out=tmp_path / "cli"))
    result = nas(["search", str(tmp_path / "exp.yaml")], tmp_path / "site")
    assert result.returncode == 0, result.stderr
    assert "darts supergraph" in result.stderr and "train_loss" in result.stderr  # the per-epoch bar
    assert "train_acc" in result.stderr
    from_cli = ModelDesc.load(str(tmp_path / "cli" / "final_model_desc.yaml")).genotype()

    one_stem = runner_file(tmp_path / "one.yaml", tmp_path / "logs", stems=1)
    capfd.readouterr()
    with using_plugins(manager()):  # the runner's named dataset, as the nas command finds it
        search, _ = ExperimentRunner(one_stem, "one_stem").run(search=True, eval=False)
        assert search.model_desc.genotype() == from_cli
        assert "supergraph search" in capfd.readouterr().err
        ExperimentRunner(one_stem, "quiet", progress_bar=False).run(search=True, eval=False)
    assert "supergraph search" not in capfd.readouterr().err
    # the printed genotype is the one the search saved
    assert f"node 2: {from_cli['regular'][0][0][0]} <- {from_cli['regular'][0][0][1]}" in result.stdout
