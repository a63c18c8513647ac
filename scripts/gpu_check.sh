#!/usr/bin/env bash
# The GPU paths, checked on a machine with a GPU in under 10 minutes, offline:
#   1. the machine: its torch against the version the code needs (the pyprojects' torch>=),
#   2. install this checkout into a scratch folder with the machine's own Python and torch
#      (pip --no-index --no-deps --no-build-isolation --target: nothing is fetched; a dependency
#      the machine lacks, e.g. `overrides`, is installed from wheels carried in .whl/),
#   3. the CUDA-parametrised tests (a CUDA case skipped here is a failure),
#   4. the embedded default experiment with partial_training on cuda at bf16,
#   5. the process pool on the GPU: two pinned workers, DataLoader workers inside a worker, a
#      deterministic `cnn` candidate, peak memory after warm-up,
#   6. DARTS on the GPU: one search step's time, and a one-epoch search from an experiment file,
#   7. training throughput: the GPU next to the CPU, and 1, 2, 4, 8 workers sharing the GPU,
#   8. the plugins' own GPU steps, at the marked place below: a mobilenet latency table built on
#      the GPU against measured latency; one epoch of mobilenet supernet training; a tiny language
#      model trained on the GPU (fp32, bf16) with its generation latency and inference memory.
# Every step has a time limit; together they fit TOTAL_SECONDS (a step that would overrun it gets
# what is left, and a step with no time left fails). A step that cannot run fails: nothing is
# skipped silently. A new step takes its limit from TOTAL_SECONDS: shorten another or raise the
# total and the time stated above together.
# Usage: bash scripts/gpu_check.sh              (PYTHON=python3.12 to choose the interpreter)
#        GPU_CHECK_DEVICE=cpu bash scripts/gpu_check.sh   checks the script itself on a CPU box (fp32)
# Prepare the wheels on a machine with network (then carry .whl/ along, it is git-ignored):
#   bash scripts/gpu_wheels.sh
# Exit status: 0 when every step passed, else the number of failed steps (90-94: could not start).
set -uo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
DEVICE=${GPU_CHECK_DEVICE:-cuda}
PRECISION=${GPU_CHECK_PRECISION:-$([ "$DEVICE" = cpu ] && echo fp32 || echo bf16)}  # bf16 is slow on most CPUs
SCRATCH=$(mktemp -d "${TMPDIR:-/tmp}/nas-gpu-check.XXXXXX")
SITE="$SCRATCH/site"
START=$(date +%s)
CHECK_START=$START  # reset after the install: the steps' total time counts from there
TOTAL_SECONDS=${GPU_CHECK_TOTAL_SECONDS:-550}  # every step's limit together (the install comes before)
SLOWER=$([ "$DEVICE" = cpu ] && echo 4 || echo 1)  # checking the script on a CPU box: 4x every limit
FAILED=0
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-1} PYTHONUNBUFFERED=1

step() { echo; echo "=== [$(( $(date +%s) - START )) s] $*"; }
fail() {  # fail "what": a step that could not run counts as failed
    echo "--- FAILED: $1"; FAILED=$((FAILED + 1))
}
run() {  # run "what" LIMIT cmd...: a failing step is counted, the check goes on
    local what=$1 limit=$(( $2 * SLOWER )); shift 2
    local left=$(( CHECK_START + TOTAL_SECONDS * SLOWER - $(date +%s) ))
    if [ "$left" -le 0 ]; then fail "$what (no time left of the ${TOTAL_SECONDS} s total)"; return; fi
    [ "$limit" -gt "$left" ] && limit=$left
    if timeout "$limit" "$@"; then echo "--- ok: $what"; else echo "--- FAILED ($?): $what"; FAILED=$((FAILED + 1)); fi
}

