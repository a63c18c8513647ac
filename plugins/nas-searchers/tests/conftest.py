"""Makes this folder's helper modules (digit_space, searcher_settings) importable by the tests."""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
