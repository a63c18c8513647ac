"""The kernel's architecture files (``nas_kernel.toolbox.arch_files``): one safe, strict reader for every
space that saves architectures (the built-in spaces, mobilenet, transformer_flex)."""
import json
from types import SimpleNamespace

import pytest

from nas_kernel.toolbox.arch_files import MAX_ARCH_FILE_BYTES, read_arch, read_json_object, write_arch


def rebuild(arch):
    if "width" not in arch:
        raise ValueError("width missing")
    return SimpleNamespace(archid=f"w{arch['width']}")


def test_an_architecture_round_trips(tmp_path):
    path = str(tmp_path / "a.json")
    write_arch(path, "toy", "w3", {"width": 3})
    assert read_arch(path, "toy", rebuild).archid == "w3"


@pytest.mark.parametrize("content, says", [
    (b"\x80\x81not text", "not an architecture file"),
    (b"{not json", "not an architecture file"),
    (b"[1, 2]", "expected a JSON object"),
    (json.dumps({"space": "toy", "arch": {}}).encode(), "expected keys space, format, archid, arch"),
    (json.dumps({"space": "other", "format": 1, "archid": "w3", "arch": {"width": 3}}).encode(), "space 'other'"),
    (json.dumps({"space": "toy", "format": 2, "archid": "w3", "arch": {"width": 3}}).encode(), "format 2"),
    (json.dumps({"space": "toy", "format": 1, "archid": "w3", "arch": {}}).encode(), "width missing"),
    (json.dumps({"space": "toy", "format": 1, "archid": "w9", "arch": {"width": 3}}).encode(),
     "gives archid 'w3', file says 'w9'"),
])
def test_a_bad_file_is_refused_naming_it(tmp_path, content, says):
    path = tmp_path / "bad.json"
    path.write_bytes(content)
    with pytest.raises(ValueError, match=says) as caught:
        read_arch(str(path), "toy", rebuild)
    assert str(caught.value).startswith(str(path))


def test_a_file_too_large_is_not_read(tmp_path):
    path = tmp_path / "big.json"
    path.write_bytes(b" " * (MAX_ARCH_FILE_BYTES + 1))
    with pytest.raises(ValueError, match="too large"):
        read_json_object(str(path))
