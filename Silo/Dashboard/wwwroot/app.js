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

function usageBars(usage, id, compact) {
  if (usage.length === 0) return `<p class="muted">(no resources)</p>`;
  return `<div class="usage${compact ? " compact" : ""}"${id ? ` data-testid="${esc(id)}"` : ""}>` + usage.map(u => {
    const pct = u.total > 0 ? Math.min(100, 100 * u.used / u.total) : 0;
    return `<div>${esc(u.name)}</div><div class="bar"><span style="width:${pct.toFixed(1)}%"></span></div><div class="usage-text">${esc(u.text)}</div>`;
  }).join("") + `</div>`;
}

function state(value) {
  return `<span class="state-${esc(value)}">${esc(value)}</span>`;
}

function time(value) {
  return value ? esc(new Date(value).toLocaleTimeString()) : "";
}

function unavailable(error) {
  return `<span class="error">unavailable: ${esc(error)}</span>`;
}

function renderCluster(c) {
  const nodes = table(["Node", "State", "Resources", "Usage", "Actors", "Primary objects", "Running tasks", "Last report"],
    c.nodes.map(n => [esc(n.nodeId), state(n.state), esc(n.resources),
      n.isAlive ? usageBars(n.usage, null, true) : "",
      count(n.actorCount, "node-actors"), count(n.primaryObjectCount, "node-primary-objects"), count(n.runningTaskCount, "node-running-tasks"),
      `${n.lastReportSeconds.toFixed(1)} s ago`]),
    "(no nodes reported yet)");
  const demands = table(["Shape", "Pending", "Kind", ""],
    c.demands.map(d => [esc(d.shape), esc(d.count), d.isActor ? "actors" : "tasks",
      d.isInfeasible ? `<span class="infeasible">infeasible: no node has these resources</span>` : ""]).concat(
    (c.pendingGroups || []).map(g => [esc(`${g.shape} (${g.strategy})`), esc(g.count), "placement groups",
      g.isInfeasible ? `<span class="infeasible">infeasible: the live nodes cannot hold all its bundles</span>` : esc(g.reason)])),
    "(no resource demands)");
  return `<div class="cards">${card("alive nodes", c.aliveCount, "alive")}${card("dead nodes", c.deadCount, "dead")}</div>` +
    `<h2>Nodes</h2><div data-testid="nodes">${nodes}</div>` +
    `<h2>Usage</h2>${usageBars(c.total, "usage")}` +
    `<h2>Demands</h2><div data-testid="demands">${demands}</div>` +
    (c.autoscaler ? renderAutoscaler(c.autoscaler) : "");
}

function count(value, id) {
  return `<span data-testid="${esc(id)}">${esc(value ?? 0)}</span>`;
}

// The autoscaler loop's last round (Ray's `ray status` sections): nodes launching, nodes that failed to start, and the
// latest launch/terminate decisions with their reasons. Shown only when the head runs an autoscaler.
function renderAutoscaler(a) {
  const pending = table(["Node type", "Provider id", "Address", "Since"],
    a.pending.map(p => [esc(p.nodeType), esc(p.providerId), esc(p.address ?? "(launching)"), time(p.since)]),
    "(no pending nodes)");
  const failures = table(["Node type", "Provider id", "Reason", "When"],
    a.recentFailures.map(f => [esc(f.nodeType), esc(f.providerId), `<span class="error">${esc(f.failureReason)}</span>`, time(f.since)]),
    "(no failures)");
  const decisions = a.recentDecisions.length === 0
    ? `<p class="muted">(no decisions yet)</p>`
    : `<ul class="decisions">${a.recentDecisions.map(d => `<li>${esc(d)}</li>`).join("")}</ul>`;
  return `<h2>Autoscaler</h2><p class="muted" data-testid="autoscaler">cluster ${esc(a.clusterName)}, last round ${time(a.reportedAt)}</p>` +
    `<h2>Pending</h2><div data-testid="autoscaler-pending">${pending}</div>` +
    `<h2>Recent failures</h2><div data-testid="autoscaler-failures">${failures}</div>` +
    `<h2>Recent decisions</h2><div data-testid="autoscaler-decisions">${decisions}</div>`;
}

function renderTasks(t) {
  const c = t.counts;
  const nodes = table(["Node", "Submitted", "From others", "Pending", "Waiting for args", "Running", "Finished", "Failed"],
    t.nodes.map(n => n.counts
      ? [esc(n.node), esc(n.counts.submitted), esc(n.counts.received), esc(n.counts.pending), esc(n.counts.waitingForArgs),
        esc(n.counts.running), esc(n.counts.finished), esc(n.counts.failed)]
      : [esc(n.node), unavailable(n.error), "", "", "", "", "", ""]),
    "(no live nodes)");
  const latest = table(["Task", "Function", "Node", "Finished", "Duration", "Error"],
    t.latest.map(r => [esc(r.taskId), esc(r.function), esc(r.node), time(r.finishedAt),
      `${r.durationMs.toFixed(1)} ms`, r.error ? `<span class="error">${esc(r.error)}</span>` : ""]),
    "(no finished tasks recorded)");
  return `<div class="cards">` +
    card("submitted", c.submitted, "submitted") + card("pending", c.pending, "pending") +
    card("waiting for args", c.waitingForArgs, "waiting") + card("running", c.running, "running") +
    card("finished", c.finished, "finished") + card("failed", c.failed, "failed") + `</div>` +
    `<h2>Per node</h2><div data-testid="task-nodes">${nodes}</div>` +
    `<h2>Latest tasks</h2><div data-testid="latest">${latest}</div>` +
    `<p><a href="/api/timeline" download data-testid="timeline">Download the timeline</a> <span class="muted">(the finished tasks as a Chrome trace: open it at chrome://tracing or ui.perfetto.dev; Ray's <code>ray timeline</code>)</span></p>` +
    `<p class="muted">Event logs: ${esc(t.eventLog.held)} events kept (at most ${esc(t.eventLog.capacity)} per node), ${esc(t.eventLog.recorded)} recorded.</p>`;
}

