"""Architecture files are small JSON documents; loading is strict and safe."""
import json

import pytest

from nas_search_spaces.cnn import CNNSearchSpace
from nas_search_spaces.hivenas_chain import HiveNasChainSearchSpace


def test_file_shape(tmp_path):
    space = CNNSearchSpace()
    path = tmp_path / "m"
    space.save_arch(space.make(3, 5, 32), path)
    assert json.loads(path.read_text()) == {"space": "cnn", "format": 1, "archid": "L=3,K=5,H=32",
                                            "arch": {"nb_layers": 3, "kernel_size": 5, "hidden_dim": 32}}


def test_refuses_other_spaces_and_tampering(tmp_path):
    path = tmp_path / "m"
    CNNSearchSpace().save_arch(CNNSearchSpace().make(3, 5, 32), path)
    with pytest.raises(ValueError, match="space 'cnn'"):
        HiveNasChainSearchSpace().load_arch(path)
    document = json.loads(path.read_text())
    document["archid"] = "L=1,K=5,H=32"
    path.write_text(json.dumps(document))
    with pytest.raises(ValueError, match="archid"):
        CNNSearchSpace().load_arch(path)
    document["archid"], document["arch"]["nb_layers"] = "L=9,K=5,H=32", 9
    path.write_text(json.dumps(document))
    with pytest.raises(ValueError, match="nb_layers"):
        CNNSearchSpace().load_arch(path)
    path.write_text(json.dumps(dict(document, format=2)))
    with pytest.raises(ValueError, match="format"):
        CNNSearchSpace().load_arch(path)
    path.write_bytes(b"x" * (2 << 20))
    with pytest.raises(ValueError, match="too large"):
        CNNSearchSpace().load_arch(path)
