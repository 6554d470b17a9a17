// The dashboard's project page (admin key): how long data is kept, the inactivity timeout, and the project's history
// out (export) and in (import).
"use strict";

async function showProject() {
  const raw = el("input", { id: "retention-raw", type: "number", min: "1", max: "36500" });
  const rollup = el("input", { id: "retention-rollup", type: "number", min: "1", max: "36500" });
  const timeout = el("input", { id: "project-timeout", type: "number", min: "1", max: "86400" });
  const retentionError = el("p", { class: "error", id: "retention-error", role: "alert" });
  const saved = el("span", { id: "retention-saved", "aria-live": "polite" });
  // Empty means the server's default: the field says what that is.
  const days = (input) => (input.value.trim() === "" ? null : Number(input.value));
  const retention = el("form", { id: "retention-form", class: "panel", onsubmit: (event) => {
    event.preventDefault();
    saved.textContent = "";
    attempt(retentionError, async () => {
      await api(`/projects/${projectId()}/retention`, { method: "PATCH", body: JSON.stringify({ raw_days: days(raw), rollup_days: days(rollup) }) });
      await api(`/projects/${projectId()}/connectivity`, { method: "PATCH", body: JSON.stringify({ inactivity_timeout_seconds: days(timeout) }) });
      await load();
      saved.textContent = "Saved.";
    });
  } },
    el("h3", {}, "Keeping data"),
    el("div", { class: "fields" }, field("Raw events, days", raw), field("Hourly rollups, days", rollup), field("Inactive after, seconds", timeout)),
    el("p", { class: "hint" }, "Empty fields use the server's default. Aggregates over a range whose raw events expired come from the rollups while those are kept."),
    el("div", { class: "toolbar" }, el("button", { type: "submit", id: "retention-save" }, "Save"), saved), retentionError);

  const format = el("select", { id: "project-export-format" }, ["csv", "ndjson", "parquet"].map((f) => el("option", { value: f }, f.toUpperCase())));
  const exportError = el("p", { class: "error", id: "project-export-error", role: "alert" });
  const exporter = el("div", { class: "panel" }, el("h3", {}, "Export"),
    el("div", { class: "toolbar" }, el("label", { for: "project-export-format" }, "Every device's history as "), format,
      el("button", { type: "button", id: "project-export", onclick: () => attempt(exportError, async () => {
        const response = await request(`/projects/${projectId()}/export?format=${format.value}`);
        await saveResponse(response, `project-${projectId()}.${format.value}`);
      }) }, "Download")), exportError);

  const file = el("input", { id: "import-file", type: "file", accept: ".csv,.ndjson,.jsonl,.parquet" });
  const importError = el("p", { class: "error", id: "import-error", role: "alert" });
  const report = el("p", { id: "import-report", "aria-live": "polite" });
  const importer = el("form", { id: "import-form", class: "panel", onsubmit: (event) => {
    event.preventDefault();
    report.textContent = "";
    attempt(importError, async () => {
      const chosen = file.files[0];
      if (!chosen) throw new Error("Choose a file first.");
      const type = chosen.name.endsWith(".csv") ? "text/csv" : chosen.name.endsWith(".parquet") ? "application/vnd.apache.parquet" : "application/x-ndjson";
      const result = await api(`/projects/${projectId()}/import`, { method: "POST", body: chosen, headers: { "Content-Type": type } });
      report.textContent = `${result.imported} imported, ${result.duplicates} already stored, ${result.rejected} rejected.`;
      for (const e of result.errors) report.append(el("br"), `line ${e.line}: ${e.field} ${e.reason}`);
    });
  } },
    el("h3", {}, "Import"),
    el("div", { class: "fields" }, field("An export (CSV, NDJSON or Parquet)", file)),
    el("p", { class: "hint" }, "Readings already stored are skipped, so importing a file again is harmless. Imported history raises no alerts."),
    el("div", { class: "toolbar" }, el("button", { type: "submit", id: "import-save" }, "Import")), importError, report);

  main.replaceChildren(el("h2", {}, "Project"), retention, exporter, importer);

  async function load() {
    const [kept, connectivity] = await Promise.all([api(`/projects/${projectId()}/retention`), api(`/projects/${projectId()}/connectivity`)]);
    const show = (input, value, isDefault) => {
      input.value = isDefault ? "" : value;
      input.placeholder = isDefault ? `default: ${value ?? "forever"}` : "";
    };
    show(raw, kept.raw_days, kept.raw_days_is_default);
    show(rollup, kept.rollup_days, kept.rollup_days_is_default);
    show(timeout, connectivity.inactivity_timeout_seconds, connectivity.timeout_is_default);
  }
  await load();
}
