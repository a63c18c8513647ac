"""The names of the files a search writes in its output directory, defined once: the kernel
writes them and ``nas results``, ``nas train-best``, dashboards and searchers read them by these
names (``from nas_kernel.run_files import PARETO_JSON``). Importing this module imports nothing."""

RESULTS_DB = "results.db"  #: the SQLite store: every evaluation, candidate and run setting
SAVED_EXPERIMENT = "experiment.yaml"  #: the validated experiment the run was started with
SEARCH_STATE = "search_state.csv"  #: Archai's per-iteration table of every evaluated model
PARETO_JSON = "pareto.json"  #: the Pareto front: archid, iteration and objective values
CACHE_YAML = "evaluations.yaml"  #: the evaluation cache as plain YAML records
PLOTS = "plots"  #: folder of the 2-D Pareto evolution plots
PARETO_MODELS = "pareto_models"  #: folder of the front's architectures (and weights, when saved)
WEIGHTS_SUFFIX = "_weights.pt"  #: ``PARETO_MODELS/<archid>_weights.pt``
ERROR_LOG = "error.log"  #: the traceback of what stopped the run
