"""Print the extras to install for a plugin distribution during bootstrap: all of them
(``[ray]``-style optional extras are what the tests exercise), as ``[a,b]`` or nothing."""
import sys
import tomllib
from pathlib import Path

project = tomllib.loads((Path(sys.argv[1]) / "pyproject.toml").read_text())["project"]
extras = sorted(project.get("optional-dependencies", {}))
print(f"[{','.join(extras)}]" if extras else "")
