"""The reference pages generated from the code are current (CI also builds the site strictly), and
the pages written as recipes run as written."""
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def test_generated_reference_pages_are_current():
    result = subprocess.run([sys.executable, str(ROOT / "tools" / "gen_docs.py"), "--check"],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


# ---- pages whose commands and code run as written ------------------------------------------------
RUNNABLE_PAGES = ["deploying.md", "hivenas.md"]
_BLOCK = re.compile(r"(?:<!-- file: (?P<file>[\w.-]+) -->\n)?```(?P<lang>\w*)\n(?P<body>.*?)```", re.S)


def page_steps(page: str):
    """The page's blocks in order: ``("file", name, text)`` for a block announced with
    ``<!-- file: NAME -->``, ``("bash", None, text)``, ``("python", None, text)``; other blocks
    (output, JSON, tables) are illustrations and are not run."""
    steps = []
    for match in _BLOCK.finditer((ROOT / "docs" / page).read_text()):
        if match["file"]:
            steps.append(("file", match["file"], match["body"]))
        elif match["lang"] in ("bash", "python"):
            steps.append((match["lang"], None, match["body"]))
    return steps


@pytest.mark.parametrize("page", RUNNABLE_PAGES)
def test_page_runs_as_written(page, tmp_path):
    env = dict(os.environ, PATH=os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")]))
    python = []  # consecutive python blocks run as one script, as a reader runs them in one session

    def run_python():
        if python:
            result = subprocess.run([sys.executable, "-c", "\n".join(python)], cwd=tmp_path, env=env,
                                    capture_output=True, text=True, timeout=300)
            assert result.returncode == 0, f"{page}: python blocks failed:\n{result.stderr[-3000:]}"
            python.clear()

    steps = page_steps(page)
    assert any(kind == "python" for kind, _, _ in steps)
    for kind, name, body in steps:
        if kind == "python":
            python.append(body)
            continue
        run_python()
        if kind == "file":
            (tmp_path / name).write_text(body)
        else:
            result = subprocess.run(["bash", "-e", "-c", body], cwd=tmp_path, env=env, capture_output=True,
                                    text=True, timeout=300)
            assert result.returncode == 0, f"{page}: {body.strip()} failed:\n{result.stderr[-3000:]}"
    run_python()
