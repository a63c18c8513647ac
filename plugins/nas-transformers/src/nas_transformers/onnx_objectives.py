"""Archai's ONNX pair for ``transformer_flex``: ``TransformerFlexOnnxLatency`` (seconds per
onnxruntime inference of the exported decoder) and ``TransformerFlexOnnxMemory`` (megabytes of the
exported ONNX file, what the model takes on disk and to load).

The exported graph ends, as Archai's does, in the next token's probabilities (the softmax of the
last position's logits): what a generation step computes. ``next_token: false`` exports the logits
of every position instead; with a 50257-token vocabulary that head is most of a run's time.

A search that has both objectives exports each candidate once: the latest export of this process
is kept in memory (replaced by the next candidate's) and the other evaluator reuses it when the
architecture and export settings are the same. No file is written: onnxruntime is handed the graph
and the weights as they lie in the torch tensors' memory, and the memory objective is the exact
size the self-contained file would have (``OnnxExport.file_bytes``). Weight prepacking and, with
full optimisations, constant folding (``constant_folding``) are off, so a candidate's weights are
held once, not copied into onnxruntime's own layout or transposed into a second copy (the
transposes are fused into the matrix products instead).
"""
from __future__ import annotations

import statistics
import timeit
from typing import Any, List, Optional

from overrides import overrides

from nas_kernel.api import ArchaiModel, ModelEvaluator
from nas_kernel.toolbox.params import check_int
from nas_transformers.threads import check_thread_count, pinned_threads

_EXPORT = {"key": None, "export": None}


def export_key(model: ArchaiModel, use_past: bool, opset: int, next_token: bool) -> tuple:
    """What makes two exports the same: the architecture and the export settings."""
    return model.archid, repr(model.metadata.get("config")), use_past, opset, next_token


def exported(model: ArchaiModel, use_past: bool, opset: int, next_token: bool, net=None):
    """The ``OnnxExport`` of ``model`` with these settings: this process's latest export when it
    matches, else a fresh one replacing it (``net``: the module to export, when the caller has it)."""
    from nas_transformers.onnx_export import export_in_memory

    key = export_key(model, use_past, opset, next_token)
    if _EXPORT["key"] != key:
        _EXPORT.update(key=None, export=None)  # the previous candidate's weights go first
        _EXPORT.update(export=export_in_memory(measured_module(model) if net is None else net, use_past, opset,
                                               next_token), key=key)
    return _EXPORT["export"]


def measured_module(model: ArchaiModel):
    """``model.arch`` when it is built; else a constant-weight build of its config (the timings
    and the file size do not depend on the weights' values, and skipping the initialisation is
    most of a large candidate's build time)."""
    config, arch_type = model.metadata.get("config"), model.metadata.get("arch_type")
    if model.is_built or config is None or arch_type is None:
        return model.arch
    from nas_transformers.arch_config import build_for_measuring

    return build_for_measuring(config, arch_type)


