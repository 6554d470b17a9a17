// Fleetwatch dashboard: a small single-page app over the public API only (the same endpoints any client uses).
// The API key lives in sessionStorage for this tab only: never in a URL (except the stream's ?token=, which
// browsers' WebSocket API needs), never in storage that outlives the session.
"use strict";

const KEY = "fleetwatch.key";
const main = document.getElementById("main");
const PAGE_SIZE = 100;
let me = null;
let stream = null;

function key() { return sessionStorage.getItem(KEY); }

async function api(path, options = {}) {
  const response = await fetch(path, { ...options, headers: { "X-API-Key": key(), "Content-Type": "application/json", ...(options.headers || {}) } });
  if (response.status === 401 || response.status === 403) throw new Error("This API key was refused.");
  if (!response.ok && response.status !== 204) {
    let detail = response.statusText;
    try { detail = (await response.json()).detail || detail; } catch { }
    throw new Error(detail);
  }
  return response.status === 204 ? null : response.json();
}

function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
    else if (value !== undefined && value !== null) node.setAttribute(name, value);
  }
  for (const child of children.flat()) node.append(child instanceof Node ? child : document.createTextNode(String(child ?? "")));
  return node;
}

function showSignIn(message) {
  document.getElementById("nav").hidden = true;
  const input = el("input", { type: "password", id: "api-key", placeholder: "abcd1234.…", autocomplete: "off" });
  const form = el("form", { class: "sign-in", onsubmit: async (event) => {
    event.preventDefault();
    sessionStorage.setItem(KEY, input.value.trim());
    await start();
  } },
    el("h2", {}, "Sign in"),
    el("p", {}, "Paste an API key of your project (read or admin). It is kept in this browser tab only."),
    input,
    el("button", { type: "submit", id: "sign-in" }, "Sign in"),
    message ? el("p", { class: "error", id: "sign-in-error" }, message) : "");
  main.replaceChildren(form);
  input.focus();
}

async function start() {
  if (!key()) return showSignIn();
  try {
    me = await api("/auth/me");
  } catch (error) {
    sessionStorage.removeItem(KEY);
    return showSignIn(error.message);
  }
  document.getElementById("nav").hidden = false;
  openStream();
  route();
}

// One project-wide live stream; pages register what they do with each reading.
const listeners = new Set();
function openStream() {
  if (stream) stream.close();
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  stream = new WebSocket(`${scheme}://${location.host}/api/v1/stream/all?token=${encodeURIComponent(key())}`);
  stream.onmessage = (message) => {
    const frame = JSON.parse(message.data);
    if (frame.type === "reading" || frame.type === "connectivity") for (const listener of listeners) listener(frame);
  };
  stream.onclose = () => { if (key()) setTimeout(openStream, 2000); };
}

function route() {
  listeners.clear();
  const [, page, id] = location.hash.split("/");
  if (page === "device" && id) return showDevice(decodeURIComponent(id));
  if (page === "alerts") return showAlerts();
  return showFleet();
}

function formatTime(iso) { return iso ? new Date(iso).toLocaleString() : "—"; }

// Upload times are nanoseconds (the fleet API's unit): shown as a duration. Other values as they came.
function formatValue(name, value) {
  if (value === undefined || value === null) return "—";
  if (name === "upload_time" && typeof value === "number") {
    const seconds = value / 1e9;
    return seconds >= 60 ? `${Math.floor(seconds / 60)} min ${(seconds % 60).toFixed(1)} s` : seconds >= 1 ? `${seconds.toFixed(2)} s` : `${(value / 1e6).toFixed(1)} ms`;
  }
  return typeof value === "object" ? JSON.stringify(value) : String(value);
}

