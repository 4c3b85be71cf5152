// Ringbook's calls dashboard: signs in through the gateway, then draws the tenant's
// figures from /api/analytics/daily (docs/analytics.md defines each one).
// No inline script and no third-party origin: the page's Content-Security-Policy
// allows scripts from this origin only, and the chart library is served by us.
"use strict";

const TOKEN_KEY = "ringbook.dashboard.token";
const $ = (id) => document.getElementById(id);
const PLOT_CONFIG = { displayModeBar: false, responsive: true };
const BASE_LAYOUT = { margin: { l: 48, r: 16, t: 8, b: 40 }, showlegend: false };

function token() { return sessionStorage.getItem(TOKEN_KEY); }

async function api(path, options = {}) {
  const headers = { Accept: "application/json", ...(options.headers || {}) };
  if (token()) headers.Authorization = `Bearer ${token()}`;
  const response = await fetch(path, { ...options, headers });
  const body = await response.json().catch(() => ({}));
  if (response.status === 401) {
    signOut();
    throw new Error("Please sign in again.");
  }
  if (!response.ok) {
    const message = body.error || body.detail || `HTTP ${response.status}`;
    throw new Error(typeof message === "string" ? message : JSON.stringify(message));
  }
  return body;
}

function show(signedIn) {
  $("sign-in").hidden = signedIn;
  $("dashboard").hidden = !signedIn;
  $("account").hidden = !signedIn;
}

function signOut() {
  sessionStorage.removeItem(TOKEN_KEY);
  document.body.dataset.ready = "false";
  show(false);
}

async function signIn(event) {
  event.preventDefault();
  $("sign-in-error").textContent = "";
  try {
    const body = await api("/api/auth/login", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ email: $("email").value, password: $("password").value }),
    });
    sessionStorage.setItem(TOKEN_KEY, body.token);
    await start();
  } catch (error) {
    $("sign-in-error").textContent = error.message;
  }
}

async function loadClients() {
  const select = $("client-filter");
  const { clients } = await api("/api/clients");
  select.length = 1;  // keep "All clients" only: a second sign-in must not repeat them
  for (const client of clients) {
    const option = document.createElement("option");
    option.value = client.id;
    option.textContent = client.name;  // textContent: a client's name is never HTML
    select.append(option);
  }
}

function percent(value) { return value === null ? "–" : `${value.toFixed(1)} %`; }

function money(value, currency) {
  return new Intl.NumberFormat(undefined, { style: "currency", currency }).format(value);
}

function draw(report) {
  const days = report.data.map((row) => row.date);
  // Every time chart spans the whole window, half a day beyond each end, whatever
  // its data: the charts line up, and a day without calls is seen as one.
  const span = (day, hours) => new Date(Date.parse(`${day}T00:00:00Z`) + hours * 3600e3)
    .toISOString();
  const LAYOUT = { ...BASE_LAYOUT, xaxis: { type: "date",
    range: [span(days[0], -12), span(days[days.length - 1], 12)] } };
  const column = (name) => report.data.map((row) => row[name]);
  const totals = report.totals;
  $("total-calls").textContent = String(totals.calls);
  $("success-rate").textContent = percent(totals.success_rate);
  $("avg-sentiment").textContent = totals.avg_sentiment || "–";
  $("total-cost").textContent = money(totals.cost, report.currency);

  Plotly.react("chart-calls", [{ x: days, y: column("calls"), type: "bar", name: "calls" }],
    LAYOUT, PLOT_CONFIG);
  Plotly.react("chart-success", [{ x: days, y: column("success_rate"), type: "scatter",
    mode: "lines+markers", name: "success rate", connectgaps: false }],
    { ...LAYOUT, yaxis: { range: [0, 100] } }, PLOT_CONFIG);
  // Only the sentiments calls had: plotly would draw (and label) an empty slice too.
  const sentiment = Object.entries(totals.sentiment).filter(([, calls]) => calls > 0);
  Plotly.react("chart-sentiment", [{ type: "pie", hole: 0.4,
    labels: sentiment.map(([label]) => label), values: sentiment.map(([, calls]) => calls) }],
    { margin: { l: 16, r: 16, t: 8, b: 8 } }, PLOT_CONFIG);
  Plotly.react("chart-latency", [
    { x: days, y: column("latency_p50_ms"), type: "scatter", mode: "lines+markers", name: "p50" },
    { x: days, y: column("latency_p95_ms"), type: "scatter", mode: "lines+markers", name: "p95" },
  ], { ...LAYOUT, showlegend: true, legend: { orientation: "h", x: 0, y: 1.12 } },
  PLOT_CONFIG);
  Plotly.react("chart-cost", [{ x: days, y: column("cost"), type: "bar", name: "cost" }],
    { ...LAYOUT, yaxis: { title: { text: report.currency } } }, PLOT_CONFIG);
}

let latestRefresh = 0;

async function refresh() {
  // Filters changed while an answer was on its way: only the newest answer is drawn.
  const mine = ++latestRefresh;
  document.body.dataset.ready = "false";
  $("load-error").textContent = "";
  const query = new URLSearchParams({ days: $("days-filter").value });
  if ($("client-filter").value) query.set("client_id", $("client-filter").value);
  try {
    const report = await api(`/api/analytics/daily?${query}`);
    if (mine !== latestRefresh) return;
    draw(report);
    // What the browser test waits for: every chart drawn from the answer.
    document.body.dataset.ready = "true";
  } catch (error) {
    $("load-error").textContent = error.message;
  }
}

async function start() {
  show(true);
  try {
    await loadClients();
  } catch (error) {
    $("load-error").textContent = error.message;
  }
  await refresh();
}

document.addEventListener("DOMContentLoaded", () => {
  $("sign-in").addEventListener("submit", signIn);
  $("sign-out").addEventListener("click", signOut);
  $("client-filter").addEventListener("change", refresh);
  $("days-filter").addEventListener("change", refresh);
  if (token()) start(); else show(false);
});
