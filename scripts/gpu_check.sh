#!/usr/bin/env bash
# The GPU paths, checked on a machine with a GPU in under 5 minutes, offline:
#   1. install this checkout into a scratch folder with the machine's own Python and torch
#      (pip --no-index --no-deps --no-build-isolation --target: nothing is fetched; a dependency
#      the machine lacks, e.g. `overrides`, is installed from wheels carried in .whl/),
#   2. the CUDA-parametrised tests (they skip on a machine without a GPU, run here),
#   3. the embedded default experiment with partial_training on cuda at bf16,
#   4. a two-worker process pool pinned to the GPU,
#   5. one DARTS search step on the GPU (when the darts searcher has a `device` parameter),
#   6. training throughput, the GPU next to the CPU in one run,
#   7. a mobilenet latency table built on the GPU, its predictions against measured latency,
#   8. one epoch of mobilenet supernet training (data-parallel over every GPU when several).
# Usage: bash scripts/gpu_check.sh              (PYTHON=python3.12 to choose the interpreter)
#        GPU_CHECK_DEVICE=cpu bash scripts/gpu_check.sh   checks the script itself on a CPU box (fp32)
# Prepare the wheels on a machine with network (then carry .whl/ along, it is git-ignored):
#   pip download overrides pytest iniconfig pytest-timeout -d .whl --no-deps
# Exit status: 0 when every step passed, else the number of failed steps.
set -uo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
DEVICE=${GPU_CHECK_DEVICE:-cuda}
PRECISION=${GPU_CHECK_PRECISION:-$([ "$DEVICE" = cpu ] && echo fp32 || echo bf16)}  # bf16 is slow on most CPUs
SCRATCH=$(mktemp -d "${TMPDIR:-/tmp}/nas-gpu-check.XXXXXX")
SITE="$SCRATCH/site"
START=$(date +%s)
FAILED=0
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-1}

step() { echo; echo "=== [$(( $(date +%s) - START )) s] $*"; }
run() {  # run "what" TIMEOUT cmd...: a failing step is counted, the check goes on
    local what=$1 limit=$2; shift 2
    if timeout "$limit" "$@"; then echo "--- ok: $what"; else echo "--- FAILED ($?): $what"; FAILED=$((FAILED + 1)); fi
}

step "machine"
"$PYTHON" -c "import sys, torch; print('python', sys.version.split()[0], '| torch', torch.__version__, '| cuda', torch.version.cuda, '| GPUs', torch.cuda.device_count())" || exit 90
command -v nvidia-smi >/dev/null && nvidia-smi -L
if [ "$DEVICE" != cpu ] && ! "$PYTHON" -c "import torch, sys; sys.exit(not torch.cuda.is_available())"; then
    echo "gpu_check: torch sees no GPU here; nothing to check (GPU_CHECK_DEVICE=cpu checks the script)"; exit 91
fi

step "install into $SITE (offline)"
PIP=("$PYTHON" -m pip --disable-pip-version-check -q)
if ! "$PYTHON" -c "import setuptools" 2>/dev/null; then  # the build backend, from the carried wheels
    "${PIP[@]}" install --no-index --no-deps --find-links .whl --target "$SCRATCH/build-tools" setuptools || exit 92
    export PYTHONPATH="$SCRATCH/build-tools${PYTHONPATH:+:$PYTHONPATH}"