// The fleet page asks the server for one page at a time (GET /projects/{id}/fleet: search, filters, sorting and
// paging are done there), so it stays quick with 100k devices. Live readings update their row at once, and a
// refresh (at most one a second) brings the counts and the order up to date.
async function showFleet() {
  const state = { search: "", filter: "all", tag: "", sort: "device_id", descending: false, page: 0 };
  let latest = 0; // only the newest request may draw: answers can arrive out of order
  let refreshTimer = null;

  const counts = el("div", { class: "cards" });
  const body = el("tbody");
  const pager = el("div", { class: "toolbar" });
  const tagSelect = el("select", { id: "tag", onchange: (e) => { state.tag = e.target.value; state.page = 0; load(); } }, el("option", { value: "" }, "any tag"));
  // Two facts, two columns: connectivity is what the server sees (heard from within the timeout), reported is the device's own flag.
  // Columns with a sort field sort on the server; the others (tags, device time) do not. On a phone each row becomes a
  // card, its cells labelled by data-label.
  const columns = [["device_id", "Device"], [null, "Tags"], ["connectivity", "Connectivity"], ["state", "Reported"], ["battery_level", "Battery %"],
    ["rssi", "Signal dBm"], ["last_seen", "Last seen"], [null, "Device time"], ["uptime", "Uptime %"], ["open_alerts", "Open alerts"]];
  const head = el("tr", {}, columns.map(([field, label]) => field
    ? el("th", { "data-sort": field, tabindex: "0", onclick: () => sortBy(field), onkeydown: (e) => { if (e.key === "Enter") sortBy(field); } }, label)
    : el("th", {}, label)));
  function sortBy(field) {
    state.descending = state.sort === field ? !state.descending : false;
    state.sort = field;
    load();
  }

  function row(d) {
    const stateText = d.online === null ? "no status" : d.online ? "online" : "offline";
    const named = d.name && d.name !== d.device_id;
    const cell = (label, attributes, ...children) => el("td", { "data-label": label, ...attributes }, ...children);
    return el("tr", { "data-device": d.device_id, class: d.at_risk.length ? "risk" : "" },
      cell("Device", { class: "device" },
        el("a", { href: `#/device/${encodeURIComponent(d.device_id)}` }, named ? d.name : d.device_id),
        named ? el("div", { class: "id" }, d.device_id) : "",
        // Why a device is at risk, in the row itself rather than in a tooltip.
        d.at_risk.length ? el("div", { class: "reasons" }, d.at_risk.join("; ")) : ""),
      cell("Tags", { class: "tags" }, d.tags.map((t) => el("span", { class: "tag" }, t))),
      cell("Connectivity", { class: `connectivity ${d.connectivity}`, title: d.connectivity_since ? `since ${formatTime(d.connectivity_since)}` : "never heard from" }, d.connectivity),
      cell("Reported", { class: `reported ${d.online === null ? "" : d.online ? "online" : "offline"}` }, stateText),
      cell("Battery %", { class: "battery" }, d.battery_level ?? "—"),
      cell("Signal dBm", { class: "rssi" }, d.rssi ?? "—"),
      cell("Last seen", { class: "seen", title: "when the server last received anything from the device" }, formatTime(d.last_seen)),
      cell("Device time", { class: "device-time", title: "the device's own newest timestamp" }, formatTime(d.device_time)),
      uptimeCell(d.uptime),
      cell("Open alerts", { class: d.open_alerts ? "alerts" : "" }, d.open_alerts));
  }

  // The fleet API's uptime (its original formula) exceeds 100 when heartbeats land at both ends of the span: shown
  // capped, with the figure the API gives in the tooltip.
  function uptimeCell(uptime) {
    if (uptime === null) return el("td", { "data-label": "Uptime %", class: "uptime" }, "—");
    return el("td", { "data-label": "Uptime %", class: "uptime", title: uptime > 100
      ? `${uptime.toFixed(1)}% by the fleet API's formula (distinct heartbeat minutes ÷ minutes between the first and last), which counts both ends: shown as 100`
      : "distinct heartbeat minutes ÷ minutes between the first and last heartbeat" }, Math.min(uptime, 100).toFixed(1));
  }

  async function load() {
    const ticket = ++latest;
    const query = new URLSearchParams({ search: state.search, state: state.filter, tag: state.tag, sort: state.sort,
      order: state.descending ? "desc" : "asc", limit: PAGE_SIZE, offset: state.page * PAGE_SIZE });
    const fleet = await api(`/projects/${me.project_id}/fleet?${query}`);
    if (ticket !== latest) return;
    const c = fleet.counts;
    counts.replaceChildren(
      el("div", { class: "card" }, "Total", el("b", { id: "count-total" }, c.total)),
      el("div", { class: "card" }, "Active", el("b", { id: "count-active" }, c.active)),
      el("div", { class: "card" }, "Inactive", el("b", { id: "count-inactive" }, c.inactive)),
      el("div", { class: "card" }, "Online", el("b", { id: "count-online" }, c.online)),
      el("div", { class: "card" }, "Offline", el("b", { id: "count-offline" }, c.offline)),
      el("div", { class: "card" }, "At risk", el("b", { id: "count-at-risk" }, c.at_risk)),
      el("div", { class: "card" }, "No status", el("b", { id: "count-no-status" }, c.no_status)));
    if (tagSelect.options.length !== fleet.tags.length + 1)
      tagSelect.replaceChildren(el("option", { value: "" }, "any tag"), ...fleet.tags.map((t) => el("option", { value: t, selected: t === state.tag ? "" : null }, t)));
    body.replaceChildren(...fleet.devices.map(row));
    // An empty table says what to do next.
    if (fleet.devices.length === 0)
      body.append(el("tr", { id: "fleet-empty" }, el("td", { colspan: columns.length, class: "empty" }, c.total === 0
        ? "No devices yet. A device appears when it first reports (POST /status, /telemetry, /api/v1/ingest, or MQTT), or when it is registered (POST /projects/{id}/devices)."
        : "No device matches the search and filters.")));
    const pages = Math.max(1, Math.ceil(fleet.matched / PAGE_SIZE));
    pager.replaceChildren(
      el("button", { type: "button", onclick: () => { if (state.page > 0) { state.page--; load(); } } }, "‹ Previous"),
      el("span", {}, `Page ${state.page + 1} of ${pages} (${fleet.matched} devices)`),
      el("button", { type: "button", onclick: () => { if (state.page < pages - 1) { state.page++; load(); } } }, "Next ›"));
  }

  listeners.add((frame) => {
    const tr = body.querySelector(`tr[data-device="${CSS.escape(frame.device_id)}"]`);
    if (tr && frame.type === "connectivity") {
      tr.querySelector(".connectivity").textContent = frame.state;
      tr.querySelector(".connectivity").className = `connectivity ${frame.state}`;
    } else if (tr && frame.kind === "status") {
      tr.querySelector(".battery").textContent = frame.data.metrics.battery_level;
      tr.querySelector(".rssi").textContent = frame.data.metrics.rssi;
    }
    // Last seen is when the server received it (now), never the device's own timestamp.
    if (tr && frame.type === "reading") tr.querySelector(".seen").textContent = formatTime(new Date().toISOString());
    refreshTimer ??= setTimeout(() => { refreshTimer = null; load(); }, 1000);
  });

  main.replaceChildren(
    el("h2", {}, "Fleet"), counts,
    el("div", { class: "toolbar" },
      el("input", { type: "search", id: "search", placeholder: "Search devices", oninput: (e) => { state.search = e.target.value; state.page = 0; load(); } }),
      el("select", { id: "filter", onchange: (e) => { state.filter = e.target.value; state.page = 0; load(); } },
        ["all", "active", "inactive", "online", "offline", "at-risk", "no-status"].map((f) => el("option", { value: f }, f))),
      tagSelect),
    el("table", { id: "devices" }, el("thead", {}, head), body), pager);
  await load();
}

