// The dashboard's alerts page.
"use strict";

// Alerts with their device's name (linking to its page), severity colours, filters, and acknowledgement of many at once.
async function showAlerts(rule = "") {
  const filters = { state: "", severity: "", rule };
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
    const [alerts, ruleList, devices] = await Promise.all([api(`/projects/${projectId()}/alerts?${query}`), api(`/projects/${projectId()}/rules`),
      api(`/projects/${projectId()}/devices`)]);
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
  // A reading may have raised (or resolved) an alert: look again shortly after readings arrive, at most a few times a second.
  let pending = null;
  listeners.add(() => { pending ??= setTimeout(() => { pending = null; refresh(); }, 300); });
}
