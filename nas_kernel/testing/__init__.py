"""The conformance kit: named checks that tell a plugin author whether a component keeps the
contract the kernel and the searchers rely on, before users find out otherwise.

Without pytest::

    from nas_kernel.testing import check_search_space
    check_search_space(MySpace(seed=0))                 # raises CheckFailed on the first failure
    results = check_search_space(MySpace(seed=0), on_fail=None)   # or collect result dicts

With pytest::

    @parametrize_with_checks([MySpace(seed=0), with_inputs(MyEvaluator(), models=MySpace(seed=0))])
    def test_conformance(component, check):
        check(component)

and ``check_plugin("my-dist", expects={"search_spaces": ["mine"]})`` for the installed
distribution. Checks are chosen by the ABCs a component implements. Importing this package
imports neither pytest nor torch.
"""
from __future__ import annotations

from typing import Any, Iterable

from nas_kernel.testing._dataset import (check_labels_within_num_classes,
                                         check_pickle_roundtrip_keeps_data, check_sizes_match_splits,
                                         check_splits_are_float_and_int64_tensors,
                                         check_torch_dataset_matches_tensors, dataset_checks)
from nas_kernel.testing._evaluator import check_async_fetch_matches_send_order, check_evaluate_returns_float
from nas_kernel.testing._generator import Expected, WithInputs, checks_for, components_checks_generator, with_inputs
from nas_kernel.testing._naming import name_of
from nas_kernel.testing._ops import check_op_forward_shape
from nas_kernel.testing._plugin import check_plugin
from nas_kernel.testing._predictor import (check_predict_returns_meanvar_shapes, check_predict_variance_is_non_negative,
                                           check_same_seed_same_predictions)
from nas_kernel.testing._recorder import HookRecorder, RecordedCall
from nas_kernel.testing._results import CheckFailed, CheckWarning
from nas_kernel.testing._runners import (check_dataset, check_evaluator, check_op, check_predictor, check_search_space,
                                         check_searcher, check_tracker)
from nas_kernel.testing._search_space import (check_archid_is_stable, check_crossover_returns_model,
                                              check_encode_fixed_length, check_factory_signature,
                                              check_mutate_does_not_modify_parent,
                                              check_random_sample_returns_archai_model, check_same_seed_same_samples,
                                              check_save_load_arch_roundtrip, check_save_load_weights_roundtrip)
from nas_kernel.testing._searcher import (check_fires_on_start_iteration_each_iteration,
                                          check_search_reproducible_with_seed, check_search_runs_tiny_budget_on_cpu)
from nas_kernel.testing._tracker import check_tracker_logs_a_search, check_tracker_resumes_its_run


def parametrize_with_checks(components: Iterable[Any], *, expected_failed_checks: Expected = None):
    """A ``pytest.mark.parametrize("component,check", ...)`` over every check of every component.

    Test ids are ``<Component>-<check_name>``. Checks named by ``expected_failed_checks``
    (``component -> {check_name: reason}``) are marked ``xfail`` with that reason.
    """
    import pytest

    params = []
    for component, check, reason in components_checks_generator(components,
                                                                expected_failed_checks=expected_failed_checks):
        marks = [pytest.mark.xfail(reason=reason)] if reason else []
        params.append(pytest.param(component, check, marks=marks, id=f"{name_of(component)}-{check.__name__}"))
    return pytest.mark.parametrize("component,check", params)


__all__ = [
    "CheckFailed", "CheckWarning", "HookRecorder", "RecordedCall", "WithInputs", "name_of",
    "check_archid_is_stable", "check_dataset", "check_labels_within_num_classes",
    "check_pickle_roundtrip_keeps_data", "check_sizes_match_splits", "check_splits_are_float_and_int64_tensors",
    "check_torch_dataset_matches_tensors", "dataset_checks", "check_async_fetch_matches_send_order", "check_crossover_returns_model",
    "check_encode_fixed_length", "check_evaluate_returns_float", "check_evaluator", "check_factory_signature",
    "check_fires_on_start_iteration_each_iteration", "check_mutate_does_not_modify_parent", "check_op",
    "check_op_forward_shape", "check_plugin", "check_predict_returns_meanvar_shapes",
    "check_predict_variance_is_non_negative", "check_predictor", "check_random_sample_returns_archai_model",
    "check_same_seed_same_predictions", "check_same_seed_same_samples", "check_save_load_arch_roundtrip",
    "check_save_load_weights_roundtrip", "check_search_reproducible_with_seed",
    "check_search_runs_tiny_budget_on_cpu", "check_search_space", "check_searcher", "check_tracker",
    "check_tracker_logs_a_search", "check_tracker_resumes_its_run", "checks_for", "components_checks_generator", "parametrize_with_checks", "with_inputs",
]
