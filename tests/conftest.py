"""Kernel test fixtures (the helpers themselves live in support.py, importable by tests)."""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from support import experiment, fake_dists, plugin_manager, toy_manager, toy_site  # noqa: E402,F401
