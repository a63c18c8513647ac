"""command_latency against a local script standing in for the device: the latency it prints is
read; a failing, hanging or silent command is a failed evaluation with its last lines; a command
that is not found, or a pattern without a group, is refused when the evaluator is built."""
import sys

import pytest

from .edge_support import HERE, TINY_SPACE
from nas_edge.command_latency import CommandFailed, CommandLatency
from nas_edge.mobilenet_space import MobileNetSearchSpace

SCRIPT = str(HERE / "fake_device.py")
PATTERN = r"avg inference: ([0-9.]+) s"


def command(behaviour):
    return f"{sys.executable} {SCRIPT} {behaviour} {{model}} {{input_shape}}"


@pytest.fixture(scope="module")
def model():
    return MobileNetSearchSpace(**TINY_SPACE, seed=2).random_sample()


def test_reads_the_latency_the_device_prints(model):
    evaluator = CommandLatency(command("run"), PATTERN, unit="s", timeout=60)
    ms = evaluator.evaluate(model)
    assert 0 < ms < 1000
    resolution = int(model.archid.split("-")[0][1:])
    assert evaluator.parse(f"input 1x1x{resolution}x{resolution}\navg inference: 0.002 s\n") == pytest.approx(2.0)


def test_shell_mode_quotes_the_model_path(model):
    evaluator = CommandLatency(f"{sys.executable} {SCRIPT} run {{model}} | tail -n 1", PATTERN, unit="s",
                               shell=True, timeout=60)
    assert evaluator.evaluate(model) > 0


@pytest.mark.parametrize("behaviour, says", [
    ("fail", r"exited with status 3; last lines: connecting to device\.\.\. \| error: device 'emulator-5554' offline"),
    ("silent", r"matched nothing in the command's output; last lines: benchmark finished"),
])
def test_failures_carry_the_last_lines(model, behaviour, says):
    with pytest.raises(CommandFailed, match=says):
        CommandLatency(command(behaviour), PATTERN, timeout=60).evaluate(model)


def test_a_hanging_command_is_killed_at_the_timeout(model):
    import time

    started = time.perf_counter()
    with pytest.raises(CommandFailed, match=r"timed out after 1.5 s; last lines: waiting for device"):
        CommandLatency(command("hang"), PATTERN, timeout=1.5).evaluate(model)
    assert time.perf_counter() - started < 30


@pytest.mark.parametrize("kwargs, says", [
    ({"command": "no-such-benchmark-tool {model}"}, "'no-such-benchmark-tool' is not found"),
    ({"command": f"{sys.executable} {SCRIPT} run"}, r"holding \{model\}"),
    ({"pattern": "latency [0-9.]+"}, "needs a group"),
    ({"pattern": "latency ([0-9.]+"}, "is not a regular expression"),
    ({"unit": "minutes"}, "unit must be one of"),
])
def test_bad_settings_are_refused_when_built(kwargs, says):
    params = {"command": command("run"), "pattern": PATTERN, **kwargs}
    with pytest.raises(ValueError, match=says):
        CommandLatency(**params)
