"""What the data-fit check costs before a search: for built-in spaces on their usual data, the
seconds ``nas_kernel.experiment.data_check.check_data_fits`` takes (one sample model built, one batch of 16
rows forward on the CPU), beside the seconds to build the experiment it checks. The data is
already loaded by the evaluator's provider when the check reads it (digits, a synthetic image
set, a CSV table of 442 rows).

Run: .venv/bin/python tests/benchmarks/data_fit.py [--repeat 5]
"""
from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

CASES = {
    "cnn on digits": ("{name: cnn}", "{name: digits}"),
    "hivenas_chain on digits": ("{name: hivenas_chain}", "{name: digits}"),
    "cnn on 3x32x32 synthetic images": ("{name: cnn}",
                                                  "{name: synthetic, params: {input_shape: [3, 32, 32]}}"),
    "mlp on a 442-row CSV table": ("{name: mlp}", "{name: table, params: {path: TABLE, target: target, "
                                                  "task: regression}}"),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    import numpy as np
    import pandas as pd

    from nas_kernel.experiment.build import build_experiment
    from nas_kernel.experiment.data_check import check_data_fits
    from nas_kernel.experiment.shape import validate
    from nas_kernel.experiment.yaml_file import parse_yaml
    from nas_kernel.plugins import make_plugin_manager

    folder = Path(tempfile.mkdtemp())
    rng = np.random.default_rng(0)
    table = pd.DataFrame(rng.normal(size=(442, 10)), columns=[f"f{i}" for i in range(10)])
    table["target"] = rng.normal(size=442)
    table.to_csv(folder / "table.csv", index=False)
    manager = make_plugin_manager()
    print(f"{'case':48} {'build s':>8} {'check s (median of %d)' % args.repeat:>24}")
    for label, (space, dataset) in CASES.items():
        dataset = dataset.replace("TABLE", str(folder / "table.csv"))
        task = ", task: regression" if "regression" in dataset else ""
        text = f"""output_dir: {folder / 'out'}
search_space: {space}
objectives:
  - {{name: score, higher_is_better: true, evaluator: {{name: partial_training, params: {{dataset: {dataset}{task}}}}}}}
searcher: {{name: random}}
"""
        started = time.perf_counter()
        experiment = build_experiment(validate(parse_yaml(text, "bench"), "bench"), "bench", manager)
        build = time.perf_counter() - started
        times = []
        for _ in range(args.repeat):
            started = time.perf_counter()
            check_data_fits(experiment)
            times.append(time.perf_counter() - started)
        print(f"{label:48} {build:8.3f} {statistics.median(times):24.4f}")


if __name__ == "__main__":
    main()
