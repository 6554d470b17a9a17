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

document.getElementById("sign-out").addEventListener("click", () => {
  sessionStorage.removeItem(KEY);
  if (stream) stream.close();
  stream = null;
  showSignIn();
});
window.addEventListener("hashchange", () => { if (key() && me) route(); });
start();
