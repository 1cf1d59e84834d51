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

function showError(form, text) {
  say(text, true);
  const box = form && form.querySelector(".error"); if (box) box.textContent = text;
}

async function decide(view, verdict, fields) {
  const key = view.dataset.key;
  try {
    const saved = await post("/api/review", {key, doc: view.dataset.doc, verdict, fields});
    remember(key, view.dataset.here);
    say(saved.verdict);
    window.location.assign(view.dataset.next);
  } catch (error) { showError(document.getElementById("edit"), error.message); }
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

function show(form, on) {
  if (!form) return;
  form.classList.toggle("hidden", !on);
  const table = document.getElementById("fact-fields");
  if (table) table.classList.toggle("hidden", on && form.id === "edit");
  if (on) form.querySelector("select, input").focus();
}

function formFields(form) {
  const fields = {};
  for (const element of form.elements) if (element.name) fields[element.name] = element.value;
  return fields;
}

// The selected words as offsets into the document's text: each paragraph
// carries its own offset (data-start), the selection's start is counted from there.
function selectionInText() {
  const selection = window.getSelection();
  if (!selection || selection.isCollapsed) return null;
  const range = selection.getRangeAt(0);
  const node = range.startContainer.nodeType === Node.ELEMENT_NODE ? range.startContainer : range.startContainer.parentElement;
  const paragraph = node && node.closest("[data-start]");
  if (!paragraph) return null;
  const before = document.createRange();
  before.setStart(paragraph, 0);
  before.setEnd(range.startContainer, range.startOffset);
  return {doc: paragraph.dataset.doc, start: Number(paragraph.dataset.start) + before.toString().length,
          quote: selection.toString()};
}

let pending = null;  // the selection the add form is about

function startAdding() {
  pending = selectionInText();
  if (!pending) { say("select the words of the missed fact in the text first", true); return; }
  document.getElementById("add-quote").textContent = pending.quote;
  show(document.getElementById("add"), true);
}

async function addFact(form) {
  try {
    const saved = await post("/api/add", {...pending, fields: formFields(form)});
    remember(saved.key, window.location.pathname + window.location.search);
    say("added");
    window.location.reload();
  } catch (error) { showError(form, error.message); }
}

function inForm(event) {
  const target = event.target;
  return target.closest && target.closest("input, select, textarea, button");
}

function onKey(actions, event) {
  if (event.ctrlKey || event.metaKey || event.altKey) return;
  if (inForm(event)) {
    if (event.key === "Escape") { event.preventDefault(); document.querySelectorAll("form").forEach((f) => show(f, false)); }
    return;
  }
  const action = actions[event.key];
  if (action) { event.preventDefault(); action(); }
}

function keysFor(view) {
  const common = {u: () => undo(), n: () => startAdding()};
  if (!view) return common;
  return {...common, a: () => decide(view, "accept"), x: () => decide(view, "reject"),
          e: () => show(document.getElementById("edit"), true),
          " ": () => window.location.assign(view.dataset.skip)};
}

function setUp() {
  const view = document.getElementById("review");
  if (!view && !document.getElementById("done") && !document.getElementById("document")) return;
  const actions = keysFor(view);
  document.addEventListener("keydown", (event) => onKey(actions, event));
  const edit = document.getElementById("edit");
  if (edit) edit.addEventListener("submit", (event) => { event.preventDefault(); decide(view, "correct", formFields(edit)); });
  const add = document.getElementById("add");
  if (add) add.addEventListener("submit", (event) => { event.preventDefault(); addFact(add); });
  document.querySelectorAll("form .cancel").forEach((button) =>
    button.addEventListener("click", () => show(button.closest("form"), false)));
}

document.addEventListener("DOMContentLoaded", setUp);
