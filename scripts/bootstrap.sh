#!/usr/bin/env bash
# Set up a development environment from a fresh clone: a virtualenv in .venv with the CPU build
# of torch first (a plain `torch` requirement would pull a multi-GB CUDA build), then the kernel
# and every plugin distribution under plugins/, editable, in one pip command so the local
# distributions satisfy each other. Safe to run again: it only installs what changed.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3.11}
command -v "$PYTHON" >/dev/null 2>&1 || PYTHON=python3
if [ ! -x .venv/bin/python ]; then
    "$PYTHON" -m venv .venv
fi
PIP=(.venv/bin/python -m pip --disable-pip-version-check -q)
# pip's exit status is kept; only the machine's noisy "extra index ... is ignored" lines are dropped
pip_install() { "${PIP[@]}" install "$@" 2>&1 | { grep -v "is ignored: it is neither a file nor a directory" || true; }; }

# torch first, pinned to the CPU wheel: every torch>=2.3 requirement below is then satisfied.
if ! .venv/bin/python -c "import torch, sys; sys.exit(torch.__version__.split('+')[0] != '2.13.0')" 2>/dev/null; then
    pip_install "torch==2.13.0"
fi

args=(-e ".[test,docs]")
for plugin in plugins/*/; do
    [ -f "$plugin/pyproject.toml" ] || continue
    extras=$(.venv/bin/python scripts/plugin_extras.py "$plugin")
    args+=(-e "${plugin%/}${extras}")
done
# the third-party example plugin of the docs, installed as a user would install theirs
args+=(-e docs/examples/nas-example-space)
pip_install "${args[@]}"
.venv/bin/python -c "import torch; assert torch.__version__.startswith('2.13.0'), torch.__version__"

# Debian's Chromium and ChromeDriver for the dashboard's browser tests (Selenium drives
# /usr/bin/chromedriver; nothing downloads a browser): only when missing, as root, with apt-get.
if ! { [ -x /usr/bin/chromium ] && [ -x /usr/bin/chromedriver ]; } && [ "$(id -u)" = 0 ] \
        && command -v apt-get >/dev/null 2>&1; then
    { DEBIAN_FRONTEND=noninteractive apt-get update -qq \
        && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null; } \
        || echo "bootstrap: could not install chromium/chromium-driver; the browser tests will skip" >&2
fi
echo "bootstrap: installed nas-kernel and $(ls -d plugins/*/ | wc -l) plugin distributions into .venv"
