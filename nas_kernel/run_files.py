"""The names of the files a search writes in its output directory, defined once: the kernel
writes them and ``nas results``, ``nas train-best``, dashboards and searchers read them by these
names (``from nas_kernel.run_files import PARETO_JSON``). Importing this module imports nothing.
A test (``tests/test_store_reader_rules.py``) holds that no other module spells these names."""

__all__ = ["CACHE_YAML", "EARLIER_RUNS", "ERROR_LOG", "PARETO_JSON", "PARETO_MODELS", "PLOTS",
           "PREPROCESSING_SUFFIX", "RESULTS_DB", "RUN_LOCK", "SAVED_EXPERIMENT", "SEARCH_STATE", "TRACKERS",
           "TRAIN_BEST", "TRAIN_BEST_RECORDS", "WEIGHTS_SUFFIX"]

RESULTS_DB = "results.db"  #: the SQLite store: every evaluation, candidate and run setting
SAVED_EXPERIMENT = "experiment.yaml"  #: the validated experiment the run was started with
SEARCH_STATE = "search_state.csv"  #: Archai's per-iteration table of every evaluated model
PARETO_JSON = "pareto.json"  #: the Pareto front: archid, iteration and objective values
CACHE_YAML = "evaluations.yaml"  #: the evaluation cache as plain YAML records
PLOTS = "plots"  #: folder of the 2-D Pareto evolution plots
PARETO_MODELS = "pareto_models"  #: folder of the front's architectures (and weights, when saved)
WEIGHTS_SUFFIX = "_weights.pt"  #: ``PARETO_MODELS/<archid>_weights.pt``
ERROR_LOG = "error.log"  #: the traceback of what stopped the run
RUN_LOCK = "run.lock"  #: the single writer's lock file (``nas_kernel.runstate.RunLock``), naming its holder
EARLIER_RUNS = "earlier-runs"  #: folder where a new search moves an earlier run it found (nothing deleted)
TRACKERS = "trackers"  #: folder of each tracker's logged count and state (``<label>.json``)
TRAIN_BEST = "train_best"  #: folder of what ``nas train-best`` trained: arch, weights, ONNX, preprocessing
TRAIN_BEST_RECORDS = "train_best.json"  #: ``TRAIN_BEST/train_best.json``: one record per trained model
PREPROCESSING_SUFFIX = "_preprocessing.json"  #: ``TRAIN_BEST/<archid>_preprocessing.json``
