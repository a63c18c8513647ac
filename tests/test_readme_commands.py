"""The README promises that CI runs its two commands word for word: hold `.ci/run` to that."""
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def readme_commands():
    """The commands of the README's "Two commands" block, without their comments."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(r"## Two commands\s+```bash\n(.*?)```", text, re.S)
    assert block, "the README lost its 'Two commands' block"
    return [line.split("#", 1)[0].strip() for line in block.group(1).splitlines() if line.strip()]


def test_ci_runs_the_readme_s_two_commands_word_for_word():
    commands = readme_commands()
    assert commands == ["bash scripts/bootstrap.sh && .venv/bin/nas search", "bash scripts/run_tests.sh"]
    ci_lines = [line.strip() for line in (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()]
    assert [c for c in commands if c not in ci_lines] == []
    assert ci_lines.index(commands[0]) < ci_lines.index(commands[1])  # set up first, then test
