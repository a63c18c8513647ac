"""The cluster recipe of docs/ray.md, run as written: the page's ``<!-- machine: NAME -->``
bash blocks, each in its own home folder (a machine of its own: the token reaches the worker and
the driver only as the page says), with ``HEAD_IP`` = 127.0.0.1 and ``TOKEN`` = what the head's
block printed. Then the join errors a user meets without the token. Run by test_ray_recipe.py
inside private network and PID namespaces; prints one JSON line of observations."""
import json
import os
import re
import sqlite3
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
PAGE = os.path.join(HERE, "..", "..", "docs", "ray.md")
BLOCK = re.compile(r"<!-- machine: (\w+) -->\n```bash\n(.*?)```", re.S)


def experiment(folder, start_timeout):
    """The cluster tests' experiment (a ``ray`` evaluator with ``address: auto``) as ``experiment.yaml``."""
    from ray_cluster_checks import EXPERIMENT

    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, "experiment.yaml"), "w", encoding="utf-8") as f:
        f.write(EXPERIMENT.format(out=os.path.join(folder, "run"), retries=0, address="auto",
                                  start_timeout=start_timeout))



def run_block(text, home, cwd, env):
    os.makedirs(home, exist_ok=True)
    proc = subprocess.run(["bash", "-e", "-c", text], cwd=cwd, env=dict(env, HOME=home), capture_output=True,
                          text=True, timeout=300)
    return {"rc": proc.returncode, "stdout": proc.stdout[-3000:], "stderr": proc.stderr[-3000:]}


def nodes_used(out):
    with sqlite3.connect(os.path.join(out, "results.db")) as conn:
        rows = conn.execute("SELECT status, metadata FROM evaluations WHERE objective = 'score'").fetchall()
    return [(status, json.loads(meta).get("ray_node")) for status, meta in rows]


def main():
    with open(PAGE, encoding="utf-8") as f:
        blocks = dict(BLOCK.findall(f.read()))
    root = tempfile.mkdtemp(prefix="nasrr")  # short: Ray keeps unix sockets under its temp dir
    attempts = os.path.join(root, "attempts.log")
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAY_AUTH") and k != "RAY_ADDRESS"}
    # every machine's processes (the driver, Ray's workers) import the evaluation function from here
    env.update(PATH=os.pathsep.join([os.path.dirname(sys.executable), env.get("PATH", "")]),
               PYTHONPATH=os.pathsep.join(p for p in [HERE, env.get("PYTHONPATH", "")] if p),
               RAY_TMPDIR=os.path.join(root, "ray"), RAY_USAGE_STATS_ENABLED="0", NAS_TEST_ATTEMPTS=attempts,
               NAS_TEST_SLEEP="0.1")
    os.makedirs(env["RAY_TMPDIR"])
    report = {"machines": sorted(blocks)}
    head = run_block(blocks["head"], os.path.join(root, "head"), root, env)
    with open(os.path.join(root, "head", ".ray", "auth_token"), encoding="utf-8") as f:
        token = f.read().strip()
    head["printed_token"] = token in head["stdout"]
    report["head"] = head

    def as_written(name):
        return re.sub(r"(?<![A-Z_])TOKEN\b", token, blocks[name].replace("HEAD_IP", "127.0.0.1"))

    report["worker"] = run_block(as_written("worker"), os.path.join(root, "worker"), root, env)
    driver_dir = os.path.join(root, "driver")
    experiment(driver_dir, 120)
    driver = run_block(as_written("driver"), driver_dir, driver_dir, env)
    driver["evaluations"] = nodes_used(os.path.join(driver_dir, "run")) if driver["rc"] == 0 else []
    report["driver"] = driver

    # the same driver without the token: Ray names the token problem, nas search says what to set
    missing = os.path.join(root, "missing")
    experiment(missing, 5)
    report["no_token"] = run_block(as_written("driver").replace(f"RAY_AUTH_TOKEN={token} ", ""), missing, missing,
                                   env)
    # and without RAY_AUTH_MODE at all (the driver sends no token; Ray reports a failed connection)
    plain = os.path.join(root, "plain")
    experiment(plain, 5)
    report["no_auth_mode"] = run_block("export RAY_ADDRESS=127.0.0.1:6379\nnas search experiment.yaml", plain,
                                       plain, env)
    print(json.dumps(report))


if __name__ == "__main__":
    main()
