"""Tiny spaces and corpora the tests share: small enough to train in a second on one CPU thread,
on real text (a slice of the standard library's sources)."""
from __future__ import annotations

import os

from nas_transformers import TextCorpus, TransformerFlexSearchSpace

SEQ_LEN = 32
CORPUS_BYTES = 200_000


def tiny_space(arch_type: str = "gpt2", seed: int = 0, per_layer: bool = True, **params):
    settings = dict(max_layers=3, d_model_options=[32, 48, 64], d_inner_options=[32, 64, 96],
                    n_head_options=[2, 4], n_kv_head_options=[1, 2], share_d_inner=not per_layer,
                    share_n_head=not per_layer, vocab_size=256, max_sequence_length=SEQ_LEN, random_seed=seed)
    settings.update(params)
    return TransformerFlexSearchSpace(arch_type, **settings)


def corpus(cache_dir=None, **params):
    settings = dict(seq_len=SEQ_LEN, max_bytes=CORPUS_BYTES, seed=0, cache_dir=cache_dir)
    settings.update(params)
    return TextCorpus(**settings)


def write_files(folder, texts):
    os.makedirs(folder, exist_ok=True)
    for i, text in enumerate(texts):
        with open(os.path.join(folder, f"part{i:02d}.txt"), "w", encoding="utf-8") as f:
            f.write(text)
    return str(folder)
