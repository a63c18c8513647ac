"""Run each plugin's tests with only the kernel and that plugin installed, in a fresh virtual
environment of its own, so a plugin whose tests lean on another plugin fails here.

Usage (from the repository, with the development .venv that bootstrap built)::

    .venv/bin/python scripts/test_plugins_alone.py                  # every plugins/*/
    .venv/bin/python scripts/test_plugins_alone.py nas-edge -- -x   # one plugin, pytest arguments after --

Installing torch and the other third-party packages ten times would take many minutes, so the
environments share them: a folder of links to every entry of .venv's site-packages except this
project's distributions (the kernel, the plugins, the example plugin: their files, metadata and
entry points) is added to each environment by a .pth file. pip then installs the kernel and the
plugin with all its extras into the environment, editable and offline: a requirement that names
another plugin finds nothing and fails the install. Before the tests run, the environment is
checked from inside: the only ``nas_kernel`` entry points are the plugin's own, and no other
project distribution or package can be found.
"""
from __future__ import annotations

import argparse
import importlib.metadata as metadata
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import tomllib
from pathlib import Path

from packaging.requirements import Requirement

REPO = Path(__file__).resolve().parent.parent
ENTRY_GROUP = "nas_kernel"

# Run inside each environment: proves that nothing of another plugin is visible to its tests.
ISOLATION_CHECK = """
import importlib.metadata as md, importlib.util, json, sys
own, others = sys.argv[1], json.loads(sys.argv[2])
norm = lambda name: name.lower().replace("_", "-")
found = sorted({norm(ep.dist.name) for ep in md.entry_points(group="nas_kernel")})
assert found == [own], f"nas_kernel entry points come from {found}, expected only {own}"
visible = sorted({norm(d.metadata["Name"]) for d in md.distributions()} & set(others))
assert not visible, f"other project distributions are installed: {visible}"
leaked = [p for pkgs in others.values() for p in pkgs if importlib.util.find_spec(p) is not None]
assert not leaked, f"other plugins' packages can be imported: {leaked}"
"""


def _norm(name: str) -> str:
    return name.lower().replace("_", "-")


def _is_ours(dist: metadata.Distribution) -> bool:
    """This project's distributions: the kernel, anything that plugs into it, anything editable here."""
    if _norm(dist.metadata["Name"]) == "nas-kernel" or any(ep.group == ENTRY_GROUP for ep in dist.entry_points):
        return True
    url = json.loads(dist.read_text("direct_url.json") or "{}").get("url", "")
    return url.startswith(REPO.as_uri())


def _top_level(dist: metadata.Distribution) -> list[str]:
    return (dist.read_text("top_level.txt") or "").split()


def shared_site_packages(site_packages: Path, into: Path) -> dict[str, list[str]]:
    """Link every third-party entry of ``site_packages`` into ``into``; return this project's
    distributions (normalised name -> top-level packages), which are left out."""
    ours, left_out = {}, set()
    for dist in metadata.distributions(path=[str(site_packages)]):
        if _is_ours(dist):
            ours[_norm(dist.metadata["Name"])] = _top_level(dist)
            left_out.update(f.parts[0] for f in dist.files or [])
    into.mkdir(parents=True)
    for entry in site_packages.iterdir():
        if entry.name not in left_out and entry.name != "__pycache__":
            (into / entry.name).symlink_to(entry)
    return ours


def plugin_extras(plugin: Path, ours: dict[str, list[str]]) -> list[str]:
    """All extras, as bootstrap installs them, less those that install another plugin (a bridge
    such as ``nas-evaluators[datasets]``); the ``test`` extra may not be one of those."""
    project = tomllib.loads((plugin / "pyproject.toml").read_text())["project"]
    extras = []
    for extra, requirements in sorted(project.get("optional-dependencies", {}).items()):
        names = {_norm(Requirement(r).name) for r in requirements}
        bridged = sorted(names & set(ours))
        if bridged and extra == "test":
            raise SystemExit(f"{plugin.name}: its test extra installs {', '.join(bridged)}: a plugin's tests "
                             "may need only the kernel and the plugin")
        if bridged:
            print(f"  {plugin.name}: extra [{extra}] left out: it installs {', '.join(bridged)}")
        else:
            extras.append(extra)
    return extras


