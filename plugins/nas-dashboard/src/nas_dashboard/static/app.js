// NAS Kernel dashboard: one page, hash routes (#/run/N, #/run/N/model/ARCHID, #/compare).
// Every few seconds it asks the server only for evaluation rows newer than the ones it holds
// (a rowid cursor) and for the last iterations, then updates the charts in place.
"use strict";

const S = { runs: [], interval: 3000, data: new Map(), charts: new Map(), view: null, timer: null,
            refreshes: 0, sort: { key: "iteration", dir: 1 }, filter: "", statusFilter: "all",
            pair: null, xAxis: "evaluations", modelDoc: null };
const SEP = "\u0000";

// ---------------------------------------------------------------- fetching
async function getJSON(url) {
  const response = await fetch(url, { cache: "no-store" });
  let body = null;
  try { body = await response.json(); } catch (e) { body = { error: response.statusText }; }
  if (!response.ok) throw new Error(body.error || `HTTP ${response.status}`);
  return body;
}

function runData(run) {
  if (!S.data.has(run)) S.data.set(run, { overview: null, cursor: 0, evals: new Map(), iterations: new Map(), iterSince: 0 });
  return S.data.get(run);
}

async function refreshRun(run) {
  const d = runData(run);
  d.overview = await getJSON(`/api/runs/${run}/overview`);
  for (let more = true; more;) {
    const page = await getJSON(`/api/runs/${run}/evaluations?since=${d.cursor}`);
    if (page.reset) { d.evals.clear(); d.iterations.clear(); d.iterSince = 0; }
    for (const row of page.rows) d.evals.set([row.objective, row.archid, row.budget_key].join(SEP), row);
    d.cursor = page.cursor;
    more = page.more;
  }
  const its = await getJSON(`/api/runs/${run}/iterations?since=${d.iterSince}`);
  const fresh = new Map();
  for (const row of its.rows) {
    if (!fresh.has(row.iteration)) fresh.set(row.iteration, []);
    fresh.get(row.iteration).push(row);
  }
  for (const [it, rows] of fresh) { d.iterations.set(it, rows); d.iterSince = Math.max(d.iterSince, it); }
  // what the charts and the table depend on: redraw them only when it changed, so a user's
  // hover, scroll or click is not lost to a redraw every few seconds
  const last = d.iterations.get(d.iterSince) || [];
  const signature = [d.cursor, d.evals.size, d.iterations.size, last.length,
                     [...d.evals.values()].reduce((s, r) => s + (r.value || 0), 0)].join("|");
  if (signature !== d.signature) { d.signature = signature; d.memo = null; }
}

// ---------------------------------------------------------------- the data, derived
function objectives(d) { return d.overview ? d.overview.objectives : []; }

function inRange(value, bounds) { return value !== null && value >= bounds[0] && value <= bounds[1]; }

// One row per model (archid, budget of its expensive evaluations): values, status, iteration.
function models(d) {
  if (!d.memo) d.memo = deriveModels(d);
  return d.memo;
}

