// The dashboard's device page.
"use strict";

// Upload times are nanoseconds (the fleet API's unit): shown as a duration. Other values as they came.
function formatValue(name, value) {
  if (value === undefined || value === null) return "—";
  if (name === "upload_time" && typeof value === "number") {
    const seconds = value / 1e9;
    return seconds >= 60 ? `${Math.floor(seconds / 60)} min ${(seconds % 60).toFixed(1)} s` : seconds >= 1 ? `${seconds.toFixed(2)} s` : `${(value / 1e6).toFixed(1)} ms`;
  }
  return typeof value === "object" ? JSON.stringify(value) : String(value);
}

// Units of the metrics whose meaning Fleetwatch knows (the status fields, upload times); free-form metrics carry none.
const UNITS = { battery_level: "%", rssi: "dBm", upload_time: "s" };
function withUnit(metric) { return UNITS[metric] ? `${metric} (${UNITS[metric]})` : metric; }

const RANGES = { "1h": "1m", "24h": "15m", "7d": "1h", "30d": "6h", "90d": "1d" };
const RANGE_SECONDS = { "1h": 3600, "24h": 86400, "7d": 7 * 86400, "30d": 30 * 86400, "90d": 90 * 86400 };

async function showDevice(deviceId) {
  const chartBox = el("div", { id: "chart" });
  const uptimeBox = el("div", { id: "uptime-chart" });
  const timeline = el("div", { id: "connectivity-timeline", role: "img" });
  const select = el("select", { id: "range", onchange: () => Promise.all([draw(), drawTimeline(select.value)]) }, Object.keys(RANGES).map((r) => el("option", { value: r, selected: r === "24h" ? "" : null }, r)));
  const latestBox = el("div", { class: "cards" });
  const events = el("tbody");
  const eventsHead = el("tr");
  const alerts = el("tbody");
  const format = el("select", { id: "export-format" }, ["csv", "ndjson", "parquet"].map((f) => el("option", { value: f }, f.toUpperCase())));
  const exportError = el("span", { class: "error", role: "alert" });
  const download = el("button", { type: "button", id: "download", onclick: () => attempt(exportError, downloadRange) }, "Download");
  main.replaceChildren(el("h2", {}, deviceId), latestBox, el("div", { class: "toolbar" }, el("label", { for: "range" }, "Range "), select,
    el("span", { class: "hint" }, "drag across a chart to zoom, double-click to zoom out"),
    el("label", { for: "export-format" }, "Export the range as "), format, download, exportError),
    el("h3", {}, "Connectivity"), timeline, chartBox,
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
    // Dragging across a chart zooms every chart to that span; a double click zooms back out.
    const charts = [];
    let zooming = false;
    const zoomAll = (chart, key) => {
      if (key !== "x") return;
      // The span each chart shows, for whoever reads the page (and its tests): uPlot draws its axes on a canvas.
      chart.root.parentElement.dataset.from = Math.round(chart.scales.x.min);
      if (zooming) return;
      zooming = true;
      for (const other of charts) if (other !== chart) other.setScale("x", { min: chart.scales.x.min, max: chart.scales.x.max });
      zooming = false;
    };
    for (const metric of metrics) {
      // Upload times arrive in nanoseconds: charted in seconds, so the axis reads 2.5, not 2,500,000,000.
      const scale = metric === "upload_time" ? 1e-9 : 1;
      const box = el("div", { class: "metric-chart", "data-metric": metric }, el("h4", {}, withUnit(metric)));
      chartBox.append(box);
      const stat = (name) => buckets.map((b) => (b.metrics[metric]?.[name] ?? null) === null ? null : b.metrics[metric][name] * scale);
      // The average as a line, between each bucket's minimum and maximum as a band: a spike inside an hour or a day still shows.
      charts.push(new uPlot({ width: Math.min(1000, main.clientWidth - 20), height: 160, legend: { show: false },
        cursor: { sync: { key: `device-${deviceId}` }, drag: { x: true, y: false } }, hooks: { setScale: [zoomAll] },
        series: [{}, { label: metric, stroke: "#1a5fb4", width: 2 }, { label: "max", stroke: "transparent", points: { show: false } },
          { label: "min", stroke: "transparent", points: { show: false } }],
        bands: [{ series: [2, 3], fill: "#1a5fb422" }] },
        [times, stat("avg"), stat("max"), stat("min")], box));
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
    new uPlot({ width: Math.min(1000, main.clientWidth - 20), height: 200,
      // Half a day either side of the days shown (one day alone would get an axis of years).
      scales: { x: { time: true, auto: false, range: [Date.parse(existing[0].date) / 1000 - 43200, Date.parse(existing.at(-1).date) / 1000 + 43200] },
        y: { range: [0, 100] } },
      series: [{}, { label: "uptime %", stroke: "#188038", fill: "#18803822", points: { show: true, size: 6 } }] },
      [existing.map((d) => Date.parse(d.date) / 1000), existing.map((d) => Math.min(d.uptime, 100))], uptimeBox);
  }

  // The alerts API names devices by their integer id; the telemetry backend's device UUID encodes it (last 12 hex digits).
  const device = await api(`/api/v1/devices/${encodeURIComponent(deviceId)}`);
  const numericId = parseInt(device.data.id.slice(-12), 16);

  // The chosen range's events, every kind the device sent, as a file (GET …/export streams it; the page saves it).
  async function downloadRange() {
    const seconds = RANGE_SECONDS[select.value];
    const from = new Date(Date.now() - seconds * 1000).toISOString();
    download.disabled = true;
    try {
      const response = await request(`/projects/${projectId()}/devices/${numericId}/export?format=${format.value}&from=${encodeURIComponent(from)}`);
      await saveResponse(response, `${deviceId}-${select.value}.${format.value}`);
    } finally {
      download.disabled = false;
    }
  }

  async function refresh() {
    const [history, deviceAlerts, connectivity, status] = await Promise.all([
      api(`/api/v1/devices/${encodeURIComponent(deviceId)}/history?range=90d&order=desc&limit=20`),
      api(`/devices/${numericId}/alerts?limit=20`),
      api(`/projects/${projectId()}/devices/${numericId}/connectivity`),
      // What the device last said of itself (its online flag), apart from whether the server hears from it; none before its first status.
      api(`/status/${encodeURIComponent(deviceId)}`).catch(() => null)]);
    const names = [...new Set(history.data.flatMap((r) => Object.keys(r.metrics)))].sort();
    latestBox.replaceChildren(
      el("div", { class: "card", title: `inactive after ${connectivity.inactivity_timeout_seconds} s without data` }, "Connectivity",
        el("b", { id: "device-connectivity", class: `connectivity ${connectivity.state}` }, connectivity.state)),
      el("div", { class: "card", title: status ? `its latest status, sent ${formatTime(status.timestamp)}` : "no status yet" }, "Reported",
        el("b", { id: "device-reported", class: status ? (status.online ? "online" : "offline") : "" }, status ? (status.online ? "online" : "offline") : "—")),
      el("div", { class: "card", title: connectivity.device_time ? `device time ${formatTime(connectivity.device_time)}` : "" }, "Last seen",
        el("b", {}, formatTime(connectivity.last_seen_at))),
      // Every metric of the recent readings, each with the time its latest value arrived.
      ...names.map((name) => {
        const newest = history.data.find((r) => r.metrics[name] !== undefined);
        return el("div", { class: "card metric", "data-metric": name }, withUnit(name), el("b", {}, formatValue(name, newest.metrics[name])), el("small", {}, formatTime(newest.timestamp)));
      }));
    // A column per metric, as a table of readings reads; upload times as durations, not nanoseconds.
    eventsHead.replaceChildren(el("th", {}, "Time"), ...names.map((n) => el("th", {}, n)));
    events.replaceChildren(...history.data.map((r) => el("tr", {}, el("td", {}, formatTime(r.timestamp)),
      ...names.map((n) => el("td", {}, formatValue(n, r.metrics[n]))))));
    alerts.replaceChildren(...deviceAlerts.map((a) => el("tr", {}, el("td", {}, formatTime(a.triggered_at)),
      el("td", {}, el("a", { href: `#/alerts/${a.rule_id}` }, a.details.rule.name)), el("td", {}, a.state))));
  }

  // Connectivity over the chosen range: a bar, green while active, grey while inactive, from the recorded transitions.
  async function drawTimeline(range) {
    const end = Date.now();
    const start = end - RANGE_SECONDS[range] * 1000;
    const history = await api(`/projects/${projectId()}/devices/${numericId}/connectivity/history?limit=1000`);
    const transitions = history.transitions.map((t) => ({ state: t.state, at: Date.parse(t.since) })).sort((a, b) => a.at - b.at);
    const parts = [];
    let state = "unknown";
    let from = start;
    for (const t of transitions) {
      if (t.at <= start) { state = t.state; continue; }
      parts.push({ state, from, to: t.at });
      state = t.state;
      from = t.at;
    }
    parts.push({ state, from, to: end });
    timeline.replaceChildren(...parts.filter((p) => p.to > p.from).map((p) => el("span", {
      class: `span ${p.state}`, style: `width:${(100 * (p.to - p.from)) / (end - start)}%`,
      title: `${p.state} from ${new Date(p.from).toLocaleString()} to ${new Date(p.to).toLocaleString()}` })));
    timeline.setAttribute("aria-label", `Connectivity: ${transitions.length} transitions recorded, ${state} now`);
  }

  listeners.add((frame) => {
    if (frame.device_id !== deviceId) return;
    refresh();
    if (frame.type === "reading") draw();
    else if (frame.type === "connectivity") drawTimeline(select.value);
  });
  await Promise.all([draw(), refresh(), drawTimeline(select.value)]);
}