def make_environment(plugin: Path, home: Path, deps: Path, ours: dict[str, list[str]]) -> Path:
    """A fresh venv holding the kernel and ``plugin`` (editable, every extra) over the shared deps."""
    env = home / plugin.name
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(env)], check=True)
    (site,) = env.glob("lib/python*/site-packages")
    (site / "_nas_shared_deps.pth").write_text(f"import site; site.addsitedir({str(deps)!r})\n")
    extras = plugin_extras(plugin, ours)
    spec = f"{plugin}[{','.join(extras)}]" if extras else str(plugin)
    install = subprocess.run([sys.executable, "-m", "pip", "--python", str(env / "bin" / "python"), "install",
                              "-q", "--disable-pip-version-check", "--no-index", "--no-build-isolation",
                              "-e", f"{REPO}[test]", "-e", spec], capture_output=True, text=True)
    if install.returncode:
        noise = "is ignored: it is neither a file nor a directory"
        raise RuntimeError("\n".join(line for line in (install.stdout + install.stderr).splitlines()
                                     if noise not in line))
    own = _norm(tomllib.loads((plugin / "pyproject.toml").read_text())["project"]["name"])
    others = {name: pkgs for name, pkgs in ours.items() if name not in ("nas-kernel", own)}
    check = subprocess.run([str(env / "bin" / "python"), "-P", "-c", ISOLATION_CHECK, own, json.dumps(others)],
                           capture_output=True, text=True)
    if check.returncode:
        raise RuntimeError(f"not isolated: {check.stderr.strip().splitlines()[-1]}")
    return env


def run_tests(plugin: Path, env: Path, pytest_args: list[str]) -> int:
    """The plugin's tests under the repository's pytest settings, nothing of the caller's path."""
    environ = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    environ.update(VIRTUAL_ENV=str(env), PATH=f"{env / 'bin'}{os.pathsep}{environ.get('PATH', '')}")
    tests = plugin / "tests"
    return subprocess.run([str(env / "bin" / "python"), "-P", "-m", "pytest", str(tests.relative_to(REPO)),
                           *pytest_args], cwd=REPO, env=environ).returncode


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("plugins", nargs="*", help="plugin folder names under plugins/ (default: all)")
    parser.add_argument("--keep", metavar="DIR", help="build the environments in DIR and keep them")
    argv = sys.argv[1:]
    cut = argv.index("--") if "--" in argv else len(argv)
    args, pytest_args = parser.parse_args(argv[:cut]), argv[cut + 1:]
    names = args.plugins or sorted(p.parent.name for p in (REPO / "plugins").glob("*/pyproject.toml"))
    unknown = [n for n in names if not (REPO / "plugins" / n / "pyproject.toml").is_file()]
    if unknown:
        parser.error(f"no plugin distribution under plugins/: {', '.join(unknown)}")

    home = Path(args.keep).resolve() if args.keep else Path(tempfile.mkdtemp(prefix="nas-alone-"))
    if args.keep and home.exists():
        shutil.rmtree(home)
    site_packages = Path(next(p for p in sys.path if p.endswith("site-packages") and p.startswith(sys.prefix)))
    started = time.monotonic()
    ours = shared_site_packages(site_packages, home / "shared-deps")
    rows = []
    try:
        for name in names:
            plugin = REPO / "plugins" / name
            print(f"== {name}: a fresh environment with the kernel and {name} alone", flush=True)
            t0 = time.monotonic()
            try:
                env = make_environment(plugin, home, home / "shared-deps", ours)
            except (RuntimeError, SystemExit, subprocess.CalledProcessError) as e:
                print(f"{name}: environment failed:\n{e}", flush=True)
                rows.append((name, time.monotonic() - t0, 0.0, "setup failed"))
                continue
            t1 = time.monotonic()
            code = run_tests(plugin, env, pytest_args)
            rows.append((name, t1 - t0, time.monotonic() - t1, "passed" if code == 0 else f"failed (pytest {code})"))
    finally:
        if not args.keep:
            shutil.rmtree(home, ignore_errors=True)
    print("\n== plugins tested alone (environment s, tests s, result)")
    for name, setup, tests, result in rows:
        print(f"  {name:<20} {setup:6.1f} {tests:8.1f}  {result}")
    total_setup = sum(r[1] for r in rows)
    print(f"  environments {total_setup:.1f} s in all, whole step {time.monotonic() - started:.1f} s")
    return 0 if all(r[3] == "passed" for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