function deriveModels(d) {
  const objs = objectives(d);
  const expensive = new Set(objs.filter(o => o.compute_intensive).map(o => o.name));
  const rows = [...d.evals.values()].sort((a, b) => a.id - b.id);
  const cheap = new Map(), out = new Map();
  const candidates = new Map();
  for (const [it, list] of d.iterations) for (const c of list) {
    candidates.set(c.archid + SEP + c.budget_key, { iteration: it, parent: (c.extra || {}).parent ?? null });
    candidates.set(c.archid + SEP + "*", { iteration: it, parent: (c.extra || {}).parent ?? null });
  }
  const model = (archid, bkey, budget) => {
    const key = archid + SEP + bkey;
    if (!out.has(key)) out.set(key, { archid, budget_key: bkey, budget, rows: {}, first: Infinity });
    return out.get(key);
  };
  for (const row of rows) {
    if (expensive.has(row.objective)) model(row.archid, row.budget_key, row.budget).rows[row.objective] = row;
    else {
      if (!cheap.has(row.archid)) cheap.set(row.archid, {});
      cheap.get(row.archid)[row.objective] = row;
    }
  }
  const withExpensive = new Set([...out.values()].map(m => m.archid));
  for (const [archid] of cheap) if (!withExpensive.has(archid)) model(archid, "", null);
  const constraints = (d.overview && d.overview.constraints) || {};
  const current = d.overview ? d.overview.current_iteration : null;
  const list = [];
  for (const m of out.values()) {
    Object.assign(m.rows, Object.fromEntries(Object.entries(cheap.get(m.archid) || {}).filter(([k]) => !(k in m.rows))));
    const all = Object.values(m.rows);
    m.first = Math.min(...all.map(r => r.id));
    m.values = {};
    for (const o of objs) { const r = m.rows[o.name]; m.values[o.name] = r && r.status === "ok" ? r.value : null; }
    const cand = candidates.get(m.archid + SEP + m.budget_key) || candidates.get(m.archid + SEP + "*");
    m.iteration = cand ? cand.iteration : Math.min(...all.map(r => r.iteration ?? Infinity));
    if (!Number.isFinite(m.iteration)) m.iteration = null;
    m.parent = cand ? cand.parent : null;
    // what the first trained objective's evaluator recorded: epochs, ACT stop, momentum, Ray node
    const trained = objs.find(o => o.compute_intensive && m.rows[o.name]);
    m.facts = trained ? (m.rows[trained.name].facts || {}) : {};
    m.seconds = all.reduce((s, r) => s + (r.seconds || 0), 0);
    m.errors = all.filter(r => r.status !== "ok").map(r => `${r.objective}: ${r.error || r.status}`);
    const violated = Object.entries(constraints).some(([name, b]) => m.rows[name] && m.rows[name].status === "ok" && !inRange(m.rows[name].value, b));
    const hasExpensive = Object.keys(m.rows).some(k => expensive.has(k));
    if (m.errors.length) m.status = "failed";
    else if (violated) m.status = "rejected";
    else if (!cand && expensive.size && !hasExpensive) m.status = m.iteration !== null && current !== null && m.iteration + 1 < current ? "rejected" : "pending";
    else m.status = "ok";
    list.push(m);
  }
  return list.sort((a, b) => a.first - b.first);
}

function better(o, a, b) { return o.higher_is_better ? a > b : a < b; }

// Best-so-far of one objective over the evaluations of counted (not rejected) models, in order.
function bestSoFar(d, o) {
  const counted = new Set(models(d).filter(m => m.status === "ok" || m.status === "failed").map(m => m.archid));
  const start = d.overview.created || 0;
  const rows = [...d.evals.values()].filter(r => r.objective === o.name && counted.has(r.archid)).sort((a, b) => a.id - b.id);
  const byEval = [], byTime = [];
  let best = null;
  rows.forEach((r, i) => {
    if (r.status === "ok" && r.value !== null && (best === null || better(o, r.value, best))) best = r.value;
    if (best !== null) {
      byEval.push({ x: i + 1, y: best });
      byTime.push({ x: Math.max(0, r.created - start), y: best });
    }
  });
  return { byEval, byTime, best };
}

// Non-dominated points of a pair (Archai's rule: of identical points only the first counts).
function front(points, ox, oy) {
  const key = (p) => [ox.higher_is_better ? -p.x : p.x, oy.higher_is_better ? -p.y : p.y];
  const keyed = points.map(key);
  const out = [];
  points.forEach((p, i) => {
    const [a, b] = keyed[i];
    const dominated = keyed.some(([c, e], j) => j !== i && ((c <= a && e <= b && (c < a || e < b)) || (c === a && e === b && j < i)));
    if (!dominated) out.push(p);
  });
  return out.sort((p, q) => p.x - q.x);
}

// The attainment line: with x maximised the next point's y holds from this point on.
function frontStep(ox) { return ox.higher_is_better ? "before" : "after"; }

function paretoPoints(d, ox, oy) {
  // a model that failed on a third objective still has a place on this pair's plane
  return models(d).filter(m => m.status !== "rejected" && m.values[ox.name] !== null && m.values[oy.name] !== null)
    .map(m => ({ x: m.values[ox.name], y: m.values[oy.name], archid: m.archid, iteration: m.iteration, budget: m.budget }));
}

