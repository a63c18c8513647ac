"""The dashboard in a real browser (Debian's headless Chromium driven through chromedriver by
Selenium): a page opened on a run while a real `nas search` writes it, kept open through a kill
and a resume, must show the numbers the store holds — counts, bests, the Pareto front of the
chosen pair, the table, a model page, the comparison — without a reload. The screenshots in
docs/dashboard.md are taken here: ``NAS_SCREENSHOT_DIR=docs/img`` writes them there (otherwise
they go to a temporary folder, so a test run leaves the tracked images alone)."""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

from .dashboard_support import candidate_values, front_of, nas, serving, store_rows, wait_for, write_experiment

CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
IMG = Path(os.environ.get("NAS_SCREENSHOT_DIR") or tempfile.mkdtemp(prefix="nas-dashboard-shots-"))
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--no-first-run", "--disable-sync", "--disable-quic",
         "--window-size=1300,1500"]


@pytest.fixture(scope="module")
def browser():
    if not (os.path.exists(CHROMIUM) and os.path.exists(CHROMEDRIVER)):
        pytest.skip("no browser: Debian's chromium and chromium-driver are not installed "
                    "(scripts/bootstrap.sh installs them when run as root with apt-get)")
    webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed (nas-dashboard[test])")
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in FLAGS:
        options.add_argument(flag)
    profile = tempfile.mkdtemp(prefix="nas-dashboard-chromium-")
    options.add_argument(f"--user-data-dir={profile}")
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_script_timeout(30)
    yield driver
    driver.quit()


def js(driver, script, *args):
    return driver.execute_script(script, *args)


def text(driver, element_id):
    return js(driver, "const e = document.getElementById(arguments[0]); return e ? e.textContent : null;", element_id)


def refreshes(driver):
    return int(js(driver, "return document.body.dataset.refreshes || '0'"))


def wait_refresh(driver, timeout=30):
    """Until the page has fetched again after now (so it shows what the store holds now)."""
    start = refreshes(driver)
    wait_for(lambda: refreshes(driver) >= start + 2, timeout, "two more page refreshes")


def shot(driver, element_id, name):
    IMG.mkdir(parents=True, exist_ok=True)
    element = driver.find_element("id", element_id)
    js(driver, "arguments[0].scrollIntoView()", element)
    element.screenshot(str(IMG / f"dashboard-{name}.png"))


def chart_points(driver, chart_id, dataset):
    return js(driver, "const c = Chart.getChart(arguments[0]); return c ? c.data.datasets[arguments[1]].data : null;",
              chart_id, dataset)


def count(run: Path, where: str = "1") -> int:
    return store_rows(run, f"SELECT COUNT(*) FROM evaluations WHERE {where}")[0][0]


def test_a_page_left_open_follows_a_search_through_kill_and_resume(browser, finished_run, tmp_path):
    out = tmp_path / "live"
    experiment = write_experiment(out, seed=3, num_iters=5, delay=0.5)  # slow enough to watch
    proc = nas(["search", str(experiment), "-q"])
    try:
        wait_for(lambda: (out / "results.db").exists() and store_rows(
            out, "SELECT COUNT(*) FROM sqlite_master WHERE name='meta'")[0][0] and count(out) > 0,
            300, "the search's first stored evaluation")
        with serving([out, finished_run], interval=0.4) as url:
            browser.get(url + "/#/run/0")
            wait_for(lambda: refreshes(browser) >= 1, 60, "the first page refresh")
            seen_first = int(text(browser, "ov-evaluations"))
            assert text(browser, "ov-state") == "running"
            wait_for(lambda: store_rows(out, "SELECT COUNT(DISTINCT iteration) FROM candidates")[0][0] >= 2, 300,
                     "two recorded iterations")
            proc.kill()
            proc.communicate(timeout=60)
            wait_for(lambda: text(browser, "ov-state") == "stale", 60, "the page to report the killed run as stale")
            seen_killed = int(text(browser, "ov-evaluations"))
            assert seen_first < seen_killed <= count(out)  # it grew while the search ran, without a reload

            proc = nas(["search", str(experiment), "-q", "--resume"])
            _, err = proc.communicate(timeout=600)
            assert proc.returncode == 0, err
            wait_for(lambda: text(browser, "ov-state") == "finished" and int(text(browser, "ov-evaluations")) == count(out),
                     60, "the page to show the resumed, finished run")
            wait_refresh(browser)
            check_overview(browser, out, num_iters=5)
            check_comparison(browser, url, [out, finished_run])
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate(timeout=60)


def test_the_views_show_the_numbers_of_the_store(browser, finished_run):
    with serving([finished_run], interval=1.0) as url:
        browser.get(url + "/")
        wait_for(lambda: refreshes(browser) >= 1, 60, "the first page refresh")
        check_overview(browser, finished_run, num_iters=2)
        check_run_views(browser, finished_run)
        check_model_page(browser, finished_run)


def check_overview(browser, run: Path, num_iters: int) -> None:
    values = candidate_values(run)
    total, failed = count(run), count(run, "status='failed'")
    iterations = store_rows(run, "SELECT COUNT(DISTINCT iteration) FROM candidates")[0][0]
    assert int(text(browser, "ov-failed")) == failed > 0
    assert text(browser, "ov-iterations") == f"{iterations} / {num_iters}"
    assert int(text(browser, "ov-evaluations")) == total
    best_acc = max(v["val_acc"] for v in values.values() if "val_acc" in v)
    best_params = min(v["params"] for v in values.values() if "params" in v)
    assert float(text(browser, "ov-best-0")) == pytest.approx(best_acc, rel=1e-5)
    assert float(text(browser, "ov-best-1")) == best_params
    front = {p["archid"] for p in chart_points(browser, "pareto-chart", 1)}
    assert front == front_of(values, ("val_acc", True), ("params", False)) and len(front) > 1


