"""Archai's Lightweight Transformer Search script (``tasks/text_generation/search.py``) on NAS
Kernel: the same space, objectives and searcher, the imports changed (and ``output_dir`` passed by
keyword: Archai 1.0's searchers take no dataset argument). ``--seq_len`` is 128 here, where
Archai's script times 1024 positions.

    python docs/examples/lm-archai-search.py -o runs/lm-archai -n 1 -inm 4     # a quick run
"""
import argparse

from nas_searchers import EvolutionParetoSearch
from nas_kernel import SearchObjectives
from nas_transformers import (NonEmbeddingParamsProxy, TransformerFlexOnnxLatency, TransformerFlexOnnxMemory,
                              TransformerFlexSearchSpace)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Searches with Transformer-Flex.")
    parser.add_argument("-mt", "--model_type", type=str, choices=["gpt2", "llama"], default="gpt2")
    parser.add_argument("-o", "--output_dir", type=str, default="runs/lm-archai")
    parser.add_argument("-n", "--num_iters", type=int, default=10)
    parser.add_argument("-inm", "--init_num_models", type=int, default=10)
    parser.add_argument("-nrm", "--num_random_mix", type=int, default=5)
    parser.add_argument("-mup", "--max_unseen_population", type=int, default=100)
    parser.add_argument("-mpp", "--mutations_per_parent", type=int, default=1)
    parser.add_argument("-nc", "--num_crossovers", type=int, default=5)
    parser.add_argument("--seq_len", type=int, default=128)
    parser.add_argument("-s", "--seed", type=int, default=1)
    return parser.parse_args()


if __name__ == "__main__":
    args = parse_args()
    space = TransformerFlexSearchSpace(args.model_type, vocab_size=50257, max_sequence_length=1024)
    search_objectives = SearchObjectives()
    search_objectives.add_objective("non_embedding_params", NonEmbeddingParamsProxy(), higher_is_better=True,
                                    compute_intensive=False, constraint=(1e6, 1e9))
    search_objectives.add_objective("onnx_latency",
                                    TransformerFlexOnnxLatency(space, seq_len=args.seq_len, n_trials=5, use_past=False),
                                    higher_is_better=False, compute_intensive=False)
    search_objectives.add_objective("onnx_memory", TransformerFlexOnnxMemory(space, use_past=False),
                                    higher_is_better=False, compute_intensive=False)
    algo = EvolutionParetoSearch(space, search_objectives, output_dir=args.output_dir, num_iters=args.num_iters,
                                 init_num_models=args.init_num_models, num_random_mix=args.num_random_mix,
                                 max_unseen_population=args.max_unseen_population,
                                 mutations_per_parent=args.mutations_per_parent, num_crossovers=args.num_crossovers,
                                 clear_evaluated_models=True, seed=args.seed)
    algo.search()