// ---------------------------------------------------------------- formatting
function fmt(v) {
  if (v === null || v === undefined || (typeof v === "number" && !Number.isFinite(v))) return "–";
  if (typeof v !== "number") return String(v);
  if (Number.isInteger(v)) return String(v);
  return String(parseFloat(v.toPrecision(6)));
}
function duration(s) {
  if (s === null || s === undefined) return "–";
  if (s < 120) return `${s.toFixed(1)} s`;
  if (s < 7200) return `${(s / 60).toFixed(1)} min`;
  return `${(s / 3600).toFixed(2)} h`;
}
function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "text") node.textContent = v;
    else if (k === "class") node.className = v;
    else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v);
  }
  for (const c of children) if (c !== null && c !== undefined) node.append(c);
  return node;
}
const VIRIDIS = [[68, 1, 84], [59, 82, 139], [33, 145, 140], [94, 201, 98], [253, 231, 37]];
function iterColor(it, max, alpha = 0.8) {
  const t = max > 0 ? Math.min(1, Math.max(0, (it ?? 0) / max)) : 0;
  const pos = t * (VIRIDIS.length - 1), i = Math.min(VIRIDIS.length - 2, Math.floor(pos)), f = pos - i;
  const c = VIRIDIS[i].map((v, k) => Math.round(v + f * (VIRIDIS[i + 1][k] - v)));
  return `rgba(${c[0]},${c[1]},${c[2]},${alpha})`;
}
const RUN_COLORS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf"];
function modelHref(run, archid) { return `#/run/${run}/model/${encodeURIComponent(archid)}`; }

// ---------------------------------------------------------------- charts
function chart(id, config) {
  const canvas = document.getElementById(id);
  if (!canvas) return null;
  let c = S.charts.get(id);
  if (c && c.canvas !== canvas) { c.destroy(); c = null; }
  if (!c) {
    config.options = Object.assign({ animation: false, responsive: true, maintainAspectRatio: false }, config.options || {});
    c = new Chart(canvas, config);
    S.charts.set(id, c);
  } else {
    c.data.datasets = config.data.datasets;
    if (config.options && config.options.scales) c.options.scales = config.options.scales;
    // titles and tooltip callbacks name the objectives, which a select may have changed
    if (config.options && config.options.plugins) Object.assign(c.options.plugins, config.options.plugins);
    c.update("none");
  }
  return c;
}
function clearCharts() { for (const c of S.charts.values()) c.destroy(); S.charts.clear(); }
function axis(title, type = "linear") { return { type, title: { display: true, text: title } }; }

// ---------------------------------------------------------------- views
function renderTabs() {
  const tabs = document.getElementById("tabs");
  tabs.replaceChildren();
  for (const r of S.runs) {
    const active = S.view && S.view.run === r.run && S.view.kind !== "compare";
    tabs.append(el("a", { href: `#/run/${r.run}`, class: active ? "active" : "", title: r.path, text: r.name }));
  }
  if (S.runs.length > 1) tabs.append(el("a", { href: "#/compare", id: "tab-compare", class: S.view && S.view.kind === "compare" ? "active" : "", text: "Compare" }));
}

function card(label, id, value, cls = "") {
  return el("div", { class: "card" }, el("div", { class: "label", text: label }), el("div", { class: `value ${cls}`, id, text: value }));
}

function buildRunView(run) {
  const content = document.getElementById("content");
  content.replaceChildren(
    el("section", { id: "overview" }, el("h2", { text: "Run overview" }), el("div", { class: "cards", id: "ov-cards" }), el("p", { class: "muted", id: "ov-experiment" })),
    el("section", { id: "best" }, el("h2", { text: "Best so far" }), el("div", { class: "charts", id: "best-charts" })),
    el("section", { id: "pareto" }, el("h2", { text: "Pareto front" }),
      el("div", { class: "controls" },
        el("label", {}, "x ", el("select", { id: "pareto-x", onchange: () => { S.pair = null; updateView(); } })),
        el("label", {}, "y ", el("select", { id: "pareto-y", onchange: () => { S.pair = null; updateView(); } })),
        el("span", { id: "pareto-count", class: "muted" })),
      el("div", { class: "chart tall" }, el("canvas", { id: "pareto-chart" }))),
    el("section", { id: "evaluations" }, el("h2", { text: "Evaluations" }),
      el("div", { class: "controls" },
        el("label", {}, "filter ", el("input", { id: "table-filter", type: "search", placeholder: "archid, error…", value: S.filter,
          oninput: (e) => { S.filter = e.target.value; renderTable(run); } })),
        el("label", {}, "status ", (() => {
          const sel = el("select", { id: "table-status", onchange: (e) => { S.statusFilter = e.target.value; renderTable(run); } });
          for (const v of ["all", "ok", "failed", "rejected", "pending"]) sel.append(el("option", { value: v, text: v }));
          sel.value = S.statusFilter;
          return sel;
        })()),
        el("span", { id: "table-count", class: "muted" })),
      el("div", { class: "table-wrap" }, el("table", { id: "eval-table" }, el("thead"), el("tbody")))));
}

