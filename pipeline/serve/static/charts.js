// vnfacts charts: Plotly, from /charts/NAME.json under the page's filters.
// Strings from the data are escaped first: Plotly renders a few HTML tags in
// names, labels and hover text, and these strings come from scraped pages.
"use strict";

const STATES = ["accept", "correct", "add", "reject", "unreviewed"];
const COLORS = {accept: "#3a9a4a", correct: "#8cc084", add: "#1f5fa8", reject: "#c0392b", unreviewed: "#c8cdd6"};
const esc = (text) => String(text ?? "").replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
const unique = (values) => [...new Set(values)];

function groupBy(rows, key) {
  const groups = new Map();
  for (const row of rows) {
    if (!groups.has(row[key])) groups.set(row[key], []);
    groups.get(row[key]).push(row);
  }
  return groups;
}

function series(rows) {
  const data = [...groupBy(rows, "province")].map(([province, list]) => ({
    type: "scatter", mode: "markers", name: esc(province),
    x: list.map((r) => r.as_of), y: list.map((r) => r.figure),
    text: list.map((r) => esc(`${r.locality || ""}: ${r.quote}`)),
    hovertemplate: "%{x}: %{y}<br>%{text}<extra>%{fullData.name}</extra>",
  }));
  return {data, layout: {height: 420, xaxis: {title: {text: "as_of"}}, yaxis: {title: {text: "figure"}}}};
}

function heat(rows) {
  const provinces = unique(rows.map((r) => r.province)).sort();
  const indicators = unique(rows.map((r) => r.indicator)).sort();
  const count = new Map(rows.map((r) => [`${r.province}\u0000${r.indicator}`, r.facts]));
  const z = provinces.map((p) => indicators.map((i) => count.get(`${p}\u0000${i}`) || 0));
  const data = [{type: "heatmap", x: indicators.map(esc), y: provinces.map(esc), z, colorscale: "YlOrRd",
                 reversescale: true, texttemplate: "%{z}", hovertemplate: "%{y} · %{x}: %{z}<extra></extra>"}];
  return {data, layout: {height: 160 + 24 * provinces.length, margin: {l: 150, b: 170, t: 10}}};
}

function reviewed(rows) {
  const indicators = unique(rows.map((r) => r.indicator)).sort();
  const count = new Map(rows.map((r) => [`${r.indicator}\u0000${r.review}`, r.facts]));
  const data = STATES.filter((s) => rows.some((r) => r.review === s)).map((state) => ({
    type: "bar", name: state, marker: {color: COLORS[state]}, x: indicators.map(esc),
    y: indicators.map((i) => count.get(`${i}\u0000${state}`) || 0),
  }));
  return {data, layout: {height: 380, barmode: "stack", barnorm: "percent", yaxis: {title: {text: "% of facts"}},
                         margin: {b: 170, t: 10}}};
}

const BUILDERS = {series, heat, reviewed};

async function draw(element) {
  const response = await fetch(element.dataset.url, {headers: {Accept: "application/json"}});
  const answer = await response.json();
  const {data, layout} = BUILDERS[element.dataset.chart](answer.rows);
  await Plotly.newPlot(element, data, {margin: {t: 10}, ...layout}, {displaylogo: false, responsive: true});
  element.dataset.rows = String(answer.rows.length);
  element.dataset.facts = String(answer.rows.reduce((sum, r) => sum + (r.facts || 1), 0));
  element.dataset.drawn = "true";
}

document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("[data-chart]").forEach((element) => draw(element).catch((error) => {
    element.textContent = `chart failed: ${error.message}`;
    element.dataset.drawn = "failed";
  }));
  const pick = document.querySelector("form.series-pick select");
  if (pick) pick.addEventListener("change", () => pick.form.submit());
});
