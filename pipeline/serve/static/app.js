// vnfacts review page: one key per decision, saved at once (POST, token).
// No inline script anywhere: the Content-Security-Policy allows only this file.
"use strict";

const token = () => document.querySelector('meta[name="csrf-token"]').content;
const HISTORY = "vnfacts-decided";  // keys decided in this tab, for undo

async function post(path, body) {
  const response = await fetch(path, {
    method: "POST", headers: {"Content-Type": "application/json", "X-Token": token()},
    body: JSON.stringify(body),
  });
  const data = await response.json().catch(() => ({error: response.statusText}));
  if (!response.ok) throw new Error(data.error || response.statusText);
  return data;
}

function history() { return JSON.parse(sessionStorage.getItem(HISTORY) || "[]"); }
function remember(key, here) {
  const list = history(); list.push({key, here});
  sessionStorage.setItem(HISTORY, JSON.stringify(list.slice(-500)));
}

function say(text, isError) {
  const box = document.getElementById("message");
  if (box) { box.textContent = text; box.className = isError ? "message warn" : "message"; }
}

async function decide(view, verdict, fields) {
  const key = view.dataset.key;
  try {
    const saved = await post("/api/review", {key, verdict, fields});
    remember(key, view.dataset.here);
    say(saved.verdict);
    window.location.assign(view.dataset.next);
  } catch (error) {
    say(error.message, true);
    const box = document.getElementById("error"); if (box) box.textContent = error.message;
  }
}

async function undo() {
  const list = history();
  const last = list.pop();
  if (!last) { say("nothing to undo in this tab", true); return; }
  try {
    await post("/api/undo", {key: last.key});
    sessionStorage.setItem(HISTORY, JSON.stringify(list));
    window.location.assign(last.here);
  } catch (error) { say(error.message, true); }
}

function editing(on) {
  const form = document.getElementById("edit");
  form.classList.toggle("hidden", !on);
  document.getElementById("fact-fields").classList.toggle("hidden", on);
  if (on) form.querySelector("select, input").focus();
}

function formFields(form) {
  const fields = {};
  for (const element of form.elements) if (element.name) fields[element.name] = element.value;
  return fields;
}

function onKey(view, event) {
  if (event.ctrlKey || event.metaKey || event.altKey) return;
  const target = event.target;
  if (target.closest && target.closest("input, select, textarea, button")) {
    if (event.key === "Escape") { event.preventDefault(); editing(false); }
    return;
  }
  const actions = {
    a: () => decide(view, "accept"), x: () => decide(view, "reject"), e: () => editing(true),
    u: () => undo(), " ": () => window.location.assign(view.dataset.skip),
  };
  const action = actions[event.key];
  if (action) { event.preventDefault(); action(); }
}

function setUp() {
  const view = document.getElementById("review");
  if (!view) {
    // The end of a queue still allows undoing the last decision.
    if (document.getElementById("done")) document.addEventListener("keydown", (e) => { if (e.key === "u") undo(); });
    return;
  }
  document.addEventListener("keydown", (event) => onKey(view, event));
  const form = document.getElementById("edit");
  form.addEventListener("submit", (event) => { event.preventDefault(); decide(view, "correct", formFields(form)); });
  document.getElementById("cancel").addEventListener("click", () => editing(false));
}

document.addEventListener("DOMContentLoaded", setUp);