step "machine"
"$PYTHON" -c "import sys, torch; print('python', sys.version.split()[0], '| torch', torch.__version__, '| cuda', torch.version.cuda, '| GPUs', torch.cuda.device_count())" || exit 90
command -v nvidia-smi >/dev/null && nvidia-smi -L
"$PYTHON" - plugins/*/pyproject.toml <<'EOF' || exit 94
import re, sys
import torch
needed = max(tuple(int(p) for p in m.split(".")) for path in sys.argv[1:]
             for m in re.findall(r'"torch>=([0-9.]+)"', open(path).read()))
found = tuple(int(p) for p in re.match(r"(\d+)\.(\d+)", torch.__version__).groups())
print(f"torch {torch.__version__}: the code needs torch>={'.'.join(map(str, needed))} "
      "(torch.amp.GradScaler(device) is 2.3's)")
sys.exit(0 if found >= needed[:2] else f"gpu_check: torch {torch.__version__} is older than the code needs")
EOF
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
        || fail "no wheel of $dist in .whl/ (bash scripts/gpu_wheels.sh $dist on a machine with network)"
done
for tool in pytest iniconfig packaging pytest_timeout; do  # the test runner, if the machine lacks it
    "$PYTHON" -c "import $tool" 2>/dev/null || "${PIP[@]}" install --no-index --no-deps --find-links .whl \
        --target "$SITE" "${tool//_/-}" || echo "gpu_check: no $tool here or in .whl/"
done
"$PYTHON" -m nas_kernel.cli plugins list | head -20
CHECK_START=$(date +%s)

step "CUDA-parametrised tests"
device_tests() {  # the tests, then: a CUDA case skipped on this machine is a failure, not a pass
    "$PYTHON" -m pytest -q -rs -p no:cacheprovider "$@" 2>&1 | tee "$SCRATCH/tests.log"
    local status=${PIPESTATUS[0]}
    if [ "$DEVICE" != cpu ] && grep -E "SKIPPED.*(torch sees no GPU|needs a CUDA device|needs a GPU)$" "$SCRATCH/tests.log"; then
        echo "gpu_check: CUDA cases above were skipped on a machine with a GPU"; return 1
    fi
    return "$status"
}
export -f device_tests
export PYTHON DEVICE SCRATCH
run "device tests" 80 bash -c 'device_tests "$@"' _ \
    tests/test_devices.py plugins/nas-evaluators/tests/test_devices_training.py \
    plugins/nas-evaluators/tests/test_pool_devices.py plugins/nas-evaluators/tests/test_devices_profiling.py \
    plugins/nas-evaluators/tests/test_devices_cli.py plugins/nas-evaluators/tests/test_gpu_paths.py \
    plugins/nas-evaluators/tests/test_regression.py \
    "plugins/nas-predictors/tests/test_predictors.py::test_torch_predictors_follow_the_shared_device_rule" \
    "plugins/nas-edge/tests/test_latency_table.py::test_builds_and_predicts_on_each_device_and_runtime" \
    plugins/nas-edge/tests/test_supernet.py
run "supergraph device tests" 35 bash -c 'device_tests "$@"' _ plugins/nas-supergraph/tests/test_gpu_paths.py \
    plugins/nas-supergraph/tests/test_seed_api.py -k "cuda or device or gpu"

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
spec["searcher"]["params"].update(num_iters=2, init_num_models=8)  # the path on the device, not a whole search
with open(os.path.join(scratch, "default.yaml"), "w") as f:
    yaml.safe_dump(spec, f, sort_keys=False)
EOF
run "default experiment" 45 "$PYTHON" -m nas_kernel.cli search "$SCRATCH/default.yaml"
run "results" 10 "$PYTHON" -m nas_kernel.cli results show "$SCRATCH/default-run"

step "process pool on $DEVICE: pinned workers, DataLoader workers inside one, deterministic cnn, peak memory"
PATHS=scripts/gpu_check_paths.py
run "pool: 2 workers pinned to $DEVICE" 30 "$PYTHON" "$PATHS" pool "$DEVICE" "$PRECISION"
run "DataLoader workers inside a pool worker" 20 "$PYTHON" "$PATHS" loader-workers "$DEVICE" "$PRECISION"
run "deterministic cnn candidate" 20 "$PYTHON" "$PATHS" deterministic-cnn "$DEVICE" "$PRECISION"
run "peak memory after warm-up" 15 "$PYTHON" "$PATHS" peak-memory "$DEVICE" "$PRECISION"

step "DARTS on $DEVICE: one step's time, a one-epoch search"
run "DARTS step time" 25 "$PYTHON" "$PATHS" darts-step "$DEVICE" "$PRECISION"
cat > "$SCRATCH/darts.yaml" <<EOF
seed: 1
output_dir: $SCRATCH/darts-run
search_space: {name: darts_cells, params: {init_channels: 8, n_cells: 2, n_nodes: 2}}
objectives:
  - {name: val_acc, higher_is_better: true,
     evaluator: {name: final_training, params: {epochs: 1, dataset: {name: digits}, device: $DEVICE}}}
searcher: {name: darts, params: {epochs: 1, dataset: {name: digits}, device: $DEVICE}}
EOF
run "DARTS search from an experiment file" 30 "$PYTHON" -m nas_kernel.cli search "$SCRATCH/darts.yaml" -q

step "training throughput: $DEVICE next to the CPU; 1, 2, 4, 8 workers sharing $DEVICE"
if [ "$DEVICE" = cpu ]; then
    run "throughput" 60 "$PYTHON" tests/benchmarks/training_throughput.py --device cpu --epochs 1 --repeats 1 \
        --sections precision --workers 1,2 --candidates-per-worker 1
else
    run "throughput (digits, GPU next to CPU)" 30 "$PYTHON" tests/benchmarks/training_throughput.py \
        --device cpu --device cuda --data digits --epochs 1 --repeats 1 --sections precision
    run "throughput (3x32x32, 1/2/4/8 workers on the GPU; goal: 8 give >= 3x 1)" 60 "$PYTHON" \
        tests/benchmarks/training_throughput.py --device cuda --epochs 1 --repeats 1 --sections "" \
        --workers 1,2,4,8
fi

# ---- the plugins' own GPU steps go here: one `step` line and its `run` lines each. The steps ----
# ---- above use 400 s of TOTAL_SECONDS (550): these share the other 150 s (all of it now: a  ----
# ---- new step takes its limit from these or from the ones above, never from the total).     ----
step "train-best on $DEVICE: a DARTS cell trained by final_training, exported to ONNX from the GPU"
run "train-best device test" 30 bash -c 'device_tests "$@"' _ tests/test_train_best.py -k cuda

step "language models on $DEVICE: lm_training (fp32, bf16), generation latency and inference memory"
run "lm device tests" 20 bash -c 'device_tests "$@"' _ plugins/nas-transformers/tests/test_lm_training.py \
    plugins/nas-transformers/tests/test_measurements.py \
    plugins/nas-transformers/tests/test_huggingface_export.py -k cuda  # the last: where transformers is there

step "latency table on $DEVICE: predicted against measured (mobilenet, 30 random archs)"
run "latency table" 50 "$PYTHON" tests/benchmarks/latency_table.py --device "$DEVICE" --archs 30 \
    --resolution 128 --runtimes torch --samples 10 --clock wall

step "one supernet epoch on $DEVICE at $PRECISION (mobilenet, CIFAR-shaped data; every GPU when several)"
run "supernet epoch" 50 "$PYTHON" - "$SCRATCH" "$DEVICE" "$PRECISION" <<'EOF'
import sys, time
from nas_kernel.components import build_component
from nas_edge.mobilenet_space import MobileNetSearchSpace
from nas_edge.supernet.settings import SupernetSettings
from nas_edge.supernet.trainer import train_supernet

scratch, device, precision = sys.argv[1:4]
images = 256 if device == "cpu" else 2048  # a CPU box only checks that the step runs
data = build_component("datasets", "synthetic", {"input_shape": [3, 32, 32], "num_train": images, "num_val": 256}, seed=1)
space = MobileNetSearchSpace(in_channels=3, num_classes=10, resolutions=[32], seed=1)
settings = SupernetSettings.checked(epochs=1, batch_size=128, device=device, precision=precision)
started = time.perf_counter()
meta = train_supernet(space, data, settings, f"{scratch}/supernet", echo=print)
print(f"one supernet epoch: {time.perf_counter() - started:.1f} s wall ({meta['train_seconds']} s training), "
      f"{meta['steps']} steps of 128 images x 4 sub-networks on {meta['device']}, {precision}; {meta['history']}")
EOF

step "done: $FAILED failed step(s) in $(( $(date +%s) - START )) s (scratch: $SCRATCH)"
exit "$FAILED"
