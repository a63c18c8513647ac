"""Timing one inference, the same way for a single block and for a whole network.

Settings travel with every table (``TimingSettings``): the device (``cpu`` or ``cuda:N``), the
runtime (eager ``torch`` or ``onnxruntime``), intra-op threads, batch size, warm-up runs, timed
runs, the statistic (``median``, or ``min``: the run least disturbed by other work on a shared
machine) and the clock: ``wall`` (what a user waits), or ``thread_cpu``, the CPU time of the timing
thread, for one-thread CPU timing on a machine other jobs share: a wall clock there counts the time
the scheduler gives to others (a 30 ms network on a core shared by three busy processes takes
90 ms of wall time, a 0.3 ms block usually none), so sums of short blocks and long end-to-end runs
disagree; the thread's CPU time does not see the others. On a GPU, torch runs are timed with CUDA events after the queue is drained
(``nas_kernel.toolbox.devices.timed``); onnxruntime's ``run`` returns its outputs on the host, so a wall
clock around it is synchronised by construction.
"""
from __future__ import annotations

import statistics
import time
from dataclasses import asdict, dataclass
from typing import Any, Dict, List

from nas_kernel.toolbox.devices import check_device, timed
from nas_kernel.toolbox.params import check_choice, check_int
from nas_edge.steady_allocator import steady_allocator

RUNTIMES = ("torch", "onnxruntime")
STATISTICS = ("median", "min")
CLOCKS = ("wall", "thread_cpu")


@dataclass(frozen=True)
class TimingSettings:
    device: str = "cpu"
    runtime: str = "torch"
    threads: int = 1
    batch_size: int = 1
    warmups: int = 3
    samples: int = 15
    statistic: str = "median"
    clock: str = "wall"

    @classmethod
    def checked(cls, device: str = "cpu", runtime: str = "torch", threads: int = 1, batch_size: int = 1,
                warmups: int = 3, samples: int = 15, statistic: str = "median", clock: str = "wall") -> "TimingSettings":
        """Settings with every value checked (ValueError naming the setting)."""
        device = check_device("device", device)
        runtime = check_choice("runtime", runtime, RUNTIMES)
        if runtime == "onnxruntime" and device != "cpu":
            from nas_edge.onnx_export import require_onnxruntime

            if "CUDAExecutionProvider" not in require_onnxruntime("runtime onnxruntime").get_available_providers():
                raise ValueError(f"device {device!r} with runtime onnxruntime needs onnxruntime-gpu "
                                 "(this onnxruntime has no CUDAExecutionProvider)")
        threads = check_int("threads", threads, 1)
        if check_choice("clock", clock, CLOCKS) == "thread_cpu" and (device != "cpu" or threads != 1):
            raise ValueError(f"clock 'thread_cpu' times one CPU thread: it needs device cpu and threads 1, got "
                             f"device {device!r}, threads {threads}")
        return cls(device, runtime, threads, check_int("batch_size", batch_size, 1),
                   check_int("warmups", warmups, 0), check_int("samples", samples, 1),
                   check_choice("statistic", statistic, STATISTICS), clock)

    def to_dict(self) -> Dict[str, Any]:
        return asdict(self)

    def time(self, fn) -> float:
        """Seconds ``fn()`` takes by this clock (CUDA events on a GPU)."""
        if self.clock == "thread_cpu":
            begin = time.thread_time()
            fn()
            return time.thread_time() - begin
        return timed(self.device, fn)

    def reduce(self, times: List[float]) -> float:
        return float(min(times) if self.statistic == "min" else statistics.median(times))


def onnx_session(blob: bytes, settings: TimingSettings):
    """An onnxruntime session over ``blob`` with the settings' threads and device."""
    from nas_edge.onnx_export import require_onnxruntime

    ort = require_onnxruntime("runtime onnxruntime")
    options = ort.SessionOptions()
    options.intra_op_num_threads = settings.threads
    options.inter_op_num_threads = 1
    if settings.device == "cpu":
        providers: list = ["CPUExecutionProvider"]
    else:
        providers = [("CUDAExecutionProvider", {"device_id": int(settings.device.split(":", 1)[1])}),
                     "CPUExecutionProvider"]
    return ort.InferenceSession(blob, sess_options=options, providers=providers)


def time_onnx_ms(blob: bytes, shape, settings: TimingSettings) -> float:
    """Milliseconds per onnxruntime run of the ONNX model ``blob`` on a random input of ``shape``."""
    import numpy as np

    example = np.random.default_rng(0).standard_normal(tuple(shape)).astype("float32")
    session = onnx_session(blob, settings)
    feed = {session.get_inputs()[0].name: example}
    return interleaved_ms([lambda: session.run(None, feed)], settings)[0]


def runner(module, example, settings: TimingSettings):
    """A function of no argument that runs one inference of ``module`` on ``example`` with the
    settings' runtime and device (batch size from the settings), ready to be timed: the module is
    moved, or exported and loaded into an onnxruntime session, once, here. torch runs must be
    called inside ``torch.inference_mode()`` (``interleaved_ms`` does)."""
    if settings.batch_size != example.shape[0]:
        example = example.expand(settings.batch_size, *example.shape[1:]).contiguous()
    if settings.runtime == "onnxruntime":
        from nas_edge.onnx_export import export_onnx

        session = onnx_session(export_onnx(module.cpu().eval(), example.cpu()), settings)
        feed = {session.get_inputs()[0].name: example.cpu().numpy()}
        return lambda: session.run(None, feed)
    net, x = module.to(settings.device).eval(), example.to(settings.device)
    return lambda: net(x)


def interleaved_ms(runners: List[Any], settings: TimingSettings, rounds: int = 1, seconds: float = 0.0) -> List[float]:
    """Milliseconds per inference of each of ``runners`` (see :func:`runner`), timed in rounds that
    each run every one of them in turn (``warmups`` untimed, then ``samples`` timed runs): at least
    ``rounds`` rounds, and more until ``seconds`` have passed since the first; each figure is the
    settings' statistic over all of its runs.

    Why rounds: on a shared machine the speed of a core changes in episodes of a fraction of a
    second to seconds (other work on the host, memory bandwidth, frequency): one network run 600
    times in a row at one thread on this project's CPU took about 10 ms in some episodes and about
    14.5 ms in others, by the thread's CPU time as by the wall clock. Runs taken back to back all
    fall in one episode, so two things timed at different moments are compared across episodes.
    Spreading each one's runs over rounds puts every one of them in several episodes, provided the
    rounds last longer than a few episodes together (hence ``seconds``: a few small networks take a
    fraction of a second per round); with ``statistic: min`` each figure is then its undisturbed
    time. The C allocator is held steady first (:mod:`nas_edge.steady_allocator`): otherwise how
    many page faults a run pays depends on what ran before it."""
    import torch

    steady_allocator()
    rounds = max(1, int(rounds))
    previous = torch.get_num_threads()
    torch.set_num_threads(settings.threads)
    times: List[List[float]] = [[] for _ in runners]
    try:
        with torch.inference_mode():
            started, done = time.perf_counter(), 0
            while runners and (done < rounds or time.perf_counter() - started < seconds):
                done += 1
                for i, fn in enumerate(runners):
                    for _ in range(settings.warmups):
                        fn()
                    times[i].extend(settings.time(fn) for _ in range(settings.samples))
    finally:
        torch.set_num_threads(previous)
    return [settings.reduce(t) * 1000.0 for t in times]
