/* The Growth tab: /network/growth drawn — new clients per month by origin, K per month, the cohorts'
   table, root channels' cascade depth and first-year revenue by origin. Definitions: README "How word of
   mouth grows". */

import { ApiError, call } from "./api.js";
import { h, money, status } from "./dom.js";
import { formatMonth, formatNumber, formatPercent, t } from "./i18n.js";
import { word } from "./words.js";
import { $, $$ } from "./state.js";

const ORIGINS = ["people", "channels", "direct"]; // the page's words for them: words.js
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
  const share = (n, all) => (all ? formatPercent(n / all, 0) : "—");
  const n = formatNumber;
  const month = last
    ? h(
        "div",
        { class: "card", id: "growth-this-month" },
        h("h3", {}, t("{month}: where new business came from", { month: formatMonth(last.month) })),
        h(
          "dl",
          {},
          ORIGINS.map((key) => [
            h("dt", {}, word(key)),
            h(
              "dd",
              { dataset: { origin: key } },
              t("{count} new ({share}), revenue {revenue}", {
                count: n(last.by_origin[key]),
                share: share(last.by_origin[key], last.new_clients),
                revenue: money(last.revenue_by_origin[key]),
              }),
            ),
          ]),
        ),
      )
    : null;
  $("#growth-body").replaceChildren(
    ...[
      month,
      h("h3", {}, t("New clients per month, {from} to {to}", { from: formatMonth(g.from), to: formatMonth(g.to) })),
      stacked(g.cohorts),
      h("h3", {}, t("K: clients each month's new clients brought in within {window} months, per client", { window: n(g.window) })),
      kChart(g.cohorts, g.window),
      cohortTable(g.cohorts),
      h("h3", {}, t("Root channels: how far their chains reach")),
      channelTable(g.channels),
      h("h3", {}, t("First-year revenue by origin")),
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
  const chart = svg("svg", { class: "growth-chart", width, height: height + 30, viewBox: `0 0 ${width} ${height + 30}`, role: "img", "aria-label": t("new clients per month by origin") });
  cohorts.forEach((c, i) => {
    const g = svg("g", { class: "month", transform: `translate(${pad + i * bar},0)` });
    g.dataset.month = c.month;
    g.dataset.newClients = String(c.new_clients);
    let y = height;
    for (const key of ORIGINS) {
      const hgt = (c.by_origin[key] / most) * (height - 10);
      y -= hgt;
      g.append(svg("rect", { class: key, x: 1, y: y.toFixed(1), width: Math.max(1, bar - 2).toFixed(1), height: hgt.toFixed(1) }));
    }
    const title = svg("title");
    const origins = ORIGINS.map((k) => `${word(k)} ${formatNumber(c.by_origin[k])}`).join(", ");
    title.textContent = t("{month}: {count} new — {origins}", { month: formatMonth(c.month), count: formatNumber(c.new_clients), origins });
    g.append(title);
    if (i % Math.ceil(cohorts.length / 12) === 0) {
      const label = svg("text", { x: bar / 2, y: height + 14, "text-anchor": "middle" });
      label.textContent = formatMonth(c.month);
      g.append(label);
    }
    chart.append(g);
  });
  const legend = h(
    "p",
    { class: "growth-legend" },
    ORIGINS.map((key) => h("span", {}, h("i", { class: key }), word(key))),
  );
  return h("figure", { class: "growth-figure" }, chart, legend);
}

function kChart(cohorts, window) {
  const width = 760;
  const height = 120;
  const pad = 24;
  const most = Math.max(0.01, ...cohorts.map((c) => c.k));
  const bar = (width - pad) / Math.max(1, cohorts.length);
  const chart = svg("svg", { class: "growth-chart k", width, height: height + 20, viewBox: `0 0 ${width} ${height + 20}`, role: "img", "aria-label": t("viral coefficient per month") });
  cohorts.forEach((c, i) => {
    const hgt = (c.k / most) * (height - 10);
    const rect = svg("rect", { x: pad + i * bar + 1, y: (height - hgt).toFixed(1), width: Math.max(1, bar - 2).toFixed(1), height: hgt.toFixed(1), class: c.window_open ? "open" : "closed" });
    rect.dataset.month = c.month;
    rect.dataset.k = String(c.k);
    const title = svg("title");
    const facts = { month: formatMonth(c.month), k: formatNumber(c.k, 2), brought: formatNumber(c.brought_in), count: formatNumber(c.new_clients) };
    title.textContent = c.window_open
      ? t("{month}: K {k} ({brought} brought in by {count}), window still open", facts)
      : t("{month}: K {k} ({brought} brought in by {count})", facts);
    rect.append(title);
    chart.append(rect);
  });
  const note = cohorts.some((c) => c.window_open)
    ? h(
        "figcaption",
        { class: "muted" },
        t("pale bars: the {window} months of those clients have not all passed yet, K may still grow", { window: formatNumber(window) }),
      )
    : null;
  return h("figure", { class: "growth-figure" }, chart, note);
}

function cohortTable(cohorts) {
  const heads = [t("month"), t("new"), word("people"), word("channels"), word("direct"), "K", t("recommended → paid"), t("days to 1st deal"), t("revenue")];
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
          h("td", {}, formatMonth(c.month)),
          h("td", { class: "num" }, formatNumber(c.new_clients)),
          ORIGINS.map((k) => h("td", { class: "num" }, formatNumber(c.by_origin[k]))),
          h("td", { class: "num" }, `${formatNumber(c.k, 2)}${c.window_open ? "*" : ""}`),
          h(
            "td",
            { class: "num" },
            c.recommended ? `${formatNumber(c.converted)}/${formatNumber(c.recommended)} (${formatPercent(c.conversion, 0)})` : "—",
          ),
          h("td", { class: "num" }, c.median_days_to_first_deal === null ? "—" : formatNumber(c.median_days_to_first_deal)),
          h("td", { class: "num" }, money(c.revenue)),
        ),
      ),
    ),
  );
}

