"""Functions the evaluator tests run in worker processes, importable by name as a spawned worker
imports them (``"nas_evaluators.testing.worker_functions:behave"``)."""
import os
import signal
import time


def behave(model, budget):
    """Value from the archid; 'die' kills its own process mid-job, 'hang' writes its pid and sleeps,
    'slow' sleeps, 'fail' raises."""
    kind, _, number = model.archid.partition("-")
    if kind == "die":
        os.kill(os.getpid(), signal.SIGKILL)
    if kind == "hang":  # announce the pid so a test can kill this worker from outside
        with open(os.path.join(os.environ["EVTEST_PIDDIR"], "hang.pid"), "w") as f:
            f.write(str(os.getpid()))
        time.sleep(60)
    if kind == "slow":
        time.sleep(60)
    if kind == "fail":
        raise RuntimeError("asked to fail")
    model.metadata["pid"] = os.getpid()
    time.sleep(0.05)
    return float(number) * (1 if budget is None else budget)


def count_calls(model, dataset, budget, state):
    """A ProgressiveTraining ``training_fn``: returns calls-so-far x budget, remembering calls."""
    calls = (state or 0) + 1
    return float(calls * budget), calls


def archid_length(model, budget):
    """An EvaluationFunction for the conformance kit: needs only the archid."""
    return float(len(model.archid))


def train_count(model, dataset, budget, state):
    """A ProgressiveTraining ``training_fn`` that accepts budget None."""
    calls = (state or 0) + 1
    return float(calls), calls


_FOLDER = []  # this process's temporary folder, made by its first export_like_an_objective


def export_like_an_objective(model, budget):
    """Like an objective exporting each candidate into one temporary folder per process that an
    exit handler removes; the folder's path is appended to ``$EVTEST_PIDDIR/folders``. Archids
    starting with ``poison`` first read data through a DataLoader worker (its pid written to
    ``$EVTEST_PIDDIR/loader.pid``) and then fail with a sticky CUDA error."""
    import atexit
    import shutil
    import tempfile

    import torch

    if not _FOLDER:
        _FOLDER.append(tempfile.mkdtemp(prefix="evtest-export-"))
        atexit.register(shutil.rmtree, _FOLDER[0], True)
        with open(os.path.join(os.environ["EVTEST_PIDDIR"], "folders"), "a") as f:
            f.write(_FOLDER[0] + "\n")
    with open(os.path.join(_FOLDER[0], "model.onnx"), "w") as f:
        f.write(model.archid)
    if model.archid.startswith("poison"):
        from nas_evaluators.batches import LoaderSplit, _LOADERS

        split = LoaderSplit(Rows(), "train", "cpu", 1, lambda X, device: X)
        assert sum(len(xb) for xb, _ in split.batches(torch.arange(8), 4)) == 8
        (loader,) = [entry[1] for entry in _LOADERS.values()]
        with open(os.path.join(os.environ["EVTEST_PIDDIR"], "loader.pid"), "w") as f:
            f.write(str(loader._iterator._workers[0].pid))
        raise RuntimeError("CUDA error: an illegal memory access was encountered")
    return 1.0


class Rows:
    """Eight rows of two features: data a DataLoader worker can read."""

    def get_train(self):
        import torch

        return torch.zeros(8, 2), torch.zeros(8, dtype=torch.int64)

    def get_val(self):
        return self.get_train()
