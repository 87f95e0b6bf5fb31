/* The Growth tab: /network/growth drawn — new clients per month by origin, K per month, the cohorts'
   table, root channels' cascade depth and first-year revenue by origin. Definitions: README "How word of
   mouth grows". */

import { ApiError, call } from "./api.js";
import { h, money, status } from "./dom.js";
import { $, $$ } from "./state.js";

const ORIGINS = [
  ["people", "people"],
  ["channels", "channels"],
  ["direct", "direct"],
];
const SVG_NS = "http://www.w3.org/2000/svg";

let seq = 0;
let loaded = false;

function svg(tag, attrs = {}) {
  const el = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  return el;
}

export function wireGrowth() {
  $("#growth-form").addEventListener("submit", (evt) => {
    evt.preventDefault();
    loadGrowth();
  });
  for (const sel of ["#growth-months", "#growth-to", "#growth-window"]) {
    $(sel).addEventListener("change", () => loadGrowth());
  }
}

export function resetGrowth() {
  loaded = false;
  $("#growth-body").replaceChildren();
}

export function showGrowth() {
  if (!loaded) loadGrowth();
}

export async function loadGrowth() {
  const params = new URLSearchParams({ months: $("#growth-months").value, window: $("#growth-window").value });
  if ($("#growth-to").value) params.set("to", $("#growth-to").value);
  $("#growth-error").textContent = "";
  for (const el of $$("#growth-form input")) el.removeAttribute("aria-invalid");
  const mine = ++seq;
  let body;
  try {
    body = await call(`/network/growth?${params}`);
  } catch (err) {
    if (mine !== seq) return;
    if (err instanceof ApiError && err.fields.length) {
      const f = err.fields[0];
      $("#growth-error").textContent = `${f.field}: ${f.reason}`;
      const input = $(`#growth-form [name="${CSS.escape(f.field)}"]`);
      if (input) input.setAttribute("aria-invalid", "true");
    } else status(err.message, true);
    return;
  }
  if (mine !== seq) return;
  loaded = true;
  render(body);
  const el = $("#growth-body");
  el.dataset.loads = String(Number(el.dataset.loads || 0) + 1);
}

function render(g) {
  const last = g.cohorts[g.cohorts.length - 1];
  const share = (n, all) => (all ? `${((n / all) * 100).toFixed(0)} %` : "—");
  const month = last
    ? h(
        "div",
        { class: "card", id: "growth-this-month" },
        h("h3", {}, `${last.month}: where new business came from`),
        h(
          "dl",
          {},
          ORIGINS.map(([key, label]) => [
            h("dt", {}, label),
            h(
              "dd",
              { dataset: { origin: key } },
              `${last.by_origin[key]} new (${share(last.by_origin[key], last.new_clients)}), revenue ${money(last.revenue_by_origin[key])}`,
            ),
          ]),
        ),
      )
    : null;
  $("#growth-body").replaceChildren(
    ...[
      month,
      h("h3", {}, `New clients per month, ${g.from} to ${g.to}`),
      stacked(g.cohorts),
      h("h3", {}, `K: clients each month's new clients brought in within ${g.window} months, per client`),
      kChart(g.cohorts, g.window),
      cohortTable(g.cohorts),
      h("h3", {}, "Root channels: how far their chains reach"),
      channelTable(g.channels),
      h("h3", {}, "First-year revenue by origin"),
      originTable(g.origins),
    ].filter((x) => x !== null),
  );
}

function stacked(cohorts) {
  const width = 760;
  const height = 180;
  const pad = 24;
  const most = Math.max(1, ...cohorts.map((c) => c.new_clients));
  const bar = (width - pad) / Math.max(1, cohorts.length);
  const chart = svg("svg", { class: "growth-chart", width, height: height + 30, viewBox: `0 0 ${width} ${height + 30}`, role: "img", "aria-label": "new clients per month by origin" });
  cohorts.forEach((c, i) => {
    const g = svg("g", { class: "month", transform: `translate(${pad + i * bar},0)` });
    g.dataset.month = c.month;
    g.dataset.newClients = String(c.new_clients);
    let y = height;
    for (const [key] of ORIGINS) {
      const hgt = (c.by_origin[key] / most) * (height - 10);
      y -= hgt;
      g.append(svg("rect", { class: key, x: 1, y: y.toFixed(1), width: Math.max(1, bar - 2).toFixed(1), height: hgt.toFixed(1) }));
    }
    const title = svg("title");
    title.textContent = `${c.month}: ${c.new_clients} new — ${ORIGINS.map(([k, l]) => `${l} ${c.by_origin[k]}`).join(", ")}`;
    g.append(title);
    if (i % Math.ceil(cohorts.length / 12) === 0) {
      const label = svg("text", { x: bar / 2, y: height + 14, "text-anchor": "middle" });
      label.textContent = c.month;
      g.append(label);
    }
    chart.append(g);
  });
  const legend = h(
    "p",
    { class: "growth-legend" },
    ORIGINS.map(([key, label]) => h("span", {}, h("i", { class: key }), label)),
  );
  return h("figure", { class: "growth-figure" }, chart, legend);
}

