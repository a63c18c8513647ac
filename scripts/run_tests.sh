#!/usr/bin/env bash
# The whole test suite as CI runs it, each test once: the kernel's and the documentation examples'
# tests in .venv (every plugin installed), then each plugin's tests in a fresh environment that
# holds only the kernel and that plugin (scripts/test_plugins_alone.py). Arguments go to every pytest
# run (e.g. -x). A plain `.venv/bin/python -m pytest` still runs everything in .venv.
set -uo pipefail
cd "$(dirname "$0")/.."
status=0
echo "== the kernel's and the examples' tests, every plugin installed (.venv)"
.venv/bin/python -m pytest tests docs/examples "$@" || status=1
echo "== each plugin's tests alone with the kernel"
.venv/bin/python scripts/test_plugins_alone.py -- "$@" || status=1
exit "$status"
