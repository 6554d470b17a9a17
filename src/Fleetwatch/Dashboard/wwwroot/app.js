// Fleetwatch dashboard: a small single-page app over the public API only (the same endpoints any client uses).
// The API key lives in sessionStorage for this tab only: never in a URL (except the stream's ?token=, which
// browsers' WebSocket API needs), never in storage that outlives the session.
"use strict";

const KEY = "fleetwatch.key";
const PROJECT = "fleetwatch.project";
const main = document.getElementById("main");
const PAGE_SIZE = 100;
let me = null;
let stream = null;

function key() { return sessionStorage.getItem(KEY); }

// The project the pages show: the key's own, or — for a server administrator's key — the one picked in the header.
function projectId() { return Number(sessionStorage.getItem(PROJECT)) || me.project_id; }

async function api(path, options = {}) {
  const response = await request(path, options);
  return response.status === 204 ? null : response.json();
}

// The answer of a successful request (for bodies that are not JSON, such as exports); a refusal throws its reasons.
async function request(path, options = {}) {
  const headers = { "X-API-Key": key(), "Content-Type": "application/json", ...(options.headers || {}) };
  if (me?.server_admin) headers["X-Project-Id"] = String(projectId());
  const response = await fetch(path, { ...options, headers });
  if (response.status === 401) throw new Error("This API key was refused.");
  if (!response.ok && response.status !== 204) {
    let detail = response.statusText;
    try {
      const problem = await response.json();
      detail = problem.detail || problem.title || detail;
      // Validation problems name each field and what is wrong with it.
      if (problem.errors) detail = Object.entries(problem.errors).map(([field, reasons]) => `${field}: ${[].concat(reasons).join(", ")}`).join("; ");
    } catch { }
    throw new Error(detail);
  }
  return response;
}

// Saves an answer's body as a file the browser downloads.
async function saveResponse(response, filename) {
  const link = el("a", { href: URL.createObjectURL(await response.blob()), download: filename });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(link.href), 10_000);
}

// Runs an action of a form or button, showing its error next to it instead of failing silently.
async function attempt(errorBox, action) {
  errorBox.textContent = "";
  try { await action(); } catch (error) { errorBox.textContent = error.message; }
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
  for (const link of document.querySelectorAll(".admin-only")) link.hidden = me.role !== "admin";
  await showProjectSwitcher();
  openStream();
  route();
}

// Server administrators see every project: a switcher in the header picks the one every page shows.
async function showProjectSwitcher() {
  const holder = document.getElementById("project-switch");
  holder.replaceChildren();
  if (!me.server_admin) return;
  const projects = [];
  for (const org of await api("/orgs")) {
    for (const project of await api(`/orgs/${org.id}/projects`)) projects.push({ id: project.id, label: `${org.name} / ${project.name}` });
  }
  if (!projects.some((p) => p.id === projectId())) sessionStorage.removeItem(PROJECT);
  const select = el("select", { id: "project", "aria-label": "Project", onchange: (e) => {
    sessionStorage.setItem(PROJECT, e.target.value);
    openStream();
    route();
  } }, projects.map((p) => el("option", { value: p.id, selected: p.id === projectId() ? "" : null }, p.label)));
  holder.append(select);
}

// One project-wide live stream; pages register what they do with each reading.
const listeners = new Set();
function openStream() {
  if (stream) stream.close();
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  const project = me.server_admin ? `&project_id=${projectId()}` : "";
  stream = new WebSocket(`${scheme}://${location.host}/api/v1/stream/all?token=${encodeURIComponent(key())}${project}`);
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
  if (page === "alerts") return showAlerts(id ? decodeURIComponent(id) : "");
  if (page === "rules") return showRules();
  if (page === "devices") return showDevices();
  if (page === "keys") return showKeys();
  if (page === "webhooks") return showWebhooks();
  if (page === "project") return showProject();
  return showFleet();
}

function formatTime(iso) { return iso ? new Date(iso).toLocaleString() : "—"; }

document.getElementById("sign-out").addEventListener("click", () => {
  sessionStorage.removeItem(KEY);
  sessionStorage.removeItem(PROJECT);
  if (stream) stream.close();
  stream = null;
  showSignIn();
});
window.addEventListener("hashchange", () => { if (key() && me) route(); });
start();
