"""The suite runs under ``--import-mode=importlib``: put this folder on sys.path so tests import
the ``trtest_*`` helpers, and the ``nas`` subprocesses find the toy plugin (``trtest_toy``)."""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
if HERE not in sys.path:
    sys.path.insert(0, HERE)