fi
"${PIP[@]}" install --no-index --no-deps --no-build-isolation --target "$SITE" . plugins/*/ || exit 93
export PYTHONPATH="$SITE${PYTHONPATH:+:$PYTHONPATH}"
MISSING=$("$PYTHON" - "$SITE" <<'EOF'
import importlib.metadata as md, re, sys
missing = set()
for dist in md.distributions(path=[sys.argv[1]]):
    for req in dist.requires or []:
        if "extra ==" in req:
            continue
        name = re.split(r"[\s;<>=!~\[(]", req, maxsplit=1)[0]
        try:
            md.version(name)
        except md.PackageNotFoundError:
            missing.add(name)
print(" ".join(sorted(missing)))
EOF
)
for dist in $MISSING; do  # one at a time: a plugin's missing extra must not block the others
    echo "not on this machine: $dist; installing it from .whl/"
    "${PIP[@]}" install --no-index --no-deps --find-links .whl --target "$SITE" "$dist" \
        || echo "gpu_check: WARNING: no wheel of $dist in .whl/ (pip download $dist -d .whl --no-deps); steps needing it fail"
done
for tool in pytest iniconfig packaging pytest_timeout; do  # the test runner, if the machine lacks it
    "$PYTHON" -c "import $tool" 2>/dev/null || "${PIP[@]}" install --no-index --no-deps --find-links .whl \
        --target "$SITE" "${tool//_/-}" || echo "gpu_check: no $tool here or in .whl/"
done
"$PYTHON" -m nas_kernel.cli plugins list | head -20

step "CUDA-parametrised tests"
run "device tests" 300 "$PYTHON" -m pytest -q -rs \
    tests/test_devices.py plugins/nas-evaluators/tests/test_devices_training.py \
    plugins/nas-evaluators/tests/test_pool_devices.py plugins/nas-evaluators/tests/test_devices_profiling.py \
    plugins/nas-evaluators/tests/test_devices_cli.py "plugins/nas-predictors/tests/test_predictors.py::test_torch_predictors_follow_the_shared_device_rule" \
    "plugins/nas-edge/tests/test_latency_table.py::test_builds_and_predicts_on_each_device_and_runtime" \
    plugins/nas-edge/tests/test_supernet.py
SUPERGRAPH_CUDA=$("$PYTHON" -m pytest -q --collect-only plugins/nas-supergraph/tests -k "cuda or device" 2>/dev/null | grep -c "::" || true)
if [ "${SUPERGRAPH_CUDA:-0}" -gt 0 ]; then
    run "supergraph device tests" 150 "$PYTHON" -m pytest -q -rs plugins/nas-supergraph/tests -k "cuda or device"
fi

step "default experiment, partial_training on $DEVICE at $PRECISION"
"$PYTHON" - "$SCRATCH" "$DEVICE" "$PRECISION" <<'EOF'
import os, sys
from importlib.resources import files
import yaml
scratch, device, precision = sys.argv[1:]
spec = yaml.safe_load(files("nas_kernel").joinpath("default_experiment.yaml").read_text())
def place(node):
    if isinstance(node, dict):
        if node.get("name") == "partial_training":
            node.setdefault("params", {}).update(device=device, precision=precision)
        for value in node.values():
            place(value)
    elif isinstance(node, list):
        for value in node:
            place(value)
place(spec)
spec["output_dir"] = os.path.join(scratch, "default-run")
with open(os.path.join(scratch, "default.yaml"), "w") as f:
    yaml.safe_dump(spec, f, sort_keys=False)
EOF
run "default experiment" 180 "$PYTHON" -m nas_kernel.cli search "$SCRATCH/default.yaml"
run "results" 60 "$PYTHON" -m nas_kernel.cli results show "$SCRATCH/default-run"

step "two-worker process pool pinned to $DEVICE"
cat > "$SCRATCH/pool_check.py" <<'EOF'
"""Four candidates through a process pool of two workers pinned to one device."""
import sys
import time

import torch
from torch import nn

from nas_kernel.api import ArchaiModel
from nas_kernel.components import build_component


def cnn(width):
    torch.manual_seed(width)
    return nn.Sequential(nn.Conv2d(1, width, 3, padding=1), nn.BatchNorm2d(width), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Flatten(), nn.Linear(width * 16, 10))


def main(device, precision):
    target = "cuda:0" if device == "cuda" else device
    pool = build_component("evaluators", "process_pool", {
        "devices": [target], "workers_per_device": 2,
        "evaluator": {"name": "partial_training", "params": {"dataset": {"name": "digits"}, "epochs": 2,
                                                             "precision": precision, "progress_bar": False}}})
    models = [ArchaiModel(cnn(w), f"w{w}") for w in (8, 16, 32, 64)]
    start = time.perf_counter()
    with pool:
        for m in models:
            pool.send(m)
        values = pool.fetch_all()
        pids = pool.worker_pids()
    print(f"4 candidates in {time.perf_counter() - start:.1f} s on workers {pids}")
    for m, v in zip(models, values):
        print(f"  {m.archid}: val_acc {v}, worker_device {m.metadata.get('worker_device')}, "
              f"device in the worker {m.metadata.get('device')}, train_seconds {m.metadata.get('train_seconds')}")
    assert all(v is not None and v > 0.5 for v in values), pool.last_errors
    assert {m.metadata["worker_device"] for m in models} == {target} and len(set(pids)) == 2


if __name__ == "__main__":  # spawned workers import this file again
    main(*sys.argv[1:])
EOF
run "pool" 120 "$PYTHON" "$SCRATCH/pool_check.py" "$DEVICE" "$PRECISION"

step "one DARTS step on $DEVICE"
HAS_DEVICE=$("$PYTHON" -m nas_kernel.cli components searchers --json | "$PYTHON" -c "
import json, sys
rows = [r for r in json.load(sys.stdin) if r['name'] == 'darts']
print(int(bool(rows) and any(p['name'] == 'device' for p in rows[0]['parameters'])))")
if [ "$HAS_DEVICE" = 1 ]; then
    cat > "$SCRATCH/darts.yaml" <<EOF
seed: 1
output_dir: $SCRATCH/darts-run
search_space: {name: darts_cells, params: {init_channels: 8, n_cells: 2, n_nodes: 2}}
objectives:
  - {name: val_acc, higher_is_better: true,
     evaluator: {name: final_training, params: {epochs: 1, dataset: {name: digits}, device: $DEVICE}}}
searcher: {name: darts, params: {epochs: 1, dataset: {name: digits}, device: $DEVICE}}
EOF
    run "darts" 150 "$PYTHON" -m nas_kernel.cli search "$SCRATCH/darts.yaml" -q
else
    echo "the darts searcher has no device parameter in this checkout: skipped"
fi

step "training throughput: $DEVICE next to the CPU"
if [ "$DEVICE" = cpu ]; then
    run "throughput" 200 "$PYTHON" tests/benchmarks/training_throughput.py --device cpu --epochs 1 --repeats 1
else
    run "throughput (digits, GPU next to CPU)" 150 "$PYTHON" tests/benchmarks/training_throughput.py \
        --device cpu --device cuda --data digits --epochs 1 --repeats 1
    run "throughput (3x32x32, GPU)" 120 "$PYTHON" tests/benchmarks/training_throughput.py --device cuda --epochs 2 --repeats 2
fi

step "latency table on $DEVICE: predicted against measured (mobilenet, 30 random archs)"
run "latency table" 240 "$PYTHON" tests/benchmarks/latency_table.py --device "$DEVICE" --archs 30 \
    --resolution 128 --runtimes torch --samples 10 --clock wall

step "one supernet epoch on $DEVICE at $PRECISION (mobilenet, CIFAR-shaped data; every GPU when several)"
run "supernet epoch" 240 "$PYTHON" - "$SCRATCH" "$DEVICE" "$PRECISION" <<'EOF'
import sys, time
from nas_kernel.components import build_component
from nas_edge.mobilenet_space import MobileNetSearchSpace
from nas_edge.supernet.settings import SupernetSettings
from nas_edge.supernet.trainer import train_supernet

scratch, device, precision = sys.argv[1:4]
data = build_component("datasets", "synthetic", {"input_shape": [3, 32, 32], "num_train": 2048, "num_val": 256}, seed=1)
space = MobileNetSearchSpace(in_channels=3, num_classes=10, resolutions=[32], seed=1)
settings = SupernetSettings.checked(epochs=1, batch_size=128, device=device, precision=precision)
started = time.perf_counter()
meta = train_supernet(space, data, settings, f"{scratch}/supernet", echo=print)
print(f"one supernet epoch: {time.perf_counter() - started:.1f} s wall ({meta['train_seconds']} s training), "
      f"{meta['steps']} steps of 128 images x 4 sub-networks on {meta['device']}, {precision}; {meta['history']}")
EOF

step "done: $FAILED failed step(s) in $(( $(date +%s) - START )) s (scratch: $SCRATCH)"
exit "$FAILED"
