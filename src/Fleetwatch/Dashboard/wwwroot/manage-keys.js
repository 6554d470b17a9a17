// The dashboard's API keys page (admin key): create a key (shown once, with a copy button), list and revoke keys.
"use strict";

async function showKeys() {
  const name = el("input", { id: "key-name", placeholder: "gateway north" });
  const role = el("select", { id: "key-role" }, [["ingest", "ingest — devices and gateways send data"], ["read", "read — dashboards and reports"],
    ["admin", "admin — manage the project"]].map(([value, label]) => el("option", { value }, label)));
  const error = el("p", { class: "error", id: "key-error", role: "alert" });
  const created = el("div", { id: "key-created", class: "panel secret", hidden: "" });
  const form = el("form", { id: "key-form", class: "panel", onsubmit: (event) => {
    event.preventDefault();
    attempt(error, async () => {
      const key = await api(`/projects/${projectId()}/api-keys`, { method: "POST", body: JSON.stringify({ name: name.value.trim() || null, role: role.value }) });
      showCreated(key);
      form.reset();
      await refresh();
    });
  } },
    el("h3", {}, "Create a key"),
    el("div", { class: "fields" }, field("Name", name), field("Role", role)),
    el("div", { class: "toolbar" }, el("button", { type: "submit", id: "key-save" }, "Create key")), error);

  // The key itself exists only in this answer: the server keeps a hash.
  function showCreated(key) {
    const value = el("code", { id: "new-key" }, key.api_key);
    const copied = el("span", { id: "key-copied", "aria-live": "polite" });
    created.replaceChildren(el("p", {}, `The ${key.role} key “${key.name || key.prefix}” — copy it now, it is not shown again:`), value, " ",
      el("button", { type: "button", id: "copy-key", onclick: async () => {
        try {
          await navigator.clipboard.writeText(key.api_key);
          copied.textContent = "Copied.";
        } catch {
          // No clipboard (plain http, or refused): select the text so Ctrl+C copies it.
          getSelection().selectAllChildren(value);
          copied.textContent = "Selected: press Ctrl+C.";
        }
      } }, "Copy"), " ", copied);
    created.hidden = false;
  }

  const list = el("tbody");
  main.replaceChildren(el("h2", {}, "API keys"), form, created,
    el("table", { id: "key-list" }, el("thead", {}, el("tr", {}, ["Prefix", "Name", "Role", "Created", "Last used", "State", ""].map((h) => el("th", {}, h)))), list));

  async function refresh() {
    const keys = await api(`/projects/${projectId()}/api-keys`);
    list.replaceChildren(...keys.map((k) => {
      const rowError = el("span", { class: "error" });
      const mine = k.prefix === me.key_prefix;
      return el("tr", { "data-key": k.prefix, class: k.revoked_at ? "revoked" : "" },
        el("td", {}, el("code", {}, k.prefix)), el("td", {}, k.name || "—"), el("td", {}, k.role), el("td", {}, formatTime(k.created_at)),
        el("td", {}, formatTime(k.last_used_at)), el("td", { class: "state" }, k.revoked_at ? `revoked ${formatTime(k.revoked_at)}` : "active"),
        el("td", {}, k.revoked_at || mine ? (mine ? "this session's key" : "") : confirmButton("Revoke", "revoke", () => attempt(rowError, async () => {
          await api(`/projects/${projectId()}/api-keys/${k.prefix}`, { method: "DELETE" });
          await refresh();
        })), rowError));
    }));
  }
  await refresh();
}