function updateRunView(run, force) {
  const d = runData(run), ov = d.overview;
  if (!ov) return;
  const redraw = force || d.drawn !== d.signature;
  d.drawn = d.signature;
  const st = ov.state || {};
  const objs = objectives(d);
  const cards = [
    card("status", "ov-state", st.state || "unknown", `state-${st.state || "unknown"}`),
    card("iterations", "ov-iterations", `${ov.iterations_done}${ov.experiment && ov.experiment.num_iters ? " / " + ov.experiment.num_iters : ""}`),
    card("models", "ov-models", String(ov.models)),
    card("evaluations", "ov-evaluations", String(ov.evaluations)),
    card("failed", "ov-failed", String(ov.failed)),
    card("elapsed", "ov-elapsed", duration(ov.elapsed_s)),
  ];
  if ((st.state === "running" || st.state === "stale") && st.heartbeat_age_s !== null && st.heartbeat_age_s !== undefined) cards.push(card("heartbeat", "ov-heartbeat", `${st.heartbeat_age_s.toFixed(1)} s ago`));
  objs.forEach((o, i) => cards.push(card(`best ${o.name}`, `ov-best-${i}`, fmt(bestSoFar(d, o).best))));
  document.getElementById("ov-cards").replaceChildren(...cards);
  const ex = ov.experiment;
  const parts = [ov.describe];
  if (ex) {
    if (ex.description) parts.unshift(ex.description);
    if (ex.search_space) parts.push(`space ${ex.search_space.name}`);
    if (ex.searcher) parts.push(`searcher ${ex.searcher.name}`);
  }
  parts.push(ov.path);
  document.getElementById("ov-experiment").textContent = parts.filter(Boolean).join(" · ");

  // best so far: one pair of charts per objective
  const box = document.getElementById("best-charts");
  if (box.childElementCount !== objs.length * 2) {
    box.replaceChildren();
    objs.forEach((o, i) => {
      box.append(el("div", { class: "chart" }, el("canvas", { id: `best-evals-${i}` })));
      box.append(el("div", { class: "chart" }, el("canvas", { id: `best-time-${i}` })));
    });
  }
  if (redraw) objs.forEach((o, i) => {
    const b = bestSoFar(d, o);
    const line = (data, label) => ({ label, data, stepped: true, borderColor: "#1d4f91", backgroundColor: "#1d4f91", pointRadius: 0, borderWidth: 2 });
    chart(`best-evals-${i}`, { type: "line", data: { datasets: [line(b.byEval, `best ${o.name}`)] },
      options: { parsing: false, scales: { x: axis("evaluations"), y: axis(o.name) }, plugins: { legend: { display: false }, title: { display: true, text: `${o.name} (${o.higher_is_better ? "max" : "min"}) vs evaluations` } } } });
    chart(`best-time-${i}`, { type: "line", data: { datasets: [line(b.byTime, `best ${o.name}`)] },
      options: { parsing: false, scales: { x: axis("wall time (s)"), y: axis(o.name) }, plugins: { legend: { display: false }, title: { display: true, text: `${o.name} vs wall time` } } } });
  });

  // Pareto pair
  const sx = document.getElementById("pareto-x"), sy = document.getElementById("pareto-y");
  if (sx.options.length !== objs.length) {
    for (const s of [sx, sy]) s.replaceChildren(...objs.map((o, i) => el("option", { value: String(i), text: o.name })));
    sx.value = "0"; sy.value = objs.length > 1 ? "1" : "0";
  }
  if (!redraw) return;
  renderPareto(run);
  renderTable(run);
}

