"""The zero-cost proxies of nas-evaluators checked against their papers, and what they cost.

1. Cost on NAS-Bench-201 networks (the project's build, C=16, N=5, CPU, one thread): seconds
   per proxy evaluation of random cells beside one CIFAR-10-sized training epoch (50,000
   images, batch 64) of the same networks, timed with ``partial_training`` on a few batches of
   CIFAR-10-shaped synthetic images and scaled to 782 steps (a step costs the same whatever
   the pixel values).
2. ``synflow`` on NAS-Bench-201: the table's ``synflow`` column (tools/nb201_proxies.py) against
   accuracy on all 15,625 cells (Abdelfattah et al., "Zero-Cost Proxies for Lightweight NAS",
   ICLR 2021, report Spearman 0.74 for synflow on NAS-Bench-201 CIFAR-10), and, with
   ``--naslib-zc`` (NASLib's ``naslib/data/zc_nasbench201.json``, Apache-2.0, not shipped),
   one to one against NASLib's published synflow values for the same cells.
3. Data-dependent proxies on digits CNNs (the space this project trains in seconds): rank
   correlation of each proxy with validation accuracy after 5 epochs of ``partial_training``.

    python tests/benchmarks/zero_cost_proxies.py [--cells 10] [--cnns 40] [--naslib-zc PATH]
        [--synflow-dir DIR] [--sections 1,2,3]
"""
from __future__ import annotations

import argparse
import json
import sys
import time

import numpy as np

PROXIES = ("synflow", "naswot", "grad_norm", "snip", "jacov")
#: NASLib's NB201 op indices and edge order (nodes 1..4): ours are OP_NAMES and EDGES
NASLIB_OPS = ("skip_connect", "none", "nor_conv_3x3", "nor_conv_1x1", "avg_pool_3x3")
NASLIB_EDGE_TO_OURS = (0, 1, 3, 2, 4, 5)  # their (1,2),(1,3),(1,4),(2,3),(2,4),(3,4)


def factory(kind, name):
    from nas_kernel.plugins import make_plugin_manager

    return make_plugin_manager().registry.get(kind, name).load()


def cost_on_nb201(cells: int) -> None:
    space = factory("search_spaces", "natsbench_tss")(seed=7)
    synthetic = factory("datasets", "synthetic")
    shape_only = synthetic(input_shape=[3, 32, 32], num_train=640, num_val=64, num_test=0, seed=1)
    proxies = {name: factory("evaluators", name)(dataset=shape_only, batch_size=64 if name != "synflow" else 2)
               for name in PROXIES}
    train = factory("evaluators", "partial_training")(dataset=shape_only, epochs=1, batch_size=64,
                                                       progress_bar=False, device="cpu")
    seconds = {name: [] for name in PROXIES}
    epoch = []
    for _ in range(cells):
        model = space.random_sample()
        for name, proxy in proxies.items():
            started = time.perf_counter()
            proxy.evaluate(space.make(space.index(model)))
            seconds[name].append(time.perf_counter() - started)
        started = time.perf_counter()
        train.evaluate(space.make(space.index(model)))
        epoch.append((time.perf_counter() - started) * 50_000 / 640)
    mean_epoch = float(np.mean(epoch))
    print(f"1. NB201 networks on CPU (1 thread), mean of {cells} random cells: one CIFAR-10 training epoch "
          f"{mean_epoch:.0f} s (scaled from 10 timed steps of batch 64)")
    for name in PROXIES:
        s = float(np.mean(seconds[name]))
        print(f"   {name:10s} {s:7.3f} s per evaluation = {s / mean_epoch * 100:6.3f} % of an epoch", flush=True)


def synflow_values(table, work_dir):
    """index -> synflow: the table's column, or - with ``work_dir`` - the values computed so far by
    tools/nb201_proxies.py there (each cell takes its representative's value, as the column does)."""
    if work_dir is None:
        return dict(enumerate(table.columns["synflow"])) if "synflow" in table.columns else {}
    import csv
    import glob

    computed = {}
    for path in glob.glob(f"{work_dir}/chunk-*.csv"):
        with open(path, newline="") as f:
            computed.update((int(r["index"]), float(r["synflow"])) for r in csv.DictReader(f))
    groups = table.iso_group
    return {i: computed[int(groups[i])] for i in range(len(table)) if int(groups[i]) in computed}


