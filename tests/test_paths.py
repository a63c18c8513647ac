"""Archids are data: they never become paths that leave their folder."""
import os

import pytest
from hypothesis import given
from hypothesis import strategies as st

from nas_kernel.paths import inside, safe_filename


@pytest.mark.parametrize("archid", ["../../etc/x", "/etc/passwd", "..", ".hidden", "a/b", "a\\b", "C:evil", "", " "])
def test_hostile_archids_stay_inside(tmp_path, archid):
    name = safe_filename(archid)
    assert "/" not in name and "\\" not in name and not name.startswith(".")
    assert os.path.dirname(inside(str(tmp_path), name)) == os.path.realpath(tmp_path)


def test_plain_archids_are_kept_and_distinct_unsafe_ones_stay_distinct():
    assert safe_filename("L=3,K=5,H=32") == "L=3,K=5,H=32"
    assert safe_filename("a/b") != safe_filename("a_b")


@given(st.text(min_size=1, max_size=200))
def test_any_text_gives_a_single_safe_component(text):
    name = safe_filename(text)
    assert name and "/" not in name and "\x00" not in name and name not in (".", "..") and len(name) <= 100


def test_inside_refuses_escapes(tmp_path):
    with pytest.raises(ValueError, match="leaves"):
        inside(str(tmp_path), "../x")
