// OrleansRay dashboard: one document, the page named by the path; each page polls its /api endpoint every second.
"use strict";

const pollMs = 1000;
const pages = {
  "/": { name: "cluster", api: "/api/cluster", render: renderCluster },
  "/tasks": { name: "tasks", api: "/api/tasks", render: renderTasks },
  "/actors": { name: "actors", api: "/api/actors", render: renderActors },
  "/objects": { name: "objects", api: "/api/objects", render: renderObjects },
  "/jobs": { name: "jobs", api: "/api/jobs", render: renderJobs },
};
const page = pages[location.pathname] || pages["/"];
const main = document.getElementById("page");

for (const link of document.querySelectorAll("nav a[data-page]")) {
  link.classList.toggle("active", link.dataset.page === page.name);
}

function esc(value) {
  return String(value ?? "").replace(/[&<>"']/g, c => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));
}

function bytes(n) {
  const units = [["GiB", 1 << 30], ["MiB", 1 << 20], ["KiB", 1 << 10]];
  for (const [unit, size] of units) if (n >= size) return (n / size).toFixed(2) + unit;
  return Math.round(n) + "B";
}

function card(label, value, id) {
  return `<div class="card" data-testid="${esc(id)}"><div class="value">${esc(value)}</div><div class="label">${esc(label)}</div></div>`;
}

function table(headers, rows, empty) {
  if (rows.length === 0) return `<p class="muted">${esc(empty)}</p>`;
  return `<table><thead><tr>${headers.map(h => `<th>${esc(h)}</th>`).join("")}</tr></thead>` +
    `<tbody>${rows.map(r => `<tr>${r.map(c => `<td>${c}</td>`).join("")}</tr>`).join("")}</tbody></table>`;
}

function usageBars(usage, id) {
  if (usage.length === 0) return `<p class="muted">(no resources)</p>`;
  return `<div class="usage" data-testid="${esc(id)}">` + usage.map(u => {
    const pct = u.total > 0 ? Math.min(100, 100 * u.used / u.total) : 0;
    return `<div>${esc(u.name)}</div><div class="bar"><span style="width:${pct.toFixed(1)}%"></span></div><div class="usage-text">${esc(u.text)}</div>`;
  }).join("") + `</div>`;
}

function renderCluster(c) {
  const nodes = table(["Node", "State", "Resources", "Usage", "Last report"],
    c.nodes.map(n => [esc(n.nodeId), `<span class="state-${esc(n.state)}">${esc(n.state)}</span>`, esc(n.resources),
      n.usage.map(u => esc(u.text)).join("<br>"), `${n.lastReportSeconds.toFixed(1)} s ago`]),
    "(no nodes reported yet)");
  const demands = table(["Shape", "Pending", "Kind", ""],
    c.demands.map(d => [esc(d.shape), esc(d.count), d.isActor ? "actors" : "tasks",
      d.isInfeasible ? `<span class="infeasible">infeasible: no node has these resources</span>` : ""]),
    "(no resource demands)");
  return `<div class="cards">${card("alive nodes", c.aliveCount, "alive")}${card("dead nodes", c.deadCount, "dead")}</div>` +
    `<h2>Nodes</h2><div data-testid="nodes">${nodes}</div>` +
    `<h2>Usage</h2>${usageBars(c.total, "usage")}` +
    `<h2>Demands</h2><div data-testid="demands">${demands}</div>`;
}

function renderTasks(t) {
  const c = t.counts;
  const latest = table(["Task", "Function", "Node", "Finished", "Duration", "Error"],
    t.latest.map(r => [esc(r.taskId), esc(r.function), esc(r.node), esc(new Date(r.finishedAt).toLocaleTimeString()),
      `${r.durationMs.toFixed(1)} ms`, r.error ? `<span class="error">${esc(r.error)}</span>` : ""]),
    "(no finished tasks recorded)");
  return `<p class="muted">Node ${esc(t.node)}</p><div class="cards">` +
    card("submitted", c.submitted, "submitted") + card("pending", c.pending, "pending") +
    card("waiting for args", c.waitingForArgs, "waiting") + card("running", c.running, "running") +
    card("finished", c.finished, "finished") + card("failed", c.failed, "failed") + `</div>` +
    `<h2>Latest tasks</h2>${latest}` +
    `<p class="muted">Event log: ${esc(t.eventLog.held)} of at most ${esc(t.eventLog.capacity)} kept, ${esc(t.eventLog.recorded)} recorded.</p>`;
}

function renderActors(a) {
  const nodes = table(["Node", "Actor activations"], a.nodes.map(n => [esc(n.node), esc(n.activations)]), "(no actors)");
  const named = table(["Name", "Class", "State", "Node", "Restarts", "Actor id"],
    a.named.map(r => [esc(r.name), esc(r.className), `<span class="state-${esc(r.state)}">${esc(r.state)}</span>`,
      esc(r.node), esc(r.restarts), esc(r.actorId)]),
    "(no named actors)");
  return `<div class="cards">${card("actor activations", a.activations, "activations")}</div>` +
    `<h2>Per node</h2>${nodes}<h2>Named actors (namespace ${esc(a.namespace || "default")})</h2>${named}`;
}

function renderObjects(o) {
  return table(["Node", "Owned objects", "Store used", "Objects in store", "Spilled", "Spills", "Restores", "Evictions", "Pulled", "Sent"],
    o.nodes.map(n => {
      const s = n.store;
      return [esc(n.node), esc(n.ownedObjects),
        s ? `${bytes(s.usedBytes)} / ${bytes(s.capacity)}` : n.storeError ? `<span class="error">${esc(n.storeError)}</span>` : "(no store)", s ? esc(s.objectCount) : "",
        s ? `${esc(s.spilledCount)} (${bytes(s.spilledBytes)})` : "", s ? esc(s.spillCount) : "", s ? esc(s.restoreCount) : "",
        s ? esc(s.evictionCount) : "", s ? bytes(s.pullBytesReceived) : "", s ? bytes(s.transferBytesSent) : ""];
    }), "(no nodes)");
}

function renderJobs(j) {
  return table(["Driver", "Start", "State"], j.jobs.map(x => [esc(x), "", ""]), j.note);
}

async function refresh() {
  try {
    const response = await fetch(page.api, { cache: "no-store" });
    if (!response.ok) throw new Error(`${page.api}: HTTP ${response.status}`);
    main.innerHTML = page.render(await response.json());
    document.getElementById("updated").textContent = "updated " + new Date().toLocaleTimeString();
  } catch (error) {
    document.getElementById("updated").textContent = "not reachable: " + error.message;
  } finally {
    setTimeout(refresh, pollMs);
  }
}

refresh();
