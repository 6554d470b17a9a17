// The dashboard's devices page (admin key): register devices, change their tags and inactivity timeout, delete them.
"use strict";

function tagList(text) { return text.split(",").map((t) => t.trim()).filter((t) => t); }

async function showDevices() {
  const externalId = el("input", { id: "device-external-id", required: "" });
  const name = el("input", { id: "device-name", required: "" });
  const tags = el("input", { id: "device-tags", placeholder: "roof, north" });
  const error = el("p", { class: "error", id: "device-error", role: "alert" });
  const form = el("form", { id: "device-form", class: "panel", onsubmit: (event) => {
    event.preventDefault();
    attempt(error, async () => {
      await api(`/projects/${projectId()}/devices`, { method: "POST",
        body: JSON.stringify({ external_id: externalId.value.trim(), name: name.value.trim() || externalId.value.trim(), tags: tagList(tags.value) }) });
      form.reset();
      await refresh();
    });
  } },
    el("h3", {}, "Register a device"),
    el("div", { class: "fields" }, field("Device id (as it reports)", externalId), field("Name", name), field("Tags, comma-separated", tags)),
    el("div", { class: "toolbar" }, el("button", { type: "submit", id: "device-save" }, "Register")), error);
  const list = el("tbody");
  const empty = el("p", { class: "empty", id: "devices-empty", hidden: "" },
    "No devices yet: register one above, or let devices report — the first status or reading registers them.");
  main.replaceChildren(el("h2", {}, "Devices"), form,
    el("table", { id: "device-list" }, el("thead", {}, el("tr", {}, ["Device", "Tags", "Inactive after (s)", ""].map((h) => el("th", {}, h)))), list), empty);

  async function refresh() {
    const devices = await api(`/projects/${projectId()}/devices`);
    empty.hidden = devices.length > 0;
    // Each device's own timeout, or the project's it falls back to.
    const timeouts = await Promise.all(devices.map((d) => api(`/projects/${projectId()}/devices/${d.id}/connectivity`).catch(() => null)));
    list.replaceChildren(...devices.map((d, i) => {
      const rowError = el("span", { class: "error" });
      const saved = el("span", { class: "saved", "aria-live": "polite" });
      // Saved in place, so the row keeps its focus and what else was being typed.
      const save = (action) => attempt(rowError, async () => { saved.textContent = ""; await action(); saved.textContent = "Saved"; });
      const tagInput = el("input", { class: "tags", value: d.tags.join(", "), "aria-label": `Tags of ${d.external_id}` });
      const timeoutInput = el("input", { class: "timeout", type: "number", min: "1", "aria-label": `Inactivity timeout of ${d.external_id}` });
      const showTimeout = (timeout) => {
        timeoutInput.value = timeout?.timeout_from === "device" ? timeout.inactivity_timeout_seconds : "";
        timeoutInput.placeholder = timeout ? `${timeout.inactivity_timeout_seconds} (${timeout.timeout_from})` : "";
      };
      showTimeout(timeouts[i]);
      return el("tr", { "data-device": d.external_id },
        el("td", {}, el("a", { href: `#/device/${encodeURIComponent(d.external_id)}` }, d.name || d.external_id), el("div", { class: "id" }, d.external_id)),
        el("td", {}, tagInput, " ", el("button", { type: "button", class: "save-tags", onclick: () => save(async () => {
          const changed = await api(`/projects/${projectId()}/devices/${d.id}/tags`, { method: "PATCH", body: JSON.stringify({ tags: tagList(tagInput.value) }) });
          tagInput.value = changed.tags.join(", ");
        }) }, "Save")),
        el("td", {}, timeoutInput, " ", el("button", { type: "button", class: "save-timeout", onclick: () => save(async () => {
          showTimeout(await api(`/projects/${projectId()}/devices/${d.id}/connectivity`, { method: "PATCH",
            body: JSON.stringify({ inactivity_timeout_seconds: timeoutInput.value === "" ? null : Number(timeoutInput.value) }) }));
        }) }, "Save")),
        el("td", {}, confirmButton("Delete", "delete", () => attempt(rowError, async () => {
          await api(`/projects/${projectId()}/devices/${d.id}`, { method: "DELETE" });
          await refresh();
        })), " ", saved, rowError));
    }));
  }
  await refresh();
}