const RANGES = { "1h": "1m", "24h": "15m", "7d": "1h", "30d": "6h", "90d": "1d" };

async function showDevice(deviceId) {
  const chartBox = el("div", { id: "chart" });
  const uptimeBox = el("div", { id: "uptime-chart" });
  const select = el("select", { id: "range", onchange: () => draw() }, Object.keys(RANGES).map((r) => el("option", { value: r, selected: r === "24h" ? "" : null }, r)));
  const latestBox = el("div", { class: "cards" });
  const events = el("tbody");
  const eventsHead = el("tr");
  const alerts = el("tbody");
  main.replaceChildren(el("h2", {}, deviceId), latestBox, el("div", { class: "toolbar" }, "Range ", select), chartBox,
    el("h3", {}, "Uptime per day"), uptimeBox,
    el("h3", {}, "Recent readings"), el("table", { id: "events" }, el("thead", {}, eventsHead), events),
    el("h3", {}, "Alerts"), el("table", { id: "device-alerts" }, el("thead", {}, el("tr", {}, el("th", {}, "Raised"), el("th", {}, "Rule"), el("th", {}, "State"))), alerts));

  async function draw() {
    const range = select.value;
    const result = await api(`/api/v1/devices/${encodeURIComponent(deviceId)}/aggregate?range=${range}&bucket=${RANGES[range]}`);
    const buckets = result.data.buckets;
    const metrics = [...new Set(buckets.flatMap((b) => Object.keys(b.metrics)))].sort();
    const times = buckets.map((b) => Date.parse(b.start) / 1000);
    chartBox.replaceChildren();
    if (buckets.length === 0) { chartBox.append(el("p", { id: "no-data" }, "No readings in this range.")); }
    // One chart per metric, each on its own scale (power at 220 W no longer flattens a temperature), sharing the time
    // axis and a cursor that moves in all of them at once.
    for (const metric of metrics) {
      // Upload times arrive in nanoseconds: charted in seconds, so the axis reads 2.5, not 2,500,000,000.
      const scale = metric === "upload_time" ? 1e-9 : 1;
      const box = el("div", { class: "metric-chart", "data-metric": metric }, el("h4", {}, metric === "upload_time" ? "upload_time (s)" : metric));
      chartBox.append(box);
      new uPlot({ width: Math.min(1000, main.clientWidth - 20), height: 160, cursor: { sync: { key: `device-${deviceId}` } }, legend: { show: false },
        series: [{}, { label: metric, stroke: "#1a73e8", width: 2 }] },
        [times, buckets.map((b) => (b.metrics[metric]?.avg ?? null) === null ? null : b.metrics[metric].avg * scale)], box);
    }

    // Heartbeats are no readings: their uptime per UTC day comes from the fleet API.
    const days = { "1h": 7, "24h": 7, "7d": 7, "30d": 30, "90d": 90 }[range];
    const uptime = await api(`/api/v1/devices/${encodeURIComponent(deviceId)}/uptime?days=${days}`);
    uptimeBox.replaceChildren();
    // Days before the device existed are not 0% uptime: they are not drawn.
    const since = (device.data.created_at ?? "").slice(0, 10);
    const existing = uptime.days.filter((d) => d.date.slice(0, 10) >= since);
    uptimeBox.dataset.days = existing.length;
    if (!existing.some((d) => d.heartbeat_minutes > 0)) { uptimeBox.append(el("p", {}, "No heartbeats in this range.")); return; }
    new uPlot({ width: Math.min(1000, main.clientWidth - 20), height: 200, scales: { y: { range: [0, 100] } },
      series: [{}, { label: "uptime %", stroke: "#188038", fill: "#18803822" }] },
      [existing.map((d) => Date.parse(d.date) / 1000), existing.map((d) => Math.min(d.uptime, 100))], uptimeBox);
  }

  // The alerts API names devices by their integer id; the telemetry backend's device UUID encodes it (last 12 hex digits).
  const device = await api(`/api/v1/devices/${encodeURIComponent(deviceId)}`);
  const numericId = parseInt(device.data.id.slice(-12), 16);

  async function refresh() {
    const [history, deviceAlerts, connectivity] = await Promise.all([
      api(`/api/v1/devices/${encodeURIComponent(deviceId)}/history?range=90d&order=desc&limit=20`),
      api(`/devices/${numericId}/alerts?limit=20`),
      api(`/projects/${me.project_id}/devices/${numericId}/connectivity`)]);
    const names = [...new Set(history.data.flatMap((r) => Object.keys(r.metrics)))].sort();
    latestBox.replaceChildren(
      el("div", { class: "card", title: `inactive after ${connectivity.inactivity_timeout_seconds} s without data` }, "Connectivity",
        el("b", { id: "device-connectivity", class: `connectivity ${connectivity.state}` }, connectivity.state)),
      el("div", { class: "card", title: connectivity.device_time ? `device time ${formatTime(connectivity.device_time)}` : "" }, "Last seen",
        el("b", {}, formatTime(connectivity.last_seen_at))),
      // Every metric of the recent readings, each with the time its latest value arrived.
      ...names.map((name) => {
        const newest = history.data.find((r) => r.metrics[name] !== undefined);
        return el("div", { class: "card metric", "data-metric": name }, name, el("b", {}, formatValue(name, newest.metrics[name])), el("small", {}, formatTime(newest.timestamp)));
      }));
    // A column per metric, as a table of readings reads; upload times as durations, not nanoseconds.
    eventsHead.replaceChildren(el("th", {}, "Time"), ...names.map((n) => el("th", {}, n)));
    events.replaceChildren(...history.data.map((r) => el("tr", {}, el("td", {}, formatTime(r.timestamp)),
      ...names.map((n) => el("td", {}, formatValue(n, r.metrics[n]))))));
    alerts.replaceChildren(...deviceAlerts.map((a) => el("tr", {}, el("td", {}, formatTime(a.triggered_at)), el("td", {}, a.details.rule.name), el("td", {}, a.state))));
  }

  listeners.add((frame) => {
    if (frame.device_id !== deviceId) return;
    refresh();
    if (frame.type === "reading") draw();
  });
  await Promise.all([draw(), refresh()]);
}

