"""The ``command_latency`` evaluator: latency measured on the real device by the user's own tool.

The candidate is exported to ONNX in a fresh temporary folder; the command template (an ``adb
shell`` benchmark, an ``ssh`` call, a vendor profiler) is run with ``{model}`` replaced by the
file's path (and ``{input_shape}`` by e.g. ``1x3x32x32``), and the latency is read from its output
with a regular expression. A command that times out, exits non-zero or prints nothing the pattern
matches is a failed evaluation whose reason ends with the command's last lines; a command that
cannot be found is refused when the experiment is built.
"""
from __future__ import annotations

import os
import re
import shlex
import shutil
import signal
import subprocess
import tempfile
from typing import List, Optional

from overrides import overrides

from nas_kernel.api import ArchaiModel, ModelEvaluator
from nas_kernel.toolbox.params import check_choice, check_number
from nas_edge.model_input import check_shape, input_shape_of, shape_text

UNITS = {"ms": 1.0, "s": 1000.0, "us": 0.001}
LAST_LINES = 5


class CommandFailed(RuntimeError):
    """The device command did not give a latency (the reason holds its last lines)."""


def last_lines(text: str, n: int = LAST_LINES) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return " | ".join(lines[-n:]) if lines else "(no output)"


class CommandLatency(ModelEvaluator):
    """Milliseconds read from a command run on the candidate's ONNX file.

    Args:
        command: the command template; ``{model}`` is the ONNX file, ``{input_shape}`` the input
            (``1x3x32x32``). Split like a shell line and run without a shell, unless ``shell``.
        pattern: a regular expression with one group (or a group named ``ms``) around the number.
        unit: what the number is in: ``ms`` (default), ``s`` or ``us``.
        timeout: seconds before the command (and everything it started) is killed.
        shell: run the line through ``/bin/sh`` (pipes, redirections); ``{model}`` is quoted.
        input_shape: the export's input shape when the network does not say it (batch first).
        base_dir: filled by the kernel (the experiment's folder): the command's working folder.
    """

    def __init__(self, command: str, pattern: str, unit: str = "ms", timeout: float = 300.0, shell: bool = False,
                 input_shape: Optional[List[int]] = None, base_dir: Optional[str] = None) -> None:
        if not isinstance(command, str) or "{model}" not in command:
            raise ValueError(f"command must be text holding {{model}} (the ONNX file's place), got {command!r}")
        self.command, self.shell = command, bool(shell)
        try:
            self.template = command if self.shell else shlex.split(command)
        except ValueError as exc:
            raise ValueError(f"command cannot be split like a shell line: {exc}") from None
        if not self.shell:
            program = self.template[0]
            if "{" in program:
                raise ValueError(f"command's program {program!r} cannot be a placeholder")
            found = shutil.which(program, path=None) if os.sep not in program else (
                program if os.access(os.path.join(base_dir or "", program), os.X_OK) else None)
            if found is None:
                raise ValueError(f"command's program {program!r} is not found (not on PATH or not executable)")
        if not isinstance(pattern, str):
            raise ValueError(f"pattern must be a regular expression, got {pattern!r}")
        try:
            self.regex = re.compile(pattern)
        except re.error as exc:
            raise ValueError(f"pattern {pattern!r} is not a regular expression: {exc}") from None
        if self.regex.groups < 1:
            raise ValueError(f"pattern {pattern!r} needs a group around the number, e.g. 'latency: ([0-9.]+) ms'")
        self.pattern = pattern
        self.unit = check_choice("unit", unit, tuple(UNITS))
        self.timeout = check_number("timeout", timeout, 0, low_open=True)
        self.input_shape = check_shape("input_shape", input_shape)
        self.base_dir = base_dir

    def argv(self, model_path: str, shape: str):
        if self.shell:
            return self.command.replace("{model}", shlex.quote(model_path)).replace("{input_shape}", shape)
        return [part.replace("{model}", model_path).replace("{input_shape}", shape) for part in self.template]

    def run(self, model_path: str, shape: str) -> str:
        """The command's combined output; CommandFailed on a timeout or a non-zero exit."""
        process = subprocess.Popen(self.argv(model_path, shape), shell=self.shell, cwd=self.base_dir,
                                   stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                   errors="replace", start_new_session=True)
        try:
            output, _ = process.communicate(timeout=self.timeout)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)  # the command and whatever it started
            output, _ = process.communicate()
            raise CommandFailed(f"command timed out after {self.timeout:g} s; last lines: "
                                f"{last_lines(output or '')}") from None
        if process.returncode != 0:
            raise CommandFailed(f"command exited with status {process.returncode}; last lines: {last_lines(output)}")
        return output

    def parse(self, output: str) -> float:
        matches = list(self.regex.finditer(output))
        if not matches:
            raise CommandFailed(f"pattern {self.pattern!r} matched nothing in the command's output; last lines: "
                                f"{last_lines(output)}")
        match = matches[-1]
        text = match.group("ms") if "ms" in self.regex.groupindex else match.group(1)
        try:
            return float(text) * UNITS[self.unit]
        except (TypeError, ValueError):
            raise CommandFailed(f"pattern {self.pattern!r} matched {text!r}, not a number") from None

    @overrides
    def evaluate(self, arch: ArchaiModel, budget: Optional[float] = None) -> float:
        import torch

        from nas_edge.onnx_export import export_onnx

        net = arch.arch
        shape = input_shape_of(net, self.input_shape)
        with tempfile.TemporaryDirectory(prefix="nas-edge-") as folder:
            path = os.path.join(folder, "model.onnx")
            with open(path, "wb") as f:
                f.write(export_onnx(net, torch.randn(*shape)))
            return self.parse(self.run(path, shape_text(list(shape))))
