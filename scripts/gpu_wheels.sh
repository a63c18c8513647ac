#!/usr/bin/env bash
# Download the wheels the GPU machine lacks into .whl/ (git-ignored), for scripts/gpu_check.sh to
# install offline there. That machine runs Python 3.12 with its own torch and most of this
# project's dependencies; what it lacks (its package list, read before a check) is `overrides`.
# Run it on a machine with network, in the checkout's root, then carry .whl/ to the GPU machine:
#     bash scripts/gpu_wheels.sh            the wheels named below
#     bash scripts/gpu_wheels.sh NAME==VER  these instead (a check there printed "not on this machine")
# Versions are pinned: a second version of a package in .whl/ would stop the install there.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
WHEELS=("overrides==7.7.0")  # what a check on the GPU machine showed missing
[ "$#" -gt 0 ] && WHEELS=("$@")
mkdir -p .whl
for wheel in "${WHEELS[@]}"; do
    "$PYTHON" -m pip download --disable-pip-version-check -q --no-deps --only-binary=:all: \
        --python-version 3.12 --implementation cp --platform manylinux_2_28_x86_64 \
        --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 --platform any \
        -d .whl "$wheel"
done
ls -l .whl