def synflow_on_nb201(naslib_zc, work_dir) -> None:
    from scipy.stats import kendalltau, spearmanr

    from nas_search_spaces.nb201.cells import format_cell
    from nas_search_spaces.nb201.table import load_nb201_table

    table = load_nb201_table()
    values = synflow_values(table, work_dir)
    if not values:
        print("2. no synflow values: run tools/nb201_proxies.py (or give --synflow-dir)")
        return
    cells = np.array(sorted(values))
    ours = np.array([values[i] for i in cells])
    reps = np.array([int(table.iso_group[i]) == i for i in cells])
    print(f"2. synflow vs accuracy on the {reps.sum()} isomorphism-group representatives with a value: "
          f"Spearman / Kendall", flush=True)
    for column in ("cifar10_test_acc", "cifar10_valid_acc_12ep", "cifar100_test_acc", "imagenet16_test_acc"):
        acc = table.columns[column][cells[reps]]
        print(f"   {column:24s} {spearmanr(ours[reps], acc)[0]:6.3f} / {kendalltau(ours[reps], acc)[0]:6.3f}"
              + ("   (Abdelfattah et al. 2021: Spearman 0.74 on CIFAR-10)" if column == "cifar10_test_acc" else ""))
    if not naslib_zc:
        return
    with open(naslib_zc, encoding="utf-8") as f:
        records = json.load(f)["cifar10"]
    mine, theirs, their_acc = [], [], []
    for key, record in records.items():
        digits = [int(d) for d in key.strip("()").split(",")]
        ops = [None] * 6
        for position, op in enumerate(digits):
            ops[NASLIB_EDGE_TO_OURS[position]] = NASLIB_OPS[op]
        index = table.index_of[format_cell(ops)]
        if index in values:
            mine.append(values[index])
            theirs.append(record["synflow"]["score"])
            their_acc.append(record["val_accuracy"])
    offset = np.log(mine) - np.array(theirs)  # NASLib publishes the natural log
    print(f"   one to one with NASLib's published synflow, {len(mine)} of its {len(records)} CIFAR-10 cells: "
          f"Spearman {spearmanr(mine, theirs)[0]:.4f}, Kendall {kendalltau(mine, theirs)[0]:.3f}; "
          f"ln(ours) - theirs = {np.median(offset):.3f} (quartiles {np.percentile(offset, 25):.3f} / "
          f"{np.percentile(offset, 75):.3f}); vs NASLib's val_accuracy: ours {spearmanr(mine, their_acc)[0]:.3f}, "
          f"theirs {spearmanr(theirs, their_acc)[0]:.3f} (Spearman)", flush=True)


def digits_cnns(count: int) -> None:
    from scipy.stats import kendalltau, spearmanr

    space = factory("search_spaces", "cnn")(seed=3)
    digits = factory("datasets", "digits")(seed=1)
    train = factory("evaluators", "partial_training")(dataset=digits, epochs=5, progress_bar=False, device="cpu")
    proxies = {name: factory("evaluators", name)(dataset=digits, batch_size=64) for name in PROXIES}
    seen, accs, scores = set(), [], {name: [] for name in PROXIES}
    while len(accs) < count:
        model = space.random_sample()
        if model.archid in seen:
            continue
        seen.add(model.archid)
        for name, proxy in proxies.items():
            scores[name].append(proxy.evaluate(model))
        accs.append(train.evaluate(model))
    print(f"3. digits CNNs ({count} random architectures of the cnn space), proxy vs validation accuracy "
          f"after 5 epochs: Spearman / Kendall")
    for name in PROXIES:
        print(f"   {name:10s} {spearmanr(scores[name], accs)[0]:6.3f} / {kendalltau(scores[name], accs)[0]:6.3f}")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cells", type=int, default=10)
    parser.add_argument("--cnns", type=int, default=40)
    parser.add_argument("--naslib-zc", default=None, help="NASLib's zc_nasbench201.json, for the one-to-one check")
    parser.add_argument("--synflow-dir", default=None,
                        help="the work dir of tools/nb201_proxies.py, instead of the table's synflow column")
    parser.add_argument("--sections", default="1,2,3")
    args = parser.parse_args(argv)
    import torch

    torch.set_num_threads(1)
    sections = args.sections.split(",")
    if "1" in sections:
        cost_on_nb201(args.cells)
    if "2" in sections:
        synflow_on_nb201(args.naslib_zc, args.synflow_dir)
    if "3" in sections:
        digits_cnns(args.cnns)
    return 0


if __name__ == "__main__":
    sys.exit(main())
