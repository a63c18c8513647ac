"""``text``: a language-modelling corpus from the user's files, or the Python standard library.

The split is by file and seeded: files are shuffled with ``seed`` and the first
``val_fraction`` of them (at least one) hold the validation text, so no file is on both sides.
A corpus of one file is split inside it instead: its last ``val_fraction`` of bytes (from the
next line start) is the validation text.

Token ids are encoded once into a cache folder, ``OUTPUT_DIR/text_cache/<key>/`` (``train.bin``,
``val.bin``, ``meta.json``, and ``tokenizer.json`` for BPE), and read back memory-mapped; the key
covers the files (path, size, modification time) and every setting, so every worker of a search
shares one cache and a changed corpus gets a new one. The first process to need it writes it
under a file lock; ``meta.json`` is written last, so a half-written cache is never read.

The provider pickles as its settings and file lists; each process maps the cache itself.
"""
from __future__ import annotations

import hashlib
import json
import math
import os
import random
from typing import Any, Dict, List, Optional, Tuple

import numpy as np

from nas_kernel.api.dataset import DatasetProvider
from nas_kernel.toolbox.params import check_choice, check_int, check_number
from nas_transformers import corpus_files
from nas_transformers.tokenization import BYTE_VOCAB, bpe_tokens, byte_tokens, train_bpe

TOKENIZERS = ("bytes", "bpe")
DEFAULT_BPE_VOCAB = 2048
CACHE_FOLDER = "text_cache"