def check_run_views(browser, run: Path) -> None:
    values = candidate_values(run)
    best_acc = max(v["val_acc"] for v in values.values() if "val_acc" in v)
    best_params = min(v["params"] for v in values.values() if "params" in v)
    shot(browser, "overview", "overview")

    # best so far against evaluations: one point per val_acc evaluation, ending at the best
    curve = chart_points(browser, "best-evals-0", 0)
    assert len(curve) == count(run, "objective='val_acc'") and curve[-1]["y"] == pytest.approx(best_acc)
    assert all(b["y"] >= a["y"] for a, b in zip(curve, curve[1:]))
    timed = chart_points(browser, "best-time-1", 0)
    assert timed[-1]["y"] == best_params and all(b["x"] >= a["x"] for a, b in zip(timed, timed[1:]))
    shot(browser, "best", "best-so-far")

    # the Pareto front of val_acc vs params, then of val_acc vs kernel_cost
    points = chart_points(browser, "pareto-chart", 0)
    assert {p["archid"] for p in points} == {a for a, v in values.items() if "val_acc" in v and "params" in v}
    front = {p["archid"] for p in chart_points(browser, "pareto-chart", 1)}
    assert front == front_of(values, ("val_acc", True), ("params", False))
    tooltip = js(browser, """const c = Chart.getChart('pareto-chart');
        c.tooltip.setActiveElements([{datasetIndex: 0, index: 0}], {x: 0, y: 0}); c.update();
        return c.tooltip.body.map(b => b.lines).flat();""")
    assert tooltip[0] == points[0]["archid"] and tooltip[1].startswith("val_acc = ")
    browser.find_element("css selector", "#pareto-y option[value='2']").click()
    front = {p["archid"] for p in chart_points(browser, "pareto-chart", 1)}
    assert front == front_of(values, ("val_acc", True), ("kernel_cost", False))
    assert js(browser, "return Chart.getChart('pareto-chart').options.plugins.title.text").startswith("kernel_cost vs val_acc")
    shot(browser, "pareto", "pareto")

    # the table: every model, failed ones with their error, sortable and filterable
    archids = {a for (a,) in store_rows(run, "SELECT DISTINCT archid FROM evaluations")}
    rows = js(browser, "return [...document.querySelectorAll('#eval-table tbody tr')].map(r => [r.dataset.archid, r.className, r.lastChild.textContent])")
    assert {r[0] for r in rows} == archids
    errors = dict(store_rows(run, "SELECT archid, error FROM evaluations WHERE status='failed'"))
    assert {r[0] for r in rows if r[1] == "failed"} == set(errors)
    assert all(errors[r[0]] in r[2] for r in rows if r[1] == "failed")
    header = browser.find_element("css selector", "#eval-table th[data-key='obj0']")
    header.click()
    browser.find_element("css selector", "#eval-table th[data-key='obj0']").click()  # descending
    top = js(browser, "return document.querySelector('#eval-table tbody tr td:nth-child(3)').dataset.value")
    assert float(top) == pytest.approx(best_acc)
    shot(browser, "evaluations", "table")
    browser.find_element("id", "table-filter").send_keys("K=7")
    shown = js(browser, "return [...document.querySelectorAll('#eval-table tbody tr')].map(r => r.dataset.archid)")
    assert set(shown) == {a for a in archids if "K=7" in a} and shown
    js(browser, "const f = document.getElementById('table-filter'); f.value = ''; f.dispatchEvent(new Event('input'));")


def check_model_page(browser, run: Path) -> None:
    values = candidate_values(run)
    best = max((a for a in values if "val_acc" in values[a]), key=lambda a: values[a]["val_acc"])
    # the table's own link, clicked in one script (the live table may be redrawn between two calls)
    href = best.replace("=", "%3D").replace(",", "%2C")
    js(browser, "document.querySelector(`#eval-table a[href$='${arguments[0]}']`).click()", href)
    wait_for(lambda: text(browser, "model-archid") == best, 30, "the model page")
    layers, kernel, hidden = (p.split("=")[1] for p in best.split(","))
    description = text(browser, "model-description")
    assert f"nb_layers{layers}" in description and f"kernel_size{kernel}" in description and f"hidden_dim{hidden}" in description
    shown = js(browser, "return [...document.querySelectorAll('#model-objectives tbody tr')].map(r => [r.dataset.objective, r.children[2].dataset.value])")
    assert {o: float(v) for o, v in shown if v} == pytest.approx(values[best])
    parent = store_rows(run, "SELECT extra FROM candidates WHERE archid=?", (best,))[0][0]
    if '"parent": "' in parent:
        assert "←" in text(browser, "model-lineage")
    shot(browser, "model", "model")


def check_comparison(browser, url: str, runs) -> None:
    browser.get(url + "/#/compare")
    wait_for(lambda: js(browser, "return document.querySelectorAll('#compare-runs tbody tr').length") == len(runs),
             30, "the comparison table")
    wait_refresh(browser)
    cells = js(browser, "return [...document.querySelectorAll('#compare-runs tbody tr')].map(r => r.children[3].textContent)")
    assert [int(c) for c in cells] == [count(r) for r in runs]
    labels = js(browser, "return Chart.getChart('compare-best-0').data.datasets.map(d => d.label)")
    assert labels == [r.name for r in runs]
    fronts = js(browser, "return Chart.getChart('compare-front-chart').data.datasets.filter(d => d.label.endsWith(' front')).map(d => d.data.map(p => p.archid))")
    for run, front in zip(runs, fronts):
        assert set(front) == front_of(candidate_values(run), ("val_acc", True), ("params", False))
    shot(browser, "content", "compare")
