"""The ``text`` dataset on real files: the seeded split by file, the single-file fallback, the
token cache shared by every reader, BPE, and one clear error per bad corpus."""
import os
import pickle

import numpy as np
import pytest

from .lm_helpers import corpus, write_files
from nas_transformers import TextCorpus
from nas_transformers.corpus_files import stdlib_files

LINES = "def add(a, b):\n    return a + b\n"


def test_default_corpus_is_the_standard_library_split_by_file_with_the_seed(tmp_path):
    data = corpus()
    assert set(data.train_files).isdisjoint(data.val_files) and data.val_files
    assert set(data.train_files + data.val_files) <= set(stdlib_files())
    assert corpus().val_files == data.val_files and corpus(seed=1).val_files != data.val_files
    x, y = data.get_val()
    assert x.shape[1] == data.seq_len and bool((x[:, 1:] == y[:, :-1]).all())
    text = b"".join(open(f, "rb").read() for f in data.val_files)  # bytes tokens are the file bytes
    assert bytes(np.asarray(data.tokens("val"), dtype=np.uint8)) == text and data.byte_count("val") == len(text)


def test_one_file_is_split_inside_at_a_line_start(tmp_path):
    path = tmp_path / "one.txt"
    path.write_text(LINES * 200, encoding="utf-8")
    data = TextCorpus(str(path), seq_len=16, val_fraction=0.25)
    assert data.train_files == [str(path)] and data.val_files == [] and data.single_file_split is not None
    train, val = (bytes(np.asarray(data.tokens(s), dtype=np.uint8)) for s in ("train", "val"))
    assert train + val == path.read_bytes() and train.endswith(b"\n")
    assert abs(len(val) / len(train + val) - 0.25) < 0.01


def test_the_token_cache_is_written_once_and_shared_by_every_reader(tmp_path):
    folder = write_files(tmp_path / "docs", [LINES * (30 + i) for i in range(6)])
    first = TextCorpus(folder, seq_len=16, output_dir=str(tmp_path / "run"))
    tokens = np.asarray(first.tokens("train")).copy()
    (cache,) = os.listdir(tmp_path / "run" / "text_cache")
    written = os.path.getmtime(tmp_path / "run" / "text_cache" / cache / "train.bin")
    clone = pickle.loads(pickle.dumps(first))  # what a worker receives: settings, no arrays
    assert clone._tokens is None
    again = clone.tokens("train")
    assert isinstance(again, np.memmap) and np.array_equal(again, tokens)
    assert os.path.getmtime(tmp_path / "run" / "text_cache" / cache / "train.bin") == written
    assert sorted(os.listdir(tmp_path / "run" / "text_cache" / cache)) == [".lock", "meta.json", "train.bin",
                                                                           "val.bin"]


def test_bpe_is_trained_on_the_training_split_and_encodes_shorter(tmp_path):
    data = corpus(cache_dir=str(tmp_path), tokenizer="bpe", vocab_size=400)
    assert data.vocab_size == 400 and int(np.max(data.tokens("train"))) < 400
    assert len(data.tokens("val")) < 0.8 * data.byte_count("val")  # merges make tokens longer than a byte
    assert any(name.endswith(".json") for _, _, files in os.walk(tmp_path) for name in files)


@pytest.mark.parametrize("case,key", [("empty", "path"), ("binary", "path"), ("short", "seq_len"),
                                      ("latin1", "path"), ("nothing", "path"), ("bpe_vocab", "vocab_size"),
                                      ("bytes_vocab", "vocab_size")])
def test_bad_corpora_are_refused_naming_the_key(tmp_path, case, key):
    folder = write_files(tmp_path / "docs", [LINES * 40, LINES * 40])
    params = {"path": folder, "seq_len": 16}
    if case == "empty":
        open(os.path.join(folder, "zero.txt"), "w").close()
    elif case == "binary":
        with open(os.path.join(folder, "blob.txt"), "wb") as f:
            f.write(b"PK\x03\x04\x00\x00binary")
    elif case == "latin1":
        with open(os.path.join(folder, "old.txt"), "wb") as f:
            f.write("caf\xe9".encode("latin-1"))
    elif case == "short":
        params["seq_len"] = 10_000
    elif case == "nothing":
        params["path"] = str(tmp_path / "no-such-*.txt")
    elif case == "bpe_vocab":
        params.update(tokenizer="bpe", vocab_size=100)
    elif case == "bytes_vocab":
        params["vocab_size"] = 1000
    with pytest.raises((ValueError, FileNotFoundError), match=key):
        TextCorpus(**params)
    assert not os.path.exists(tmp_path / "text_cache")