function renderActors(a) {
  const c = a.counts;
  const nodes = table(["Node", "Actors", "Pending calls"],
    a.nodes.map(n => n.error ? [esc(n.node), unavailable(n.error), ""] : [esc(n.node), esc(n.actors), esc(n.pendingCalls)]),
    "(no live nodes)");
  const actors = table(["Class", "Name", "State", "Node", "Restarts", "Pending calls", "Calls run", "Actor id"],
    a.actors.map(r => [esc(r.className), esc(r.name), state(r.state), esc(r.node), esc(r.restarts),
      r.pendingCalls === null ? "" : esc(r.pendingCalls), r.callsRun === null ? "" : esc(r.callsRun), esc(r.actorId)]),
    "(no actors)");
  const shown = a.actors.length < a.total ? `<p class="muted">Showing ${esc(a.actors.length)} of ${esc(a.total)} actors.</p>` : "";
  return `<div class="cards">${card("alive", c.alive, "alive-actors")}${card("pending", c.pending, "pending-actors")}` +
    `${card("restarting", c.restarting, "restarting-actors")}${card("dead", c.dead, "dead-actors")}</div>` +
    `<h2>Per node</h2>${nodes}<h2>Actors</h2><div data-testid="actors">${actors}</div>${shown}`;
}

function renderObjects(o) {
  const t = o.total;
  const nodes = table(["Node", "Owned objects", "Managed heap", "Store used", "Objects in store", "Spilled", "Spills", "Restores", "Pulled", "Sent"],
    o.nodes.map(n => {
      if (n.error) return [esc(n.node), unavailable(n.error), "", "", "", "", "", "", "", ""];
      const s = n.store;
      return [esc(n.node), esc(n.ownedObjects), bytes(n.managedHeapBytes),
        s ? `${bytes(s.usedBytes)} / ${bytes(s.capacity)}` : n.storeError ? `<span class="error">${esc(n.storeError)}</span>` : "(no store)",
        s ? esc(s.objectCount) : "", s ? bytes(s.spilledBytes) : "", s ? esc(s.spillCount) : "", s ? esc(s.restoreCount) : "",
        s ? bytes(s.pullBytesReceived) : "", s ? bytes(s.transferBytesSent) : ""];
    }), "(no live nodes)");
  return `<div class="cards">${card("owned objects", t.ownedObjects, "owned")}` +
    `${card("store used", `${bytes(t.store.usedBytes)} / ${bytes(t.store.capacity)}`, "store-used")}` +
    `${card("objects in stores", t.store.objectCount, "store-objects")}${card("spilled", bytes(t.store.spilledBytes), "spilled")}</div>` +
    `<h2>Per node</h2><div data-testid="object-nodes">${nodes}</div>`;
}

function renderJobs(j) {
  const rows = j.jobs.map(x => [esc(x.jobId), state(x.state),
    x.pid ? esc(`pid ${x.pid} on ${x.host}`) : esc(x.host), esc(x.embedded ? "embedded" : "connected"),
    `<span class="entrypoint">${esc(x.entrypoint)}</span>`, time(x.startedAt), time(x.endedAt), esc(x.message)]);
  return `<div data-testid="jobs">${table(["Job", "State", "Driver", "Kind", "Entrypoint", "Start", "End", "Message"], rows,
    "(no jobs yet: every driver, Ray.InitAsync or orleansray job submit, is a job)")}</div>`;
}

async function refresh() {
  let leaving = false;
  try {
    const response = await fetch(page.api, { cache: "no-store", credentials: "same-origin" });
    if (response.status === 401) {
      // The head is secured and this browser has no (valid) session cookie: log in, then come back here.
      leaving = true;
      location.assign("/login?return=" + encodeURIComponent(location.pathname + location.search));
      return;
    }
    if (!response.ok) throw new Error(`${page.api}: HTTP ${response.status}`);
    document.getElementById("logout").hidden = response.headers.get("X-OrleansRay-Session") !== "cookie";
    main.innerHTML = page.render(await response.json());
    document.getElementById("updated").textContent = "updated " + new Date().toLocaleTimeString();
  } catch (error) {
    document.getElementById("updated").textContent = "not reachable: " + error.message;
  } finally {
    if (!leaving) setTimeout(refresh, pollMs);
  }
}

refresh();