function renderPareto(run) {
  const d = runData(run), objs = objectives(d);
  const sx = document.getElementById("pareto-x"), sy = document.getElementById("pareto-y");
  if (!objs.length || !sx) return;
  const ox = objs[+sx.value || 0], oy = objs[+sy.value || 0];
  const points = paretoPoints(d, ox, oy);
  const maxIt = Math.max(0, ...points.map(p => p.iteration ?? 0));
  const fr = front(points, ox, oy);
  document.getElementById("pareto-count").textContent = `${points.length} models, ${fr.length} on the front`;
  const label = (p) => [`${p.archid}`, `${ox.name} = ${fmt(p.x)}`, `${oy.name} = ${fmt(p.y)}`, `iteration ${p.iteration}`];
  chart("pareto-chart", { type: "scatter",
    data: { datasets: [
      { label: "models (colour: iteration)", data: points, pointRadius: 4, pointHoverRadius: 7,
        backgroundColor: points.map(p => iterColor(p.iteration, maxIt)), borderColor: points.map(p => iterColor(p.iteration, maxIt, 1)) },
      { label: "front", data: fr, type: "line", stepped: frontStep(ox),
        borderColor: "#d62728", backgroundColor: "#d62728", pointRadius: 3, borderWidth: 1.5, fill: false },
    ] },
    options: { parsing: false, scales: { x: axis(ox.name), y: axis(oy.name) },
      plugins: { tooltip: { callbacks: { label: (ctx) => label(ctx.raw) } },
                 title: { display: true, text: `${oy.name} vs ${ox.name}, coloured by iteration (0..${maxIt})` } },
      onClick: (evt, items) => { if (items.length) location.hash = modelHref(run, items[0].element.$context.raw.archid); } } });
}

// training facts shown as columns when any model has them ([name, numeric]; nas_kernel.training_facts)
const FACT_COLUMNS = [["epochs_trained", true], ["act_stopped", false], ["momentum", true], ["ray_node", false]];

function renderTable(run) {
  const d = runData(run), objs = objectives(d);
  const table = document.getElementById("eval-table");
  if (!table) return;
  const all = models(d);
  const hasBudget = all.some(m => m.budget !== null && m.budget !== undefined);
  const cols = [{ key: "archid", label: "archid" }, { key: "iteration", label: "iteration", num: true }];
  if (hasBudget) cols.push({ key: "budget", label: "budget", num: true });
  objs.forEach((o, i) => cols.push({ key: `obj${i}`, label: o.name, num: true, get: (m) => m.values[o.name] }));
  for (const [key, num] of FACT_COLUMNS) {
    if (all.some(m => m.facts && m.facts[key] !== undefined)) {
      cols.push({ key: `fact_${key}`, label: key, num, get: (m) => (m.facts || {})[key] ?? null });
    }
  }
  cols.push({ key: "status", label: "status" }, { key: "seconds", label: "seconds", num: true }, { key: "parent", label: "parent" }, { key: "error", label: "error" });
  const value = (m, c) => c.get ? c.get(m) : c.key === "error" ? m.errors.join("; ") : m[c.key];
  const text = S.filter.trim().toLowerCase();
  let rows = all.filter(m => (S.statusFilter === "all" || m.status === S.statusFilter) &&
    (!text || [m.archid, m.status, m.errors.join(" "), String(m.parent ?? "")].some(s => s.toLowerCase().includes(text))));
  const col = cols.find(c => c.key === S.sort.key) || cols[1];
  rows.sort((a, b) => {
    const x = value(a, col), y = value(b, col);
    if (x === y) return a.first - b.first;
    if (x === null || x === undefined) return 1;
    if (y === null || y === undefined) return -1;
    return (x < y ? -1 : 1) * S.sort.dir;
  });
  const head = el("tr", {}, ...cols.map(c => el("th", { "data-key": c.key,
    class: c.key === col.key ? (S.sort.dir > 0 ? "sorted-asc" : "sorted-desc") : "",
    onclick: () => { S.sort = { key: c.key, dir: S.sort.key === c.key ? -S.sort.dir : 1 }; renderTable(run); }, text: c.label })));
  table.tHead.replaceChildren(head);
  const body = document.createDocumentFragment();
  for (const m of rows.slice(0, 2000)) {
    const tr = el("tr", { class: m.status, "data-archid": m.archid });
    for (const c of cols) {
      const v = value(m, c);
      if (c.key === "archid") tr.append(el("td", {}, el("a", { href: modelHref(run, m.archid), text: m.archid })));
      else if (c.key === "error") tr.append(el("td", { class: "error", text: v }));
      else if (c.key === "seconds") tr.append(el("td", { class: "num", text: v ? v.toFixed(2) : "–" }));
      else tr.append(el("td", { class: c.num ? "num" : "", "data-value": v === null || v === undefined ? "" : String(v), text: c.num ? fmt(v) : (v ?? "–") }));
    }
    body.append(tr);
  }
  table.tBodies[0].replaceChildren(body);
  document.getElementById("table-count").textContent = `${rows.length} of ${all.length} models` + (rows.length > 2000 ? " (first 2000 shown)" : "");
}

