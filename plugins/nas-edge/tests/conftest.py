import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))  # edge_support.py, importable by every test module


@pytest.fixture(autouse=True, scope="session")
def _one_torch_thread():
    import torch

    torch.set_num_threads(1)
