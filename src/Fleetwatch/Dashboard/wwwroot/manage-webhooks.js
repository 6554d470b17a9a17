// The dashboard's webhooks page (admin key): add webhooks, send a test request, see each one's circuit breaker,
// disable or enable it, and read the delivery log with every attempt.
"use strict";

async function showWebhooks() {
  const url = el("input", { id: "webhook-url", type: "url", required: "", placeholder: "https://example.com/hooks/fleetwatch" });
  const secret = el("input", { id: "webhook-secret", type: "password", autocomplete: "off", placeholder: "signs each delivery (optional)" });
  const error = el("p", { class: "error", id: "webhook-error", role: "alert" });
  const form = el("form", { id: "webhook-form", class: "panel", onsubmit: (event) => {
    event.preventDefault();
    attempt(error, async () => {
      await api(`/projects/${projectId()}/webhooks`, { method: "POST", body: JSON.stringify({ url: url.value.trim(), secret: secret.value || null }) });
      form.reset();
      await refresh();
    });
  } },
    el("h3", {}, "Add a webhook"),
    el("p", {}, "Every alert of the project is POSTed to it, retried with backoff until it answers 2xx."),
    el("div", { class: "fields" }, field("URL", url), field("Secret", secret)),
    el("div", { class: "toolbar" }, el("button", { type: "submit", id: "webhook-save" }, "Add webhook")), error);
  const hooks = el("tbody");
  const deliveries = el("tbody");
  const empty = el("p", { class: "empty", id: "webhooks-empty", hidden: "" }, "No webhooks yet: add one above to have alerts sent to another system.");
  main.replaceChildren(el("h2", {}, "Webhooks"), form,
    el("table", { id: "webhook-list" }, el("thead", {}, el("tr", {}, ["URL", "Signed", "Circuit", "State", ""].map((h) => el("th", {}, h)))), hooks), empty,
    el("h3", {}, "Deliveries"),
    el("table", { id: "delivery-list" }, el("thead", {}, el("tr", {}, ["Created", "Alert", "Webhook", "Status", "Attempts", "Last answer", ""].map((h) => el("th", {}, h)))), deliveries));

  async function refresh() {
    const [webhooks, log] = await Promise.all([api(`/projects/${projectId()}/webhooks`), api(`/projects/${projectId()}/webhook-deliveries?limit=50`)]);
    const circuits = await Promise.all(webhooks.map((w) => api(`/webhooks/${w.id}/circuit-status`).catch(() => null)));
    empty.hidden = webhooks.length > 0;
    hooks.replaceChildren(...webhooks.map((w, i) => {
      const result = el("span", { class: "test-result", "aria-live": "polite" });
      const breaker = circuits[i]?.circuit_breaker;
      return el("tr", { "data-webhook": w.id },
        el("td", {}, w.url), el("td", {}, w.signed ? "yes" : "no"),
        el("td", { class: `circuit ${breaker?.state || ""}` }, breaker ? `${breaker.state}${breaker.failures ? ` (${breaker.failures} failures)` : ""}` : "—"),
        el("td", { class: "state" }, w.enabled ? "enabled" : "disabled"),
        el("td", {},
          el("button", { type: "button", class: "test", onclick: () => attempt(result, async () => {
            result.textContent = "Sending…";
            const answer = await api(`/webhooks/${w.id}/test`, { method: "POST", body: "{}" });
            result.textContent = answer.delivered ? `Delivered: ${answer.status_code} in ${answer.latency_ms} ms` : `Not delivered: ${answer.error}`;
            result.className = `test-result ${answer.delivered ? "ok" : "error"}`;
          }) }, "Send test"), " ",
          el("button", { type: "button", class: "toggle", onclick: () => attempt(result, async () => {
            await api(`/webhooks/${w.id}/${w.enabled ? "disable" : "enable"}`, { method: "POST", body: "{}" });
            await refresh();
          }) }, w.enabled ? "Disable" : "Enable"), " ", result));
    }));
    deliveries.replaceChildren(...log.map((d) => {
      const attempts = el("tr", { class: "attempts", hidden: "" });
      const row = el("tr", { "data-delivery": d.id, class: `delivery ${d.status}` },
        el("td", {}, formatTime(d.created_at)), el("td", {}, `#${d.alert_id}`), el("td", {}, `#${d.webhook_id}`),
        el("td", { class: "status" }, d.status), el("td", {}, d.attempts),
        el("td", {}, d.last_status_code ?? d.last_error ?? "—"),
        el("td", {}, el("button", { type: "button", class: "show-attempts", onclick: async () => {
          if (!attempts.hidden) { attempts.hidden = true; return; }
          const list = await api(`/projects/${projectId()}/webhook-deliveries/${d.id}/attempts`);
          attempts.replaceChildren(el("td", { colspan: "7" }, el("ol", {}, list.map((a) =>
            el("li", {}, `${formatTime(a.attempted_at)}: ${a.outcome}${a.status_code ? `, ${a.status_code}` : ""}${a.error ? `, ${a.error}` : ""}` +
              (a.latency_ms !== null ? `, ${a.latency_ms} ms` : ""))))));
          attempts.hidden = false;
        } }, "Attempts")));
      return [row, attempts];
    }).flat());
  }
  await refresh();
}