class TextCorpus(DatasetProvider):
    """Train / validation token streams of a text corpus, cut into ``seq_len`` windows.

    Args:
        path: a file, a folder or a glob (relative to the experiment's folder); None: the
            standard library's ``.py`` sources of the running interpreter.
        tokenizer: ``bytes`` (vocabulary 256) or ``bpe`` (byte-level BPE trained on the
            training split; needs ``pip install 'nas-transformers[bpe]'``).
        vocab_size: BPE's vocabulary (default 2048, at least 257); must stay unset for ``bytes``.
        seq_len: tokens per window: what a model sees at once and the space's
            ``max_sequence_length`` when the space does not set one.
        val_fraction: share of the files (of the bytes, for a single file) held out.
        max_bytes: read files (in the seeded order) until this many bytes; None reads all.
        seed: the file shuffle; ``nas search`` passes the experiment's seed.
        output_dir: the run folder the token cache goes under (``nas search`` passes it).
        cache_dir: the cache folder to use instead; with neither, tokens stay in memory.
        base_dir: the folder a relative ``path`` is read from (the experiment's folder).

    ``get_train()`` / ``get_val()`` follow the dataset contract's shape with token windows:
    ``(inputs int64 (N, seq_len), targets int64 (N, seq_len))``, targets shifted by one.
    """

    def __init__(self, path: Optional[str] = None, tokenizer: str = "bytes", vocab_size: Optional[int] = None,
                 seq_len: int = 128, val_fraction: float = 0.1, max_bytes: Optional[int] = None, seed: int = 1,
                 output_dir: Optional[str] = None, cache_dir: Optional[str] = None,
                 base_dir: Optional[str] = None) -> None:
        self.path, self.base_dir = path, base_dir
        self.tokenizer = check_choice("tokenizer", tokenizer, TOKENIZERS)
        if tokenizer == "bytes" and vocab_size is not None:
            raise ValueError("vocab_size is set but tokenizer is 'bytes' (its vocabulary is 256); "
                             "use tokenizer: bpe for a trained vocabulary")
        self.vocab_size = BYTE_VOCAB if tokenizer == "bytes" else check_int(
            "vocab_size", DEFAULT_BPE_VOCAB if vocab_size is None else vocab_size, BYTE_VOCAB + 1)
        self.seq_len = check_int("seq_len", seq_len, 1)
        self.val_fraction = check_number("val_fraction", val_fraction, 0.0, 0.9, low_open=True)
        self.max_bytes = None if max_bytes is None else check_int("max_bytes", max_bytes, 1)
        self.seed = check_int("seed", seed, 0)
        self.cache_dir = cache_dir or (os.path.join(output_dir, CACHE_FOLDER) if output_dir else None)
        self.train_files, self.val_files, self.single_file_split = self._choose_files()
        self._tokens: Optional[Dict[str, np.ndarray]] = None
        self._meta: Dict[str, Any] = {}

    # ---- which text goes where (checked when built: a bad corpus is a config error) -------------
    def _choose_files(self) -> Tuple[List[str], List[str], Optional[int]]:
        files = corpus_files.resolve(self.path, self.base_dir)
        random.Random(self.seed).shuffle(files)
        chosen, total = [], 0
        for file in files:
            if self.max_bytes is not None and total >= self.max_bytes:
                break
            data = corpus_files.read_text(file, strict=self.path is not None)
            if data is not None:
                chosen.append(file)
                total += len(data)
        if not chosen:
            raise ValueError(f"path: no readable text in {self.path!r}")
        if len(chosen) == 1:
            data = corpus_files.read_text(chosen[0], strict=True)
            cut = _line_start_after(data, int(len(data) * (1 - self.val_fraction)))
            split, sizes = (chosen, [], cut), (cut, len(data) - cut)
        else:
            n_val = max(1, int(round(len(chosen) * self.val_fraction)))
            split = (sorted(chosen[n_val:]), sorted(chosen[:n_val]), None)
            sizes = tuple(sum(os.path.getsize(f) for f in part) for part in split[:2])
        for name, size in zip(("training", "validation"), sizes):
            if size < self.seq_len + 1:  # bytes bound the tokens from above: BPE has no more tokens than bytes
                raise ValueError(f"seq_len: the {name} split holds {size} bytes, shorter than one context window "
                                 f"of {self.seq_len} tokens plus one; use a longer corpus or a smaller seq_len")
        return split

    # ---- the token cache ---------------------------------------------------------------------------
    def cache_key(self) -> str:
        stats = [(f, os.path.getsize(f), int(os.path.getmtime(f))) for f in self.train_files + self.val_files]
        material = [stats, self.single_file_split, self.tokenizer, self.vocab_size, sorted(self.val_files)]
        return hashlib.sha256(json.dumps(material).encode()).hexdigest()[:20]

    def _texts(self, split: str) -> List[bytes]:
        if self.single_file_split is not None:
            data = corpus_files.read_text(self.train_files[0], strict=True)
            cut = self.single_file_split
            return [data[:cut]] if split == "train" else [data[cut:]]
        files = self.train_files if split == "train" else self.val_files
        return [corpus_files.read_text(f, strict=True) for f in files]

    def _encode(self, folder: Optional[str]) -> Tuple[Dict[str, np.ndarray], Dict[str, Any]]:
        texts = {split: self._texts(split) for split in ("train", "val")}
        if self.tokenizer == "bytes":
            tokens = {split: byte_tokens(t) for split, t in texts.items()}
        else:
            import tempfile

            with tempfile.TemporaryDirectory() as tmp:
                where = os.path.join(folder or tmp, "tokenizer.json")
                bpe = train_bpe(texts["train"], self.vocab_size, where)
                tokens = {split: bpe_tokens(bpe, t).astype(np.uint16 if self.vocab_size <= 65536 else np.uint32)
                          for split, t in texts.items()}
        meta = {"vocab_size": self.vocab_size, "dtype": str(tokens["train"].dtype),
                "tokens": {s: int(len(t)) for s, t in tokens.items()},
                "bytes": {s: int(sum(len(b) for b in t)) for s, t in texts.items()}}
        for split, stream in tokens.items():
            if len(stream) < self.seq_len + 1:
                raise ValueError(f"seq_len: the {split} split encodes to {len(stream)} tokens, shorter than one "
                                 f"context window of {self.seq_len} tokens plus one")
        return tokens, meta

    def _load(self) -> Dict[str, np.ndarray]:
        if self._tokens is not None:
            return self._tokens
        if self.cache_dir is None:
            self._tokens, self._meta = self._encode(None)
            return self._tokens
        folder = os.path.join(self.cache_dir, self.cache_key())
        os.makedirs(folder, exist_ok=True)
        meta_path = os.path.join(folder, "meta.json")
        if not os.path.exists(meta_path):
            import fcntl

            with open(os.path.join(folder, ".lock"), "w") as lock:
                fcntl.flock(lock, fcntl.LOCK_EX)  # one writer; the others wait, then read its files
                if not os.path.exists(meta_path):
                    tokens, meta = self._encode(folder)
                    for split, stream in tokens.items():
                        _write_atomic(os.path.join(folder, f"{split}.bin"), stream.tobytes())
                    _write_atomic(meta_path, json.dumps(meta).encode())
        with open(meta_path, encoding="utf-8") as f:
            self._meta = json.load(f)
        self._tokens = {split: np.memmap(os.path.join(folder, f"{split}.bin"), dtype=self._meta["dtype"], mode="r")
                        for split in ("train", "val")}
        return self._tokens

    def __getstate__(self):
        state = dict(self.__dict__)
        state["_tokens"], state["_meta"] = None, {}
        return state

    # ---- reading -------------------------------------------------------------------------------
    def tokens(self, split: str) -> np.ndarray:
        """The whole token stream of ``train`` or ``val`` (memory-mapped when cached)."""
        if split not in ("train", "val"):
            raise ValueError(f"split must be 'train' or 'val' (text has no test split), got {split!r}")
        return self._load()[split]

    def byte_count(self, split: str) -> int:
        """Bytes of text behind a split's tokens (bits per byte divides by it)."""
        self._load()
        return int(self._meta["bytes"][split])

    @property
    def num_classes(self) -> int:
        return self.vocab_size

    @property
    def input_shape(self) -> Tuple[int, ...]:
        return (self.seq_len,)

    def space_sizes(self) -> Dict[str, int]:
        """What a space takes from this corpus when its experiment does not say (the kernel's
        data-fit contract): the token vocabulary and, as the longest context, one window."""
        return {"vocab_size": self.vocab_size, "max_sequence_length": self.seq_len}

    def windows(self, split: str, limit: Optional[int] = None):
        """Non-overlapping ``(inputs, targets)`` windows of a split as int64 tensors."""
        import torch

        stream = self.tokens(split)
        count = (len(stream) - 1) // self.seq_len
        count = count if limit is None else min(count, int(limit))
        flat = torch.from_numpy(np.asarray(stream[:count * self.seq_len + 1], dtype=np.int64))
        x = flat[:-1].reshape(count, self.seq_len)
        y = flat[1:count * self.seq_len + 1].reshape(count, self.seq_len)
        return x, y

    def get_train(self):
        return self.windows("train")

    def get_val(self):
        return self.windows("val")

    def sizes(self) -> Dict[str, int]:
        return {split: (len(self.tokens(split)) - 1) // self.seq_len for split in ("train", "val")} | {"test": 0}

    def input_transform(self) -> Dict[str, Any]:
        """What a deployed model is fed: token ids of this tokenizer (``nas train-best`` writes it
        next to the weights)."""
        return {"input_shape": [self.seq_len], "dtype": "int64", "channel_order": None, "size": None,
                "raw": f"UTF-8 text as {self.tokenizer} token ids (vocab {self.vocab_size})", "mean": None,
                "std": None}

    def describe(self) -> str:
        where = "the standard library" if self.path is None else repr(self.path)
        return (f"text from {where}: {len(self.train_files)} training / {len(self.val_files)} validation files, "
                f"{self.tokenizer} tokens, vocab {self.vocab_size}, seq_len {self.seq_len}")


def _line_start_after(data: bytes, position: int) -> int:
    """The first line start at or after ``position`` (so a split never cuts a UTF-8 character)."""
    newline = data.find(b"\n", max(0, position - 1))
    return position if newline < 0 else newline + 1


def _write_atomic(path: str, payload: bytes) -> None:
    tmp = f"{path}.{os.getpid()}.tmp"
    with open(tmp, "wb") as f:
        f.write(payload)
    os.replace(tmp, path)


def bits_per_byte(loss_nats: float, tokens: int, byte_count: int) -> float:
    """Cross-entropy per byte of text, in bits: comparable across tokenizers."""
    return loss_nats * tokens / (byte_count * math.log(2))