function channelTable(channels) {
  if (!channels.length) return h("p", { class: "muted" }, t("No channels yet."));
  const most = Math.max(1, ...channels.flatMap((c) => c.per_level));
  return h(
    "table",
    { class: "grid growth-channels" },
    h("thead", {}, h("tr", {}, [t("channel"), t("clients"), t("cascade depth"), t("clients per level")].map((t, i) => h("th", { class: i && i < 3 ? "num" : null }, t)))),
    h(
      "tbody",
      {},
      channels.map((ch) =>
        h(
          "tr",
          { dataset: { channel: ch.id } },
          h("td", {}, ch.name),
          h("td", { class: "num" }, formatNumber(ch.clients)),
          h("td", { class: "num" }, formatNumber(ch.depth)),
          h(
            "td",
            { class: "levels" },
            ch.per_level.map((n, i) =>
              h("span", { class: "level-bar", title: `${t("level {level}", { level: i + 1 })}: ${formatNumber(n)}`, style: `height: ${Math.max(2, (n / most) * 24).toFixed(0)}px` }),
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
    h("thead", {}, h("tr", {}, [t("origin"), t("clients"), t("first year ended"), t("first-year revenue"), t("average per client")].map((t, i) => h("th", { class: i ? "num" : null }, t)))),
    h(
      "tbody",
      {},
      origins.map((o) =>
        h(
          "tr",
          { dataset: { origin: o.origin } },
          h("td", {}, word(o.origin)),
          h("td", { class: "num" }, formatNumber(o.clients)),
          h("td", { class: "num" }, formatNumber(o.matured)),
          h("td", { class: "num" }, money(o.first_year)),
          h("td", { class: "num" }, money(o.average)),
        ),
      ),
    ),
  );
}