// Alerts with their device's name (linking to its page), severity colours, filters, and acknowledgement of many at once.
async function showAlerts() {
  const filters = { state: "", severity: "", rule: "" };
  const list = el("tbody");
  const rules = el("tbody");
  const ruleSelect = el("select", { id: "alert-rule", "aria-label": "Rule", onchange: (e) => { filters.rule = e.target.value; refresh(); } }, el("option", { value: "" }, "any rule"));
  const selectAll = el("input", { type: "checkbox", id: "select-all", "aria-label": "Select every alert shown",
    onchange: (e) => { for (const box of list.querySelectorAll("input.pick")) box.checked = e.target.checked; } });
  const bulkAck = el("button", { type: "button", id: "ack-selected", onclick: async () => {
    const ids = [...list.querySelectorAll("input.pick:checked")].map((box) => box.value);
    await Promise.all(ids.map((id) => api(`/alerts/${id}/ack`, { method: "POST" })));
    selectAll.checked = false;
    refresh();
  } }, "Acknowledge selected");
  const empty = el("p", { id: "alerts-empty", class: "empty", hidden: "" }, "No alerts match. Rules raise them: create one under Rules, or widen the filters.");
  main.replaceChildren(el("h2", {}, "Alerts"),
    el("div", { class: "toolbar" },
      el("select", { id: "alert-state", "aria-label": "State", onchange: (e) => { filters.state = e.target.value; refresh(); } },
        ["open", "acknowledged", "resolved", ""].map((v) => el("option", { value: v, selected: v === filters.state ? "" : null }, v || "any state"))),
      el("select", { id: "alert-severity", "aria-label": "Severity", onchange: (e) => { filters.severity = e.target.value; refresh(); } },
        ["", "critical", "major", "minor", "warning", "info"].map((v) => el("option", { value: v }, v || "any severity"))),
      ruleSelect, bulkAck),
    el("table", { id: "alerts" },
      el("thead", {}, el("tr", {}, el("th", {}, selectAll), ["Raised", "Device", "Rule", "Severity", "State", ""].map((h) => el("th", {}, h)))), list),
    empty,
    el("h2", {}, "Rules"), el("table", { id: "rules" }, el("thead", {}, el("tr", {}, ["Name", "Condition", "Scope", "Enabled", "Last fired"].map((h) => el("th", {}, h)))), rules));

  async function refresh() {
    const query = new URLSearchParams({ limit: 200 });
    if (filters.state) query.set("state", filters.state);
    if (filters.rule) query.set("rule_id", filters.rule);
    const [alerts, ruleList, devices] = await Promise.all([api(`/projects/${me.project_id}/alerts?${query}`), api(`/projects/${me.project_id}/rules`),
      api(`/projects/${me.project_id}/devices`)]);
    const byId = new Map(devices.map((d) => [d.id, d]));
    const shown = alerts.filter((a) => !filters.severity || a.severity === filters.severity);
    empty.hidden = shown.length > 0;
    list.replaceChildren(...shown.map((a) => {
      const device = byId.get(a.device_id);
      const name = device ? (device.name || device.external_id) : `device ${a.device_id}`;
      return el("tr", { "data-alert": a.id, class: `sev-${a.severity}` },
        el("td", {}, a.state === "open" ? el("input", { type: "checkbox", class: "pick", value: a.id, "aria-label": `Select alert ${a.id}` }) : ""),
        el("td", {}, formatTime(a.triggered_at)),
        el("td", { class: "device" }, device ? el("a", { href: `#/device/${encodeURIComponent(device.external_id)}` }, name) : name),
        el("td", {}, a.details.rule.name), el("td", { class: "severity" }, el("span", { class: `badge sev-${a.severity}` }, a.severity)),
        el("td", { class: "state" }, a.state),
        el("td", {},
          a.state === "open" ? el("button", { type: "button", class: "ack", onclick: async () => { await api(`/alerts/${a.id}/ack`, { method: "POST" }); refresh(); } }, "Acknowledge") : "",
          a.state !== "resolved" ? el("button", { type: "button", class: "resolve", onclick: async () => { await api(`/alerts/${a.id}/resolve`, { method: "POST" }); refresh(); } }, "Resolve") : ""));
    }));
    if (ruleSelect.options.length !== ruleList.length + 1)
      ruleSelect.replaceChildren(el("option", { value: "" }, "any rule"), ...ruleList.map((r) => el("option", { value: r.id, selected: String(r.id) === filters.rule ? "" : null }, r.name)));
    const lastFired = new Map();
    for (const a of alerts) if (!lastFired.has(a.rule_id)) lastFired.set(a.rule_id, a.triggered_at); // newest first
    rules.replaceChildren(...ruleList.map((r) => el("tr", {}, el("td", {}, r.name),
      el("td", {}, r.type === "inactivity" ? `nothing received for ${r.inactive_seconds} s` : `${r.required_k} of last ${r.window_n}: ${r.metric} ${r.operator} ${r.threshold}`),
      el("td", {}, r.scope + (r.tag ? ` (${r.tag})` : "")),
      el("td", {}, r.enabled ? "yes" : "no"), el("td", { class: "last-fired" }, formatTime(lastFired.get(r.id))))));
  }
  await refresh();
}

document.getElementById("sign-out").addEventListener("click", () => {
  sessionStorage.removeItem(KEY);
  if (stream) stream.close();
  stream = null;
  showSignIn();
});
window.addEventListener("hashchange", () => { if (key() && me) route(); });
start();
