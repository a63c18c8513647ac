"""Compute zero-cost proxy and cost columns for all 15,625 NAS-Bench-201 cells with this project's
own code, and write them into the packaged table (``nas_search_spaces/data/nb201.csv.gz``).

Every network is the project's ``natsbench_tss`` build (C=16, N=5, CIFAR-10 classifier), scored by
the ``synflow`` evaluator of nas-evaluators (all-ones input of CIFAR-10 shape 3x32x32, float64,
weights initialised with ``--seed`` before each build); ``params`` is the ``num_params``
evaluator (parameters in millions, to compare with the table's ``params_mb_cifar10``). Work is
done in chunks written atomically under ``--work-dir`` (one representative per isomorphism group
first), so an interrupted run resumes where it stopped; ``--write-table`` merges the finished chunks into the table.

    python tools/nb201_proxies.py --work-dir /tmp/nb201-proxies            # compute (resumable)
    python tools/nb201_proxies.py --work-dir /tmp/nb201-proxies --write-table

By default the column holds, for each cell, the synflow of its isomorphism group's representative
(the smallest index computing the same function; 6,466 networks to score, about 0.2 CPU-s
each): isomorphic cells are one function whose weights are drawn in another order, so their
values are draws of one distribution. ``--every-cell`` scores all 15,625 cells and writes each
cell's own value.
"""
from __future__ import annotations

import argparse
import csv
import gzip
import io
import os
import sys
import time

import numpy as np

NUM_ARCHS = 15625
COLUMN = "synflow"


def done_rows(work_dir: str):
    """Every row written so far, by index, from all chunk files."""
    values = {}
    for name in sorted(os.listdir(work_dir)) if os.path.isdir(work_dir) else []:
        if name.startswith("chunk-") and name.endswith(".csv"):
            with open(os.path.join(work_dir, name), newline="") as f:
                for row in csv.DictReader(f):
                    values[int(row["index"])] = row
    return values


def compute_chunk(space, synflow, num_params, indexes, path: str) -> None:
    rows = []
    for index in indexes:
        model = space.make(index)
        value = synflow.evaluate(model)
        rows.append((index, repr(float(value)), repr(num_params.evaluate(model) / 1e6)))
    tmp = path + ".tmp"
    with open(tmp, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["index", COLUMN, "params_m"])
        writer.writerows(rows)
    os.replace(tmp, path)


def write_table(work_dir: str, every_cell: bool) -> None:
    from nas_search_spaces.nb201.table import default_location, load_nb201_table

    done = done_rows(work_dir)
    table = load_nb201_table()
    groups = [int(g) for g in table.iso_group]
    needed = set(range(NUM_ARCHS)) if every_cell else set(groups)
    if needed - set(done):
        raise SystemExit(f"{work_dir}: {len(needed - set(done))} cells still to compute; run without --write-table")
    values = {i: done[i] if every_cell else done[groups[i]] for i in range(NUM_ARCHS)}
    literal = [i for i in done if groups[i] != i]
    if literal:  # how far a cell's own value is from its representative's (same function)
        from scipy.stats import spearmanr

        own = [float(done[i][COLUMN]) for i in literal]
        rep = [float(done[groups[i]][COLUMN]) for i in literal]
        print(f"{len(literal)} non-representative cells computed: Spearman of own vs representative synflow "
              f"{spearmanr(own, rep)[0]:.4f}, median |log10 ratio| "
              f"{np.median(np.abs(np.log10(np.maximum(own, 1e-300)) - np.log10(np.maximum(rep, 1e-300)))):.3f}")
    location = default_location()
    with gzip.open(location, "rt", newline="") as f:
        rows = list(csv.reader(f))
    header, body = rows[0], rows[1:]
    params_col = header.index("params_mb_cifar10")
    worst = max(abs(float(done[i]["params_m"]) - float(body[i][params_col])) for i in done)
    print(f"num_params vs table params_mb_cifar10: max |diff| {worst:.2e} M over {len(done)} cells")
    if COLUMN in header:
        col = header.index(COLUMN)
        for r in body:
            r[col] = values[int(r[0])][COLUMN]
    else:
        header.append(COLUMN)
        for r in body:
            r.append(values[int(r[0])][COLUMN])
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows([header] + body)
    with open(location, "wb") as f:  # mtime 0: the same data gives the same bytes
        f.write(gzip.compress(out.getvalue().encode("utf-8"), compresslevel=9, mtime=0))
    print(f"wrote column {COLUMN!r} into {location}")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--work-dir", required=True)
    parser.add_argument("--chunk", type=int, default=250)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--worker", default="0/1", help="K/N: this process does every N-th chunk from K")
    parser.add_argument("--every-cell", action="store_true",
                        help="compute (and write) every cell's own value, not its representative's")
    parser.add_argument("--write-table", action="store_true")
    args = parser.parse_args(argv)
    if args.write_table:
        write_table(args.work_dir, args.every_cell)
        return 0
    import torch

    from nas_kernel.plugins import make_plugin_manager

    torch.set_num_threads(1)
    os.makedirs(args.work_dir, exist_ok=True)
    registry = make_plugin_manager().registry

    def factory(kind, name):
        return registry.get(kind, name).load()

    shape = factory("datasets", "synthetic")(input_shape=[3, 32, 32], num_train=2, num_val=1, num_test=0)
    space = factory("search_spaces", "natsbench_tss")(canonical_moves=False, seed=args.seed)
    synflow = factory("evaluators", "synflow")(dataset=shape, batch_size=2, seed=args.seed)
    num_params = factory("evaluators", "num_params")()
    # one representative per isomorphism group first: the distinct functions are covered early
    done = done_rows(args.work_dir)
    order = sorted(range(NUM_ARCHS), key=lambda i: (int(space.table.iso_group[i]) != i, i))
    todo = [i for i in order if i not in done and (args.every_cell or int(space.table.iso_group[i]) == i)]
    worker, workers = (int(part) for part in args.worker.split("/"))
    started, count = time.perf_counter(), 0
    for first in range(worker * args.chunk, len(todo), workers * args.chunk):
        indexes = todo[first:first + args.chunk]
        path = os.path.join(args.work_dir, f"chunk-{indexes[0]:05d}.csv")
        compute_chunk(space, synflow, num_params, indexes, path)
        count += len(indexes)
        print(f"{path}: {(time.perf_counter() - started) / count:.3f} s per cell", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
