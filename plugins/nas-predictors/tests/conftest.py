"""Makes this folder's helper module (predtest_graphs) importable by the tests."""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
