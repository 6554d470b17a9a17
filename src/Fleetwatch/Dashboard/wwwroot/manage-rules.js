// The dashboard's rules page (admin key): create, edit, enable and delete rules, with a live count of the devices a scope matches.
"use strict";

function field(label, input) { return el("label", { class: "field" }, el("span", {}, label), input); }

async function showRules() {
  const devices = await api(`/projects/${projectId()}/devices`);
  const tags = [...new Set(devices.flatMap((d) => d.tags))].sort();
  const inputs = {
    name: el("input", { id: "rule-name", required: "" }),
    type: el("select", { id: "rule-type" }, el("option", { value: "threshold" }, "a reading crosses a threshold"), el("option", { value: "inactivity" }, "nothing received for a while")),
    metric: el("input", { id: "rule-metric", placeholder: "battery_level" }),
    operator: el("select", { id: "rule-operator" }, ["<", "<=", ">", ">="].map((o) => el("option", { value: o }, o))),
    threshold: el("input", { id: "rule-threshold", type: "number", step: "any" }),
    window_n: el("input", { id: "rule-window", type: "number", min: "1", value: "1" }),
    required_k: el("input", { id: "rule-required", type: "number", min: "1", value: "1" }),
    inactive_seconds: el("input", { id: "rule-inactive", type: "number", min: "1", value: "600" }),
    severity: el("select", { id: "rule-severity" }, ["warning", "critical", "major", "minor", "info"].map((s) => el("option", { value: s }, s))),
    scope: el("select", { id: "rule-scope" }, el("option", { value: "ALL" }, "every device"), el("option", { value: "TAG" }, "devices with a tag"),
      el("option", { value: "EXPLICIT" }, "devices picked below")),
    tag: el("select", { id: "rule-tag" }, tags.map((t) => el("option", { value: t }, t))),
    enabled: el("input", { id: "rule-enabled", type: "checkbox", checked: "" }),
  };
  const picks = el("fieldset", { id: "rule-devices", class: "picks" }, el("legend", {}, "Devices"),
    devices.map((d) => el("label", {}, el("input", { type: "checkbox", value: d.id, class: "pick-device" }), d.name || d.external_id)));
  const preview = el("p", { id: "scope-preview", "aria-live": "polite" });
  const error = el("p", { class: "error", id: "rule-error", role: "alert" });
  const submit = el("button", { type: "submit", id: "rule-save" }, "Create rule");
  const cancel = el("button", { type: "button", id: "rule-cancel", hidden: "", onclick: () => edit(null) }, "Cancel");
  let editing = null;
  // The API does not list an EXPLICIT rule's devices: an edit keeps them unless devices are picked again.
  let picked = false;
  picks.addEventListener("change", () => { picked = true; });

  // What the scope matches now, as the server will judge it: every device, those with the tag, or those picked.
  function update() {
    const threshold = inputs.type.value === "threshold";
    for (const name of ["metric", "operator", "threshold", "window_n", "required_k"]) inputs[name].closest("label").hidden = !threshold;
    inputs.inactive_seconds.closest("label").hidden = threshold;
    inputs.tag.closest("label").hidden = inputs.scope.value !== "TAG";
    picks.hidden = inputs.scope.value !== "EXPLICIT";
    const matched = inputs.scope.value === "ALL" ? devices.length
      : inputs.scope.value === "TAG" ? devices.filter((d) => d.tags.includes(inputs.tag.value)).length
      : picks.querySelectorAll("input:checked").length;
    preview.textContent = editing && inputs.scope.value === "EXPLICIT" && !picked
      ? "Keeps the devices it has; pick devices to replace them."
      : `Matches ${matched} of ${devices.length} devices now.`;
    preview.dataset.count = matched;
  }
  for (const input of [inputs.type, inputs.scope, inputs.tag, picks]) input.addEventListener("change", update);

  const form = el("form", { id: "rule-form", class: "panel", onsubmit: (event) => {
    event.preventDefault();
    attempt(error, async () => {
      const body = { name: inputs.name.value, type: inputs.type.value, severity: inputs.severity.value, scope: inputs.scope.value, enabled: inputs.enabled.checked };
      if (body.type === "threshold") Object.assign(body, { metric: inputs.metric.value, operator: inputs.operator.value, threshold: number(inputs.threshold),
        window_n: number(inputs.window_n), required_k: number(inputs.required_k) });
      else body.inactive_seconds = number(inputs.inactive_seconds);
      if (body.scope === "TAG") body.tag = inputs.tag.value;
      const rule = editing
        ? await api(`/rules/${editing.id}`, { method: "PATCH", body: JSON.stringify(body) })
        : await api(`/projects/${projectId()}/rules`, { method: "POST", body: JSON.stringify(body) });
      if (body.scope === "EXPLICIT" && (picked || !editing)) {
        const ids = [...picks.querySelectorAll("input:checked")].map((box) => Number(box.value));
        await api(`/rules/${rule.id}/devices`, { method: "POST", body: JSON.stringify({ device_ids: ids }) });
      }
      edit(null);
      await refresh();
    });
  } },
    el("h3", { id: "rule-form-title" }, "New rule"),
    el("div", { class: "fields" }, field("Name", inputs.name), field("Fires when", inputs.type), field("Metric", inputs.metric), field("Operator", inputs.operator),
      field("Threshold", inputs.threshold), field("Of the last N readings", inputs.window_n), field("at least K", inputs.required_k),
      field("Seconds without a word", inputs.inactive_seconds), field("Severity", inputs.severity), field("Applies to", inputs.scope), field("Tag", inputs.tag),
      field("Enabled", inputs.enabled)),
    picks, preview, el("div", { class: "toolbar" }, submit, cancel), error);

  function edit(rule) {
    editing = rule;
    picked = false;
    form.reset();
    document.getElementById("rule-form-title").textContent = rule ? `Edit “${rule.name}”` : "New rule";
    submit.textContent = rule ? "Save rule" : "Create rule";
    cancel.hidden = !rule;
    if (rule) {
      for (const name of ["name", "type", "metric", "operator", "threshold", "window_n", "required_k", "inactive_seconds", "severity", "scope", "tag"])
        if (rule[name] !== null && rule[name] !== undefined) inputs[name].value = rule[name];
      inputs.enabled.checked = rule.enabled;
      inputs.name.focus();
    }
    update();
  }

  const list = el("tbody");
  const empty = el("p", { class: "empty", id: "rules-empty", hidden: "" }, "No rules yet: create one above, and its alerts appear under Alerts.");
  main.replaceChildren(el("h2", {}, "Rules"), form,
    el("table", { id: "rule-list" }, el("thead", {}, el("tr", {}, ["Name", "Condition", "Applies to", "Severity", "Enabled", ""].map((h) => el("th", {}, h)))), list), empty);

  async function refresh() {
    const rules = await api(`/projects/${projectId()}/rules`);
    empty.hidden = rules.length > 0;
    list.replaceChildren(...rules.map((r) => {
      const rowError = el("span", { class: "error" });
      return el("tr", { "data-rule": r.id },
        el("td", {}, r.name),
        el("td", {}, r.type === "inactivity" ? `nothing received for ${r.inactive_seconds} s` : `${r.required_k} of last ${r.window_n}: ${r.metric} ${r.operator} ${r.threshold}`),
        el("td", {}, r.scope === "ALL" ? "every device" : r.scope === "TAG" ? `tag ${r.tag}` : "picked devices"),
        el("td", {}, el("span", { class: `badge sev-${r.severity}` }, r.severity)),
        el("td", {}, el("input", { type: "checkbox", class: "toggle", "aria-label": `Enable ${r.name}`, checked: r.enabled ? "" : null,
          onchange: (e) => attempt(rowError, () => api(`/rules/${r.id}`, { method: "PATCH", body: JSON.stringify({ enabled: e.target.checked }) })) })),
        el("td", {}, el("button", { type: "button", class: "edit", onclick: () => edit(r) }, "Edit"), " ",
          confirmButton("Delete", "delete", () => attempt(rowError, async () => { await api(`/rules/${r.id}`, { method: "DELETE" }); await refresh(); })), rowError));
    }));
  }
  edit(null);
  await refresh();
}

function number(input) { return input.value === "" ? null : Number(input.value); }

// A destructive button asks once more in place (no modal dialog): the first press arms it, the second acts.
function confirmButton(label, className, action) {
  const button = el("button", { type: "button", class: className, onclick: () => {
    if (button.dataset.armed) return action();
    button.dataset.armed = "1";
    button.textContent = `Really ${label.toLowerCase()}?`;
    setTimeout(() => { delete button.dataset.armed; button.textContent = label; }, 4000);
  } }, label);
  return button;
}