class TransformerFlexOnnxLatency(ModelEvaluator):
    """Seconds per onnxruntime run of the exported decoder on ``(batch_size, seq_len)`` tokens
    after ``past_seq_len`` cached positions (Archai's ``TransformerFlexOnnxLatency``).

    Args:
        search_space: accepted for Archai parity (the model is exported from ``model.arch``).
        providers: onnxruntime execution providers (default ``["CPUExecutionProvider"]``).
        batch_size, seq_len, past_seq_len: the timed input.
        n_trials: timed runs (after one untimed run); the mean, or the median with
            ``use_median``.
        use_past: export with the key/value cache as inputs and outputs.
        next_token: the graph's first output is the next token's probabilities, as in Archai's
            export (default); false: the logits of every position.
        validate: compare onnxruntime's first output with torch's on a short input (a mismatch
            fails the candidate).
        share_weights: the output head is tied to the token embedding (always true here).
        opset: the ONNX opset of the export.
        optimize: onnxruntime's full graph optimisations (else basic ones only).
        constant_folding: let onnxruntime fold constants when it loads the session. Off by
            default under full optimisations: they fuse a weight's transpose into its matrix
            product, so folding only makes a transposed copy of every weight; on this project's
            CPU that was most of a large candidate's session build, and the latencies ranked the
            same (``tests/benchmarks/lm_search_cost.py --folding``). Basic optimisations always
            fold (without the fusion an unfolded transpose would run at every inference).
        only_ort: accepted for Archai parity (no separate optimiser runs here).
        torch_threads: onnxruntime's intra-op threads (1: the project's rule on shared CPUs).
    """

    def __init__(self, search_space: Any = None, providers: Optional[List[str]] = None, batch_size: int = 1,
                 seq_len: int = 192, past_seq_len: int = 0, n_trials: int = 1, use_median: bool = False,
                 use_past: bool = True, validate: bool = True, share_weights: bool = True, opset: int = 17,
                 optimize: bool = True, only_ort: bool = False, torch_threads: Optional[int] = 1,
                 constant_folding: bool = False, next_token: bool = True) -> None:
        self.search_space = search_space
        self.providers = list(providers) if providers else ["CPUExecutionProvider"]
        self.batch_size = check_int("batch_size", batch_size, 1)
        self.seq_len = check_int("seq_len", seq_len, 1)
        self.past_seq_len = check_int("past_seq_len", past_seq_len, 0)
        self.n_trials = check_int("n_trials", n_trials, 1)
        self.use_median, self.use_past, self.validate = bool(use_median), bool(use_past), bool(validate)
        self.share_weights, self.optimize, self.only_ort = bool(share_weights), bool(optimize), bool(only_ort)
        self.constant_folding, self.next_token = bool(constant_folding), bool(next_token)
        self.opset = check_int("opset", opset, 14)
        self.torch_threads = check_thread_count("torch_threads", torch_threads)
        if not self.use_past and self.past_seq_len:
            raise ValueError("past_seq_len needs use_past: true (a graph without a cache has no past input)")

    @overrides
    def evaluate(self, arch: ArchaiModel, budget: Optional[float] = None) -> float:
        import onnxruntime as ort

        from nas_transformers.onnx_export import dummy_inputs, first_output

        net = measured_module(arch)
        if net.max_positions < self.seq_len + self.past_seq_len:
            raise ValueError(f"seq_len + past_seq_len ({self.seq_len + self.past_seq_len}) is above the model's "
                             f"max_sequence_length ({net.max_positions})")
        with pinned_threads(self.torch_threads):
            onnx_model = exported(arch, self.use_past, self.opset, self.next_token, net)
            feed = dummy_inputs(net, self.batch_size, self.seq_len, self.past_seq_len, self.use_past,
                                net.embed.num_embeddings)
            # validated on a short input: the same graph, a fraction of a timed run's cost
            check = dummy_inputs(net, 1, min(8, self.seq_len), min(2, self.past_seq_len), self.use_past,
                                 net.embed.num_embeddings, seed=1)
            reference = self._torch_output(net, check) if self.validate else None
        del net  # the export holds the weights from here on, shared with onnxruntime
        options = ort.SessionOptions()
        options.intra_op_num_threads = self.torch_threads or 0
        options.inter_op_num_threads = 1
        options.graph_optimization_level = (ort.GraphOptimizationLevel.ORT_ENABLE_ALL if self.optimize
                                            else ort.GraphOptimizationLevel.ORT_ENABLE_BASIC)
        options.add_session_config_entry("session.disable_prepacking", "1")
        unfolded = self.optimize and not self.constant_folding
        session = onnx_model.session(options, self.providers, ["ConstantFolding"] if unfolded else None)
        if reference is not None:
            import numpy as np

            got = session.run([first_output(self.next_token)], check)[0]
            # probabilities are tiny for a large vocabulary: the tolerance is relative to the largest
            if not np.allclose(got, reference, atol=1e-3 * float(np.abs(reference).max()), rtol=1e-3):
                raise ValueError(f"the ONNX export of {arch.archid} disagrees with torch (max difference "
                                 f"{float(np.abs(got - reference).max()):.3g})")
        timer = timeit.Timer(lambda: session.run(None, feed))
        timer.timeit(number=1)  # warm-up: first-run allocations are not the model's latency
        runs = timer.repeat(repeat=self.n_trials, number=1)
        return float(statistics.median(runs) if self.use_median else statistics.fmean(runs))

    def _torch_output(self, net, feed):
        """What the export's first output should be on ``feed``, computed by torch."""
        import torch

        ids = torch.from_numpy(feed["input_ids"])
        past = [(torch.from_numpy(feed[f"past_key_{i}"]), torch.from_numpy(feed[f"past_value_{i}"]))
                for i in range(len(net.blocks))] if self.use_past else None
        with torch.no_grad():
            logits = net.eval()(ids, past)
            return (torch.softmax(logits[:, -1, :], dim=-1) if self.next_token else logits).numpy()


class TransformerFlexOnnxMemory(ModelEvaluator):
    """Megabytes (MiB) of the exported ONNX file (Archai's ``TransformerFlexOnnxMemory``).

    Args:
        search_space: accepted for Archai parity.
        use_past: export with the key/value cache as inputs and outputs.
        next_token: as for the latency objective (the graph's first output; the weights, which
            are nearly all of the file, are the same either way).
        validate, share_weights, optimize, only_ort: accepted for Archai parity (the export is
            validated by the latency evaluator; the head is always tied).
        opset: the ONNX opset of the export.
    """

    def __init__(self, search_space: Any = None, use_past: bool = True, validate: bool = True,
                 share_weights: bool = True, opset: int = 17, optimize: bool = True, only_ort: bool = False,
                 next_token: bool = True) -> None:
        self.search_space = search_space
        self.next_token = bool(next_token)
        self.use_past, self.validate, self.share_weights = bool(use_past), bool(validate), bool(share_weights)
        self.opset = check_int("opset", opset, 14)
        self.optimize, self.only_ort = bool(optimize), bool(only_ort)

    @overrides
    def evaluate(self, arch: ArchaiModel, budget: Optional[float] = None) -> float:
        return exported(arch, self.use_past, self.opset, self.next_token).file_bytes() / (1024 ** 2)
