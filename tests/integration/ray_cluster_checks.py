"""A real three-node Ray cluster under node and driver failure, driven by `nas search`.

Run by test_ray_cluster.py inside a private network namespace with only loopback up, and a
private PID namespace (so every Ray process started here ends with this script, and no other
Ray on the machine is seen or touched). Prints one JSON line of observations.

The cluster is started the way docs/ray.md tells users: ``ray start --head --num-cpus=1`` and
two worker nodes ``ray start --address=HEAD:PORT --num-cpus=1 --resources={"node_a": 1}`` /
``node_b``; the search joins it with ``address: auto`` (``RAY_ADDRESS`` names the head).
Scenarios, one search each on the same seed:

* ``reference``: started before the cluster is up (the driver waits for it), never disturbed.
* ``driver_kill``: the driver is SIGKILLed mid-search, then ``nas search --resume`` rejoins.
* ``node_loss_retry``: the raylet of the first worker node seen running a task is SIGKILLed while
  that task runs, ``max_retries: 1``.
* ``node_loss_no_retry``: then the other worker's, the same way, with ``max_retries: 0``.
* ``no_cluster``: an address where nothing listens, ``start_timeout: 2`` (Python API).
"""
import json
import os
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
RAY = os.path.join(os.path.dirname(sys.executable), "ray")
PORT = 6390
HEAD = f"127.0.0.1:{PORT}"

EXPERIMENT = """\
seed: 5
output_dir: {out}
search_space: {{name: cnn, params: {{max_layers: 3, hidden_list: [4, 8]}}}}
objectives:
  - name: score
    higher_is_better: true
    evaluator:
      name: ray
      params:
        address: {address}
        num_cpus: 1
        max_in_flight: 2
        max_retries: {retries}
        start_timeout: {start_timeout}
        evaluator: {{name: function, params: {{evaluation_fn: "ray_cluster_functions:score"}}}}
  - {{name: params, higher_is_better: false, compute_intensive: false, evaluator: {{name: num_params}}}}
searcher: {{name: random, params: {{num_iters: 3, samples_per_iter: 4}}}}
"""


def ray_cmd(args, env):
    proc = subprocess.run([RAY, *args], env=env, capture_output=True, text=True, timeout=180)
    if proc.returncode != 0:
        raise RuntimeError(f"ray {' '.join(args)} failed: {proc.stderr[-2000:]}")


def start_workers(names, env):
    """``ray start`` each worker node (one after the other: two at once can time out on 2 cores)."""
    for name in names:
        ray_cmd(["start", f"--address={HEAD}", "--num-cpus=1", f"--resources={json.dumps({name: 1})}"], env)


def wait_for_cpus(n, deadline_s=120):
    import ray

    deadline = time.time() + deadline_s
    ray.init(address=HEAD, log_to_driver=False)
    try:
        while time.time() < deadline:
            alive = [node for node in ray.nodes() if node["Alive"]]
            if sum(node["Resources"].get("CPU", 0) for node in alive) >= n:
                return {k: node["NodeID"] for node in alive for k in node["Resources"] if k.startswith("node_")}
            time.sleep(0.2)
        raise RuntimeError(f"the cluster never reached {n} CPUs")
    finally:
        ray.shutdown()


def raylet_pid(resource):
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                argv = f.read().split(b"\0")
        except OSError:
            continue
        if argv and argv[0].endswith(b"/raylet") and any(resource.encode() in a for a in argv):
            return int(pid)
    raise RuntimeError(f"no raylet holds {resource}")


def experiment(root, name, *, retries=1, address="auto", start_timeout=120):
    out = os.path.join(root, name)
    path = os.path.join(root, f"{name}.yaml")
    with open(path, "w", encoding="utf-8") as f:
        f.write(EXPERIMENT.format(out=out, retries=retries, address=address, start_timeout=start_timeout))
    return path, out


def driver(path, env, *more):
    return subprocess.Popen([sys.executable, "-m", "nas_kernel.cli", "search", path, "-q", *more], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def finish(proc, timeout=240):
    stdout, stderr = proc.communicate(timeout=timeout)
    return {"rc": proc.returncode, "stderr": stderr[-3000:], "stdout_tail": stdout[-500:]}


def stored(out):
    db = os.path.join(out, "results.db")
    if not os.path.exists(db):
        return []
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5) as conn:
            return [list(r) for r in conn.execute(
                "SELECT archid, value, status, error, metadata FROM evaluations WHERE objective='score' "
                "ORDER BY archid")]
    except sqlite3.Error:
        return []


def attempts(path, start=0):
    with open(path, encoding="utf-8") as f:
        lines = f.read().splitlines()[start:]
    return [line.split() for line in lines]


def count_lines(path):
    with open(path, encoding="utf-8") as f:
        return len(f.read().splitlines())


def state(out):
    import pandas as pd

    frame = pd.read_csv(os.path.join(out, "search_state.csv"))
    # which node computed an evaluation is where it ran, not what it found: it differs between runs
    return frame.drop(columns=["search_walltime_hours", "ray_node"], errors="ignore").to_dict("list")


