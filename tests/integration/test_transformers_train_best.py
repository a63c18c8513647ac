"""``nas train-best`` (nas-evaluators' command) on the front of a real ``transformer_flex``
search (nas-transformers, evolution from nas-searchers): the best model trains further, below
the search's worst perplexity, and is written with its weights and ONNX file (moved from
nas-transformers' tests, which run without the other plugins)."""
import json
import os
import subprocess
import sys

import pandas as pd
import yaml

EXPERIMENT = {
    "seed": 3,
    "search_space": {"name": "transformer_flex", "params": {
        "arch_type": "gpt2", "max_layers": 2, "d_model_options": [32, 48], "d_inner_options": [32, 64],
        "n_head_options": [2, 4], "share_d_inner": False,
        "dataset": {"name": "text", "params": {"seq_len": 32, "max_bytes": 200000}}}},
    "objectives": [
        {"name": "val_ppl", "higher_is_better": False, "evaluator": {"name": "lm_training", "params": {
            "dataset": {"name": "text", "params": {"seq_len": 32, "max_bytes": 200000}},
            "steps": 6, "batch_size": 8, "eval_tokens": 2048}}},
        {"name": "non_emb", "higher_is_better": False, "compute_intensive": False,
         "evaluator": {"name": "non_embedding_params"}, "constraint": [0, 60000]}],
    "searcher": {"name": "evolution_pareto", "params": {"num_iters": 2, "init_num_models": 4, "num_random_mix": 1,
                                                        "mutations_per_parent": 1, "num_crossovers": 1,
                                                        "min_parents": 2}},
}


def nas(args, cwd):
    return subprocess.run([sys.executable, "-m", "nas_kernel.cli", *args], capture_output=True, text=True, cwd=cwd,
                          timeout=240)


def test_train_best_trains_the_front_of_a_language_model_search(tmp_path):
    (tmp_path / "experiment.yaml").write_text(yaml.safe_dump(EXPERIMENT))
    result = nas(["search", "experiment.yaml", "-q", "-o", "run"], tmp_path)
    assert result.returncode == 0, result.stderr[-2000:]
    frame = pd.read_csv(tmp_path / "run" / "search_state.csv")
    result = nas(["train-best", str(tmp_path / "run"), "--epochs", "2"], tmp_path)
    assert result.returncode == 0, result.stderr[-2000:]
    with open(tmp_path / "run" / "train_best" / "train_best.json", encoding="utf-8") as f:
        (record,) = json.load(f)
    assert record["val_ppl"] < frame["val_ppl"].max() and os.path.isfile(record["weights"])
    assert os.path.isfile(record["onnx"])
