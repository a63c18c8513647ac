"""Turning text into token ids: bytes by default (vocabulary 256, nothing to download or train),
or a byte-level BPE trained on the training split with the ``tokenizers`` library."""
from __future__ import annotations

from typing import List

import numpy as np

BYTE_VOCAB = 256


def byte_tokens(texts: List[bytes]) -> np.ndarray:
    return np.frombuffer(b"".join(texts), dtype=np.uint8).astype(np.uint16)


def train_bpe(texts: List[bytes], vocab_size: int, save_to: str):
    """A byte-level BPE with ``vocab_size`` ids trained on ``texts``, saved as JSON at ``save_to``."""
    try:
        from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    except ImportError:
        raise ValueError("tokenizer 'bpe' needs the tokenizers library: pip install 'nas-transformers[bpe]'") from None
    tokenizer = Tokenizer(models.BPE())
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
                                  show_progress=False)
    tokenizer.train_from_iterator((t.decode("utf-8") for t in texts), trainer=trainer)
    tokenizer.save(save_to)
    return tokenizer


def bpe_tokens(tokenizer, texts: List[bytes]) -> np.ndarray:
    encoded = tokenizer.encode_batch([t.decode("utf-8") for t in texts])
    ids = [np.asarray(e.ids, dtype=np.uint32) for e in encoded]
    return np.concatenate(ids) if ids else np.zeros(0, dtype=np.uint32)