def pareto(out):
    with open(os.path.join(out, "pareto.json"), encoding="utf-8") as f:
        return json.load(f)


def node_loss(root, name, retries, env, log, nodes, candidates):
    """Run a search and SIGKILL the raylet of the first of ``candidates`` (worker nodes) that runs
    one of its tasks past the first two. Ray's scheduler may keep a node idle for a whole search, so
    the victim is whichever worker is seen busy, not a fixed one."""
    path, out = experiment(root, name, retries=retries)
    offset = count_lines(log)
    proc = driver(path, env)
    deadline = time.time() + 300  # a loaded machine may take minutes to start the driver
    victim, lost = None, None
    by_id = {nodes[c]: c for c in candidates}
    while time.time() < deadline and proc.poll() is None:
        started = attempts(log, offset)
        busy = [by_id[node] for _, node, _ in started[2:] if node in by_id]
        if busy:
            lost = busy[0]
            victim = [archid for archid, node, _ in started if node == nodes[lost]]
            os.kill(raylet_pid(lost), signal.SIGKILL)
            break
        time.sleep(0.02)
    killed_at = time.time()
    result = finish(proc)
    result.update(seconds_after_kill=round(time.time() - killed_at, 2), started_on_lost_node=victim or [],
                  lost_node=lost, attempts=attempts(log, offset), evaluations=stored(out),
                  state=state(out) if result["rc"] == 0 else None)
    return result


def no_cluster():
    from nas_kernel.api import ArchaiModel
    from nas_evaluators import EvaluationFunction, RayParallelEvaluator
    from nas_evaluators.ray_evaluator import ClusterUnavailable

    evaluator = RayParallelEvaluator(EvaluationFunction("ray_cluster_functions:score"), address="127.0.0.1:6399",
                                     start_timeout=2)
    t1 = time.time()
    try:
        evaluator.send(ArchaiModel(None, "x"))
        error = None
    except ClusterUnavailable as exc:
        error = str(exc)
    return {"error": error, "seconds": round(time.time() - t1, 2)}


def main():
    report = {}
    root = tempfile.mkdtemp(prefix="nasrc")  # short: Ray keeps unix sockets under its temp dir
    log = os.path.join(root, "attempts.log")
    open(log, "w").close()
    env = dict(os.environ, NAS_TEST_ATTEMPTS=log, NAS_TEST_SLEEP="0.3", RAY_ADDRESS=HEAD,
               PYTHONPATH=os.pathsep.join([HERE] + [p for p in sys.path if p]),
               RAY_health_check_period_ms="500", RAY_health_check_timeout_ms="1000",
               RAY_health_check_failure_threshold="2", RAY_health_check_initial_delay_ms="0")
    t0 = time.time()

    # reference: the driver starts first and waits for the cluster (it is slow to come up)
    ref_path, ref_out = experiment(root, "reference")
    ref = driver(ref_path, env)
    time.sleep(1.0)
    ray_cmd(["start", "--head", f"--port={PORT}", "--num-cpus=1", '--resources={"node_head": 1}',
             "--include-dashboard=false", f"--temp-dir={os.path.join(root, 'ray')}", "--disable-usage-stats"], env)
    start_workers(["node_a", "node_b"], env)
    nodes = wait_for_cpus(3)
    report["cluster_start_s"] = round(time.time() - t0, 2)
    report["nodes"] = nodes
    report["reference"] = finish(ref)
    report["reference"].update(evaluations=stored(ref_out), state=state(ref_out), pareto=pareto(ref_out),
                               attempts=attempts(log))

    # the driver is SIGKILLed mid-search; --resume rejoins the cluster and finishes
    path, out = experiment(root, "driver_kill")
    offset = count_lines(log)
    proc = driver(path, env)
    deadline = time.time() + 120
    while len(stored(out)) < 6 and time.time() < deadline and proc.poll() is None:
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    kill = {"stored_at_kill": len(stored(out)), "evaluations_at_kill": stored(out)}
    resumed = finish(driver(path, env, "--resume"))
    kill.update(resumed, evaluations=stored(out), state=state(out) if resumed["rc"] == 0 else None,
                pareto=pareto(out) if resumed["rc"] == 0 else None, attempts=attempts(log, offset))
    report["driver_kill"] = kill

    # a worker node is lost while one of its tasks runs: retried on the survivors
    workers = ["node_a", "node_b"]
    report["node_loss_retry"] = retry = node_loss(root, "node_loss_retry", 1, env, log, nodes, workers)

    # the other worker node is lost with max_retries 0: that task is recorded failed with Ray's reason
    survivors = [w for w in workers if w != retry["lost_node"]]
    report["node_loss_no_retry"] = node_loss(root, "node_loss_no_retry", 0, env, log, nodes, survivors)

    # nothing listens at the address: a clear error after start_timeout, not a hang
    report["no_cluster"] = no_cluster()
    report["total_s"] = round(time.time() - t0, 2)
    print(json.dumps(report))


if __name__ == "__main__":
    sys.exit(main())
