"""Search at several macro sizes: for every combination of reductions, cells and nodes from the
configured ones up to ``pareto.max_reductions/max_cells/max_nodes``, search a supergraph, train
the searched description (``post_train``) and keep the best by validation accuracy. Each
combination has its own files (``...-r{R}c{C}n{N}...``), a summary row per combination goes to
``pareto.summary_filename``, and progress is recorded after each one, so a killed run continues
with the next combination."""
from __future__ import annotations

import copy
import itertools
import os
from typing import Any, Dict, Iterator, List, Optional, Tuple, Type

import yaml

from nas_supergraph.checkpoint import write_yaml
from nas_supergraph.finalizers import Finalizers
from nas_supergraph.model_desc import ModelDesc
from nas_supergraph.searcher import Searcher, SearchResult

Combination = Tuple[int, int, int]


class SearchCombinations(Searcher):
    def search(self, conf_search: Dict[str, Any], model_desc_builder: Any, trainer_class: Optional[Type[Any]],
               finalizers: Finalizers) -> SearchResult:
        combinations = list(self.get_combinations(conf_search))
        start, best = self.restore_checkpoint(conf_search, combinations)
        self._progress = self._progress_path(conf_search)
        for index in range(start, len(combinations)):
            reductions, cells, nodes = combinations[index]
            conf = self._combination_conf(conf_search, reductions, cells, nodes)
            result = Searcher.search(self, conf, model_desc_builder, trainer_class, finalizers)
            if result.train_metrics is None:  # read back: train it again to compare
                result.train_metrics = self.train_model_desc(result.model_desc, conf["post_train"]["trainer"])
            self.save_trained(conf_search, reductions, cells, nodes, result.train_metrics or {})
            if best is None or _score(result) > _score(best):
                best = result
            self.record_checkpoint(index, best)
        if best is None:
            raise ValueError("nas.search.pareto gives no macro combination to search")
        Searcher.clean_log_result(self, conf_search, best)
        return best

    def get_combinations(self, conf_search: Dict[str, Any]) -> Iterator[Combination]:
        md, pareto = conf_search["model_desc"], conf_search["pareto"]
        for r, c, n in itertools.product(range(md["n_reductions"], max(md["n_reductions"], pareto["max_reductions"]) + 1),
                                         range(md["n_cells"], max(md["n_cells"], pareto["max_cells"]) + 1),
                                         range(md["cell"]["n_nodes"], max(md["cell"]["n_nodes"], pareto["max_nodes"]) + 1)):
            if r < c:  # a net needs more cells than reductions
                yield r, c, n

    def restore_checkpoint(self, conf_search: Dict[str, Any], macro_combinations: List[Combination]
                           ) -> Tuple[int, Optional[SearchResult]]:
        """Where a killed run stopped: the next combination's index and the best result so far."""
        path = self._progress_path(conf_search)
        if not os.path.exists(path):
            return 0, None
        with open(path, "r", encoding="utf-8") as f:
            saved = yaml.safe_load(f) or {}
        if saved.get("combinations") != [list(c) for c in macro_combinations]:
            return 0, None
        best = SearchResult(ModelDesc.from_dict(saved["best_desc"]), None, saved.get("best_metrics"))
        return int(saved["index"]) + 1, best

    def record_checkpoint(self, macro_comb_i: int, best_result: SearchResult) -> None:
        write_yaml(self._progress, {"index": macro_comb_i, "combinations": [list(c) for c in self._all],
                                    "best_desc": best_result.model_desc.to_dict(),
                                    "best_metrics": best_result.train_metrics})

    def save_trained(self, conf_search: Dict[str, Any], reductions: int, cells: int, nodes: int,
                     model_metrics: Dict[str, Any]) -> None:
        """Append one summary row (tab-separated) for this combination."""
        path = conf_search["pareto"]["summary_filename"]
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        new = not os.path.exists(path)
        with open(path, "a", encoding="utf-8") as f:
            if new:
                f.write("reductions\tcells\tnodes\tval_acc\ttrain_loss\n")
            f.write(f"{reductions}\t{cells}\t{nodes}\t{model_metrics.get('val_acc', '')}\t"
                    f"{model_metrics.get('train_loss', '')}\n")

    # ---- helpers -----------------------------------------------------------------------------
    def _progress_path(self, conf_search: Dict[str, Any]) -> str:
        self._all = list(self.get_combinations(conf_search))
        return conf_search["pareto"]["summary_filename"] + ".progress.yaml"

    @staticmethod
    def _combination_conf(conf_search: Dict[str, Any], reductions: int, cells: int, nodes: int) -> Dict[str, Any]:
        conf = copy.deepcopy(conf_search)
        tag = f"-r{reductions}c{cells}n{nodes}"
        for section, key in ((None, "final_desc_filename"), (None, "full_desc_filename"), ("checkpoint", "filename")):
            holder = conf if section is None else conf[section]
            if holder.get(key):
                root, ext = os.path.splitext(holder[key])
                holder[key] = root + tag + ext
        md = conf["model_desc"]
        if (reductions, cells) != (md["n_reductions"], md["n_cells"]):
            md["reductions"] = None
        md["n_reductions"], md["n_cells"] = reductions, cells
        md["cell"]["n_nodes"] = nodes
        return conf


def _score(result: SearchResult) -> float:
    metrics = result.train_metrics or {}
    return float(metrics.get("val_acc", float("-inf")))