function kChart(cohorts, window) {
  const width = 760;
  const height = 120;
  const pad = 24;
  const most = Math.max(0.01, ...cohorts.map((c) => c.k));
  const bar = (width - pad) / Math.max(1, cohorts.length);
  const chart = svg("svg", { class: "growth-chart k", width, height: height + 20, viewBox: `0 0 ${width} ${height + 20}`, role: "img", "aria-label": "viral coefficient per month" });
  cohorts.forEach((c, i) => {
    const hgt = (c.k / most) * (height - 10);
    const rect = svg("rect", { x: pad + i * bar + 1, y: (height - hgt).toFixed(1), width: Math.max(1, bar - 2).toFixed(1), height: hgt.toFixed(1), class: c.window_open ? "open" : "closed" });
    rect.dataset.month = c.month;
    rect.dataset.k = String(c.k);
    const title = svg("title");
    title.textContent = `${c.month}: K ${c.k.toFixed(2)} (${c.brought_in} brought in by ${c.new_clients})${c.window_open ? `, window still open` : ""}`;
    rect.append(title);
    chart.append(rect);
  });
  const note = cohorts.some((c) => c.window_open)
    ? h("figcaption", { class: "muted" }, `pale bars: the ${window} months of those clients have not all passed yet, K may still grow`)
    : null;
  return h("figure", { class: "growth-figure" }, chart, note);
}

function cohortTable(cohorts) {
  const heads = ["month", "new", "people", "channels", "direct", "K", "recommended → paid", "days to 1st deal", "revenue"];
  return h(
    "table",
    { class: "grid growth-cohorts" },
    h("thead", {}, h("tr", {}, heads.map((t, i) => h("th", { class: i ? "num" : null }, t)))),
    h(
      "tbody",
      {},
      cohorts.map((c) =>
        h(
          "tr",
          { dataset: { month: c.month } },
          h("td", {}, c.month),
          h("td", { class: "num" }, c.new_clients),
          ORIGINS.map(([k]) => h("td", { class: "num" }, c.by_origin[k])),
          h("td", { class: "num" }, `${c.k.toFixed(2)}${c.window_open ? "*" : ""}`),
          h("td", { class: "num" }, c.recommended ? `${c.converted}/${c.recommended} (${Math.round(c.conversion * 100)} %)` : "—"),
          h("td", { class: "num" }, c.median_days_to_first_deal === null ? "—" : String(c.median_days_to_first_deal)),
          h("td", { class: "num" }, money(c.revenue)),
        ),
      ),
    ),
  );
}

function channelTable(channels) {
  if (!channels.length) return h("p", { class: "muted" }, "No channels yet.");
  const most = Math.max(1, ...channels.flatMap((c) => c.per_level));
  return h(
    "table",
    { class: "grid growth-channels" },
    h("thead", {}, h("tr", {}, ["channel", "clients", "cascade depth", "clients per level"].map((t, i) => h("th", { class: i && i < 3 ? "num" : null }, t)))),
    h(
      "tbody",
      {},
      channels.map((ch) =>
        h(
          "tr",
          { dataset: { channel: ch.id } },
          h("td", {}, ch.name),
          h("td", { class: "num" }, ch.clients),
          h("td", { class: "num" }, ch.depth),
          h(
            "td",
            { class: "levels" },
            ch.per_level.map((n, i) =>
              h("span", { class: "level-bar", title: `level ${i + 1}: ${n}`, style: `height: ${Math.max(2, (n / most) * 24).toFixed(0)}px` }),
            ),
          ),
        ),
      ),
    ),
  );
}

function originTable(origins) {
  return h(
    "table",
    { class: "grid growth-origins" },
    h("thead", {}, h("tr", {}, ["origin", "clients", "first year ended", "first-year revenue", "average per client"].map((t, i) => h("th", { class: i ? "num" : null }, t)))),
    h(
      "tbody",
      {},
      origins.map((o) =>
        h(
          "tr",
          { dataset: { origin: o.origin } },
          h("td", {}, o.origin),
          h("td", { class: "num" }, o.clients),
          h("td", { class: "num" }, o.matured),
          h("td", { class: "num" }, money(o.first_year)),
          h("td", { class: "num" }, money(o.average)),
        ),
      ),
    ),
  );
}
