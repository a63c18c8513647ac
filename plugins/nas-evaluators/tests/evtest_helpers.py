"""Importable functions the worker processes run in the parallel-evaluation tests."""
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