// ---------------------------------------------------------------- model page
async function showModel(run, archid) {
  const content = document.getElementById("content");
  content.replaceChildren(el("section", { id: "model" }, el("p", { text: "loading…" })));
  let doc;
  try { doc = await getJSON(`/api/runs/${run}/model?archid=${encodeURIComponent(archid)}`); }
  catch (e) { content.replaceChildren(el("section", { id: "model" }, el("p", { class: "error", id: "model-error", text: e.message }))); return; }
  const d = runData(run);
  const objs = objectives(d);
  const descr = doc.description
    ? el("dl", { class: "kv", id: "model-description" }, ...Object.entries(doc.description).flatMap(([k, v]) => [el("dt", { text: k }), el("dd", { text: typeof v === "object" ? JSON.stringify(v) : String(v) })]))
    : el("p", { class: "muted", id: "model-description", text: doc.error || "no description" });
  const objRows = doc.evaluations.map(e => el("tr", { class: e.status, "data-objective": e.objective },
    el("td", { text: e.objective }), el("td", { class: "num", text: e.budget === null ? "–" : fmt(e.budget) }),
    el("td", { class: "num", "data-value": e.value === null ? "" : String(e.value), text: fmt(e.value) }), el("td", { text: e.status }),
    el("td", { class: "num", text: (e.seconds || 0).toFixed(2) }), el("td", { class: "num", text: e.iteration === null ? "–" : String(e.iteration) }),
    el("td", { class: "error", text: e.error || "" })));
  const lineage = doc.lineage.length
    ? el("ol", { id: "model-lineage" }, ...doc.lineage.map(step => el("li", {}, el("span", { text: step.archid + " ← " }),
        ...step.parents.flatMap((p, i) => [i ? " + " : "", el("a", { href: modelHref(run, p), text: p })]))))
    : el("p", { class: "muted", id: "model-lineage", text: "no parent recorded (an initial or random model)" });
  const files = Object.entries(doc.files);
  const fileList = files.length
    ? el("ul", { id: "model-files" }, ...files.map(([kind, f]) => el("li", {}, el("a", { href: `/files/${run}/${kind}?archid=${encodeURIComponent(archid)}`, text: `${kind}: ${f.name}` }), ` (${f.bytes} bytes)`)))
    : el("p", { class: "muted", id: "model-files", text: "no saved arch, weights or ONNX for this model (nas train-best writes them)" });
  const metadata = doc.evaluations.filter(e => e.metadata && Object.keys(e.metadata).length)
    .map(e => el("div", {}, el("h3", { text: `${e.objective} metadata` }), el("pre", { text: JSON.stringify(e.metadata, null, 1) })));
  const candidates = doc.candidates.map(c => `iteration ${c.iteration}` + (c.extra && Object.keys(c.extra).length ? ` ${JSON.stringify(c.extra)}` : ""));
  content.replaceChildren(el("section", { id: "model" },
    el("p", {}, el("a", { href: `#/run/${run}`, text: "← run" })),
    el("h2", { id: "model-archid", text: doc.archid }),
    el("p", { class: "muted", text: (candidates.join("; ") || "not a candidate of any iteration (e.g. rejected by a constraint)") + (doc.source ? ` · description from the ${doc.source}` : "") }),
    el("h3", { text: "Architecture" }), descr,
    el("h3", { text: "Objectives" }),
    el("table", { id: "model-objectives" }, el("thead", {}, el("tr", {}, ...["objective", "budget", "value", "status", "seconds", "iteration", "error"].map(t => el("th", { text: t })))), el("tbody", {}, ...objRows)),
    el("h3", { text: "Lineage" }), lineage,
    el("h3", { text: "Files" }), fileList,
    ...metadata));
  void objs;
}

