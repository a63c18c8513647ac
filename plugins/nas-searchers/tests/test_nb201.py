"""On the real NAS-Bench-201 table (needs nas-search-spaces): searches find a top-1 % architecture
(by the 12-epoch CIFAR-10 validation accuracy they optimise) within a stated number of queries."""
import pytest

from nas_kernel import SearchObjectives
from searcher_settings import TINY

pytest.importorskip("nas_search_spaces")

SIGNAL = "cifar10_valid_acc_12ep"
#: searcher -> (parameters, queries within which every tested seed must reach the top 1 %)
WITHIN = {
    "local_search": ({"num_iters": 41}, 50),  # 10 initial + 1 per iteration
    "regularized_evolution": ({"num_iters": 41}, 50),  # 10 initial + 1 per iteration
    "evolution_pareto": ({"num_iters": 12}, 150),  # 10 initial + up to 15 per iteration
}


def top_percent_threshold(table) -> float:
    values = sorted((table.value(i, SIGNAL) for i in range(len(table))), reverse=True)
    return values[len(values) // 100 - 1]


@pytest.mark.parametrize("name", sorted(WITHIN))
def test_finds_a_top_one_percent_architecture(tmp_path, name):
    from nas_search_spaces.nb201.search_space import NatsbenchTssSearchSpace
    from nas_search_spaces.nb201.table_evaluator import Nb201TableEvaluator

    params, budget = WITHIN[name]
    evaluator = Nb201TableEvaluator(metric=SIGNAL)
    threshold = top_percent_threshold(evaluator.table)
    for seed in (1, 2, 3):
        objectives = SearchObjectives()
        objectives.add_objective(SIGNAL, evaluator, higher_is_better=True)
        factory = TINY[name][0]
        searcher = factory(NatsbenchTssSearchSpace(seed=seed), objectives, str(tmp_path / f"{name}{seed}"),
                           seed=seed, **params)
        searcher.progress = False
        results = searcher.search()
        values = [v for entry in results.results for v in entry[SIGNAL]][:budget]
        assert max(values) >= threshold, f"{name} seed {seed}: best {max(values)} < top-1 % {threshold}"
