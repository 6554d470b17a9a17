// The dashboard's fleet page (app.js holds what every page shares).
"use strict";

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
  const tagSelect = el("select", { id: "tag", "aria-label": "Tag", onchange: (e) => { state.tag = e.target.value; state.page = 0; load(); } }, el("option", { value: "" }, "any tag"));
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
    const fleet = await api(`/projects/${projectId()}/fleet?${query}`);
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
      el("input", { type: "search", id: "search", "aria-label": "Search devices", placeholder: "Search devices", oninput: (e) => { state.search = e.target.value; state.page = 0; load(); } }),
      el("select", { id: "filter", "aria-label": "State", onchange: (e) => { state.filter = e.target.value; state.page = 0; load(); } },
        ["all", "active", "inactive", "online", "offline", "at-risk", "no-status"].map((f) => el("option", { value: f }, f))),
      tagSelect),
    el("table", { id: "devices" }, el("thead", {}, head), body), pager);
  await load();
}