// ---------------------------------------------------------------- comparison
function buildCompareView() {
  document.getElementById("content").replaceChildren(
    el("section", { id: "compare-best" }, el("h2", { text: "Best so far, all runs" }),
      el("div", { class: "controls" }, el("label", {}, "x axis ", (() => {
        const s = el("select", { id: "compare-x", onchange: (e) => { S.xAxis = e.target.value; updateView(); } });
        for (const v of ["evaluations", "wall time"]) s.append(el("option", { value: v, text: v }));
        s.value = S.xAxis;
        return s;
      })())),
      el("div", { class: "charts", id: "compare-charts" })),
    el("section", { id: "compare-front" }, el("h2", { text: "Pareto fronts overlaid" }),
      el("div", { class: "controls" },
        el("label", {}, "x ", el("select", { id: "compare-px", onchange: updateView })),
        el("label", {}, "y ", el("select", { id: "compare-py", onchange: updateView }))),
      el("div", { class: "chart tall" }, el("canvas", { id: "compare-front-chart" }))),
    el("section", { id: "compare-table" }, el("h2", { text: "Runs" }), el("table", { id: "compare-runs" }, el("thead"), el("tbody"))));
}

function sharedObjectives() {
  const lists = S.runs.map(r => objectives(runData(r.run)));
  if (!lists.length || lists.some(l => !l.length)) return [];
  return lists[0].filter(o => lists.every(l => l.some(p => p.name === o.name && p.higher_is_better === o.higher_is_better)));
}

function updateCompareView() {
  const objs = sharedObjectives();
  const box = document.getElementById("compare-charts");
  if (box.childElementCount !== objs.length) box.replaceChildren(...objs.map((o, i) => el("div", { class: "chart" }, el("canvas", { id: `compare-best-${i}` }))));
  objs.forEach((o, i) => {
    const datasets = S.runs.map((r, k) => {
      const b = bestSoFar(runData(r.run), o);
      return { label: r.name, data: S.xAxis === "evaluations" ? b.byEval : b.byTime, stepped: true, pointRadius: 0, borderWidth: 2,
               borderColor: RUN_COLORS[k % RUN_COLORS.length], backgroundColor: RUN_COLORS[k % RUN_COLORS.length] };
    });
    chart(`compare-best-${i}`, { type: "line", data: { datasets },
      options: { parsing: false, scales: { x: axis(S.xAxis === "evaluations" ? "evaluations" : "wall time (s)"), y: axis(o.name) },
                 plugins: { title: { display: true, text: `best ${o.name} (${o.higher_is_better ? "max" : "min"})` } } } });
  });
  const sx = document.getElementById("compare-px"), sy = document.getElementById("compare-py");
  if (sx.options.length !== objs.length) {
    for (const s of [sx, sy]) s.replaceChildren(...objs.map((o, i) => el("option", { value: String(i), text: o.name })));
    sx.value = "0"; sy.value = objs.length > 1 ? "1" : "0";
  }
  if (objs.length) {
    const ox = objs[+sx.value || 0], oy = objs[+sy.value || 0];
    const datasets = [];
    S.runs.forEach((r, k) => {
      const color = RUN_COLORS[k % RUN_COLORS.length];
      const pts = paretoPoints(runData(r.run), ox, oy);
      datasets.push({ label: `${r.name} models`, data: pts, pointRadius: 2.5, backgroundColor: color + "55", borderColor: color + "55" });
      datasets.push({ label: `${r.name} front`, data: front(pts, ox, oy), type: "line", stepped: frontStep(ox),
                      borderColor: color, backgroundColor: color, pointRadius: 3, borderWidth: 2 });
    });
    chart("compare-front-chart", { type: "scatter", data: { datasets },
      options: { parsing: false, scales: { x: axis(ox.name), y: axis(oy.name) },
        plugins: { tooltip: { callbacks: { label: (ctx) => [`${ctx.dataset.label}: ${ctx.raw.archid}`, `${ox.name} = ${fmt(ctx.raw.x)}`, `${oy.name} = ${fmt(ctx.raw.y)}`] } } } } });
  }
  const table = document.getElementById("compare-runs");
  table.tHead.replaceChildren(el("tr", {}, ...["run", "status", "iterations", "evaluations", "failed", "elapsed", ...objs.map(o => `best ${o.name}`), "front size"].map(t => el("th", { text: t }))));
  table.tBodies[0].replaceChildren(...S.runs.map(r => {
    const d = runData(r.run), ov = d.overview || {};
    const fr = objs.length > 1 ? front(paretoPoints(d, objs[0], objs[1]), objs[0], objs[1]).length : null;
    return el("tr", { "data-run": String(r.run) }, el("td", {}, el("a", { href: `#/run/${r.run}`, text: r.name })),
      el("td", { text: (ov.state || {}).state || "unknown" }), el("td", { class: "num", text: String(ov.iterations_done ?? "–") }),
      el("td", { class: "num", text: String(ov.evaluations ?? "–") }), el("td", { class: "num", text: String(ov.failed ?? "–") }),
      el("td", { class: "num", text: duration(ov.elapsed_s) }),
      ...objs.map(o => el("td", { class: "num", text: fmt(bestSoFar(d, o).best) })), el("td", { class: "num", text: fmt(fr) }));
  }));
}

