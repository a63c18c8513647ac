"""The suite runs under ``--import-mode=importlib``: put this folder on sys.path so tests can import
the ``lmtest_*`` helper module."""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
if HERE not in sys.path:
    sys.path.insert(0, HERE)