// ---------------------------------------------------------------- routing and the live loop
function parseRoute() {
  const h = location.hash.replace(/^#\/?/, "");
  let m;
  if ((m = h.match(/^run\/(\d+)\/model\/(.+)$/))) return { kind: "model", run: +m[1], archid: decodeURIComponent(m[2]) };
  if ((m = h.match(/^run\/(\d+)$/))) return { kind: "run", run: +m[1] };
  if (h === "compare" && S.runs.length > 1) return { kind: "compare", run: null };
  return S.runs.length > 1 ? { kind: "compare", run: null } : { kind: "run", run: 0 };
}

async function route() {
  S.view = parseRoute();
  if (S.view.run !== null && !S.runs.some(r => r.run === S.view.run)) S.view = { kind: "run", run: 0 };
  clearCharts();
  renderTabs();
  if (S.view.kind === "compare") buildCompareView();
  else if (S.view.kind === "run") buildRunView(S.view.run);
  await tick(true);
}

function updateView(force = true) {
  if (!S.view) return;
  if (S.view.kind === "compare") updateCompareView();
  else if (S.view.kind === "run") updateRunView(S.view.run, force === true);
}

async function tick(once = false) {
  clearTimeout(S.timer);
  const view = S.view;
  const runs = view.kind === "compare" ? S.runs.map(r => r.run) : [view.run];
  try {
    await Promise.all(runs.map(refreshRun));
    document.getElementById("banner").hidden = true;
    document.getElementById("live").textContent = `updated ${new Date().toLocaleTimeString()}`;
    if (view === S.view) {
      if (view.kind === "model") { if (once) await showModel(view.run, view.archid); }
      else updateView(once);
    }
    S.refreshes += 1;
    document.body.dataset.refreshes = String(S.refreshes);
  } catch (e) {
    const banner = document.getElementById("banner");
    banner.textContent = `cannot reach the dashboard server: ${e.message} (retrying)`;
    banner.hidden = false;
  }
  if (view === S.view) S.timer = setTimeout(() => tick(false), S.interval);
}

async function start() {
  const info = await getJSON("/api/runs");
  S.runs = info.runs;
  S.interval = Math.max(200, Math.round(1000 * info.interval_s));
  window.addEventListener("hashchange", route);
  await route();
}

window.nasDashboard = { state: S, models, bestSoFar, front };
start().catch(e => {
  const banner = document.getElementById("banner");
  banner.textContent = `cannot start: ${e.message}`;
  banner.hidden = false;
});
