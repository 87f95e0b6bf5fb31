/* The Attribution tab: a month's (or a date range's) credits per source, one block per currency —
   the split between people, channels and direct, a sorted bar chart, the statement's rows — and, on a
   click, one source's deals with its credit per level. The numbers are the API's statement, the one the
   CLI exports; the downloads are that statement's files for the same period and model. */

import { ApiError, call, download } from "./api.js";
import { h, status } from "./dom.js";
import { formatAmount, formatDate, formatMoney, formatMonth, formatNumber, formatPercent, t, tn } from "./i18n.js";
import { word } from "./words.js";
import { $, $$, state } from "./state.js";
import { openTree } from "./tree.js";

const BARS = 20; // bars drawn per currency; the others are counted under the chart
const ROWS = 500; // table rows per currency; the others are counted, and all are in the download
const LINES = 200; // a source's deals listed in its panel; the others are counted
const LEVELS = 7;
// The split of a currency's credit by kind of source ("house": what a commission plan keeps).
const PARTS = [
  ["client", "people"],
  ["channel", "channels"],
  ["direct", "direct"],
  ["house", "house"],
]; // labels: words.js
const SVG_NS = "http://www.w3.org/2000/svg";

let seq = 0;
let sourceSeq = 0;
let shown = null; // {query, body}: what the tab shows, for the downloads and the source panel

export function previousMonth(now = new Date()) {
  const d = new Date(now.getFullYear(), now.getMonth() - 1, 1);
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, "0")}`;
}

// At sign-in: the workspace's models in the picker, last month in the month field.
export function initAttribution() {
  const models = state.workspace.models || [];
  const picker = $("#att-model");
  const previous = picker.value;
  picker.replaceChildren(
    ...models.map((m) => h("option", { value: m.name }, m.commission ? t("{model} (commission plan)", { model: word(m.name) }) : word(m.name))),
  );
  picker.value = models.some((m) => m.name === previous) ? previous : "linear";
  if (!$("#att-month").value) $("#att-month").value = previousMonth();
  shown = null;
  $("#att-body").replaceChildren();
  $("#att-state").replaceChildren();
  $("#att-source").hidden = true;
  for (const b of [$("#att-csv"), $("#att-xlsx")]) b.disabled = true;
}

export function wireAttribution() {
  $("#att-period").addEventListener("change", (evt) => {
    for (const el of $$("#att-form [data-period]")) el.hidden = el.dataset.period !== evt.target.value;
    loadAttribution();
  });
  for (const sel of ["#att-month", "#att-from", "#att-to", "#att-model"]) {
    $(sel).addEventListener("change", () => loadAttribution());
  }
  $("#att-form").addEventListener("submit", (evt) => {
    evt.preventDefault();
    loadAttribution();
  });
  $("#att-csv").addEventListener("click", () => downloadShown("csv"));
  $("#att-xlsx").addEventListener("click", () => downloadShown("xlsx"));
}

// The query of the period and model picked, or a {field, reason} the form shows.
function query() {
  const model = $("#att-model").value;
  if ($("#att-period").value === "month") {
    const month = $("#att-month").value;
    if (!/^\d{4}-\d{2}$/.test(month)) return { field: "month", reason: t("pick a month") };
    return { q: `month=${month}&model=${encodeURIComponent(model)}` };
  }
  const start = $("#att-from").value;
  const end = $("#att-to").value;
  if (!start) return { field: "from", reason: t("pick the first day") };
  if (!end) return { field: "to", reason: t("pick the last day") };
  return { q: `from=${start}&to=${end}&model=${encodeURIComponent(model)}` };
}

function fieldError(field, reason) {
  $("#att-error").textContent = `${field}: ${reason}`;
  for (const el of $$("#att-form input")) el.removeAttribute("aria-invalid");
  const input = $(`#att-form [name="${CSS.escape(field)}"]`);
  if (input) input.setAttribute("aria-invalid", "true");
}

// Opening the tab loads the period picked, once; later picks reload it.
export function showAttribution() {
  if (!shown) loadAttribution();
}

export async function loadAttribution() {
  const asked = query();
  $("#att-error").textContent = "";
  for (const el of $$("#att-form input")) el.removeAttribute("aria-invalid");
  if (!asked.q) {
    fieldError(asked.field, asked.reason);
    return;
  }
  const mine = ++seq;
  let body;
  let months;
  try {
    [body, months] = await Promise.all([call(`/attribution?${asked.q}`), call("/attribution/months")]);
  } catch (err) {
    if (mine !== seq) return;
    if (err instanceof ApiError && err.fields.length) fieldError(err.fields[0].field, err.fields[0].reason);
    else status(err.message, true);
    return;
  }
  if (mine !== seq) return; // a later pick won
  shown = { query: asked.q, body };
  for (const b of [$("#att-csv"), $("#att-xlsx")]) b.disabled = false;
  renderState(body, months.items);
  renderBody(body);
  $("#att-source").hidden = true;
  const el = $("#att-body");
  el.dataset.loads = String(Number(el.dataset.loads || 0) + 1);
}

function periodName(body) {
  return body.month ? formatMonth(body.month) : t("{from} to {to}", { from: formatDate(body.from), to: formatDate(body.to) });
}

function renderState(body, closedMonths) {
  const line = $("#att-state");
  const parts = [];
  if (body.closed) {
    line.dataset.closed = "true";
    const c = closedMonths.find((m) => m.month === body.month);
    const month = formatMonth(body.month);
    parts.push(
      h("span", { class: "badge closed" }, t("closed")),
      " ",
      c
        ? t("{month} is closed (since {date}): its numbers come from its frozen facts and never change.", {
            month,
            date: formatDate(c.closed_at.slice(0, 10)),
          })
        : t("{month} is closed: its numbers come from its frozen facts and never change.", { month }),
      ` ${t("Checksum")} `,
      h("code", { id: "att-checksum" }, body.checksum),
    );
  } else {
    line.dataset.closed = "false";
    const period = periodName(body);
    let text = t("{period} follows the current graph.", { period });
    if (body.closed_months.length) {
      text = t("{period} follows the current graph; the days of {months} come from their frozen facts (closed months).", {
        period,
        months: body.closed_months.map((c) => formatMonth(c.month)).join(", "),
      });
    } else if (body.month) {
      text = t("{period} follows the current graph: close it ({command}) to freeze it.", {
        period,
        command: `referrals attribution close --month ${body.month}`,
      });
    }
    parts.push(h("span", { class: "badge" }, t("open")), " ", text);
  }
  if (closedMonths.length) {
    parts.push(
      h("br"),
      `${t("Closed months:")} `,
      ...closedMonths.flatMap((m, i) => [
        i ? ", " : "",
        h("button", { type: "button", class: "link", dataset: { month: m.month }, onclick: () => pickMonth(m.month) }, formatMonth(m.month)),
      ]),
    );
  }
  line.replaceChildren(...parts);
}

function pickMonth(month) {
  $("#att-period").value = "month";
  for (const el of $$("#att-form [data-period]")) el.hidden = el.dataset.period !== "month";
  $("#att-month").value = month;
  loadAttribution();
}

const pct = (part, whole) => (whole ? formatPercent(part / whole, 1) : "—");

function renderBody(body) {
  const byCurrency = new Map();
  const countOnly = [];
  for (const r of body.rows) {
    if (r.currency === null) countOnly.push(r);
    else {
      if (!byCurrency.has(r.currency)) byCurrency.set(r.currency, []);
      byCurrency.get(r.currency).push(r);
    }
  }
  const blocks = [...byCurrency.keys()].sort().map((cur) => currencyBlock(cur, byCurrency.get(cur)));
  if (!blocks.length) {
    blocks.push(h("p", { class: "muted", id: "att-empty" }, t("No deals in {period}: nothing was credited.", { period: periodName(body) })));
  }
  if (countOnly.length) blocks.push(countOnlyBlock(countOnly));
  $("#att-body").replaceChildren(...blocks);
}

function currencyBlock(currency, rows) {
  const sorted = [...rows].sort((a, b) => b.amount_minor - a.amount_minor || a.source_name.localeCompare(b.source_name));
  const total = sorted.reduce((sum, r) => sum + r.amount_minor, 0);
  const parts = PARTS.map(([type, label]) => ({
    type,
    label: word(label),
    minor: sorted.filter((r) => r.source_type === type).reduce((sum, r) => sum + r.amount_minor, 0),
    sources: sorted.filter((r) => r.source_type === type).length,
  })).filter((p) => p.sources || p.type !== "house");
  return h(
    "section",
    { class: "att-currency", dataset: { currency, totalMinor: String(total) } },
    h("h3", {}, t("{currency}: {total} credited", { currency, total: formatMoney(total, currency) })),
    splitBar(parts, total),
    h(
      "dl",
      { class: "att-split" },
      parts.map((p) => [
        h("dt", {}, p.label),
        h(
          "dd",
          { dataset: { part: p.type, minor: String(p.minor) } },
          `${formatMoney(p.minor, currency)} (${pct(p.minor, total)}), ${tn("{n} source", "{n} sources", p.sources)}`,
        ),
      ]),
    ),
    barChart(sorted, currency),
    sourceTable(sorted, currency),
  );
}

function splitBar(parts, total) {
  const whole = parts.reduce((sum, p) => sum + Math.max(0, p.minor), 0) || 1;
  return h(
    "div",
    { class: "att-splitbar", role: "img", "aria-label": parts.map((p) => `${p.label} ${pct(p.minor, total)}`).join(", ") },
    parts
      .filter((p) => p.minor > 0)
      .map((p) => h("span", { class: `part ${p.type}`, style: `width: ${((p.minor / whole) * 100).toFixed(2)}%` })),
  );
}

// The statement's two rows that are not a source's name: what a commission plan keeps, and deals of
// clients nobody brought in.
function sourceName(name) {
  if (name === "(house)") return t("(house)");
  if (name === "(direct)") return t("(direct)");
  return name;
}

function svg(tag, attrs = {}) {
  const el = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  return el;
}

function shortName(name, room = 30) {
  return name.length > room ? `${name.slice(0, room - 1)}…` : name;
}

// Credit per source, biggest first; a refund's negative credit is drawn in red from the same axis.
function barChart(sorted, currency) {
  const drawn = sorted.slice(0, BARS);
  const width = 720;
  const label = 220;
  const value = 120;
  const row = 22;
  const room = width - label - value;
  const most = Math.max(1, ...drawn.map((r) => Math.abs(r.amount_minor)));
  const chart = svg("svg", {
    class: "att-chart",
    width,
    height: drawn.length * row + 4,
    viewBox: `0 0 ${width} ${drawn.length * row + 4}`,
    role: "img",
    "aria-label": t("credit per source in {currency}", { currency }),
  });
  drawn.forEach((r, i) => {
    const g = svg("g", { class: `bar ${r.source_type}`, transform: `translate(0,${i * row})`, tabindex: 0 });
    g.dataset.source = r.source_id;
    g.dataset.minor = String(r.amount_minor);
    const title = svg("title");
    title.textContent = `${sourceName(r.source_name)} (${word(r.source_type)}): ${formatMoney(r.amount_minor, currency)}`;
    const name = svg("text", { x: label - 8, y: 15, "text-anchor": "end", class: "name" });
    name.textContent = shortName(sourceName(r.source_name));
    const w = Math.max(1, (Math.abs(r.amount_minor) / most) * room);
    const rect = svg("rect", { x: label, y: 3, width: w.toFixed(1), height: row - 6, rx: 2 });
    if (r.amount_minor < 0) rect.classList.add("negative");
    const amount = svg("text", { x: label + w + 6, y: 15, class: "amount" });
    amount.textContent = formatMoney(r.amount_minor, currency);
    g.append(title, name, rect, amount);
    g.addEventListener("click", () => openSource(r));
    g.addEventListener("keydown", (evt) => {
      if (evt.key === "Enter" || evt.key === " ") openSource(r);
    });
    chart.append(g);
  });
  const rest = sorted.slice(BARS);
  const restMinor = rest.reduce((sum, r) => sum + r.amount_minor, 0);
  return h(
    "figure",
    { class: "att-figure" },
    chart,
    rest.length
      ? h(
          "figcaption",
          { class: "muted att-more" },
          tn(
            "and {n} more source with {amount} (in the table below)",
            "and {n} more sources with {amount} (in the table below)",
            rest.length,
            { amount: formatMoney(restMinor, currency) },
          ),
        )
      : null,
  );
}

function levelCells(r) {
  const cells = [];
  for (let n = 1; n <= LEVELS; n += 1) cells.push(h("td", { class: "num" }, formatAmount(r[`level_${n}`])));
  cells.push(h("td", { class: "num" }, formatAmount(r.above_level_7)));
  return cells;
}

function sourceTable(sorted, currency) {
  const listed = sorted.slice(0, ROWS);
  const head = [t("source"), t("kind"), t("credit"), t("deals"), t("new clients (direct)"), t("new clients (chain)")];
  const level = (n) => t("L{level}", { level: n });
  const levels = Array.from({ length: LEVELS }, (_, i) => level(i + 1)).concat([`> ${level(LEVELS)}`]);
  const table = h(
    "table",
    { class: "grid att-rows" },
    h(
      "thead",
      {},
      h(
        "tr",
        {},
        head.map((t, i) => h("th", { class: i >= 2 ? "num" : null }, t)),
        levels.map((t) => h("th", { class: "num" }, t)),
      ),
    ),
    h(
      "tbody",
      {},
      listed.map((r) =>
        h(
          "tr",
          { dataset: { source: r.source_id, currency } },
          h("td", {}, h("button", { type: "button", class: "link", onclick: () => openSource(r) }, sourceName(r.source_name))),
          h("td", {}, word(r.source_type)),
          h("td", { class: "num" }, formatAmount(r.amount)),
          h("td", { class: "num" }, formatNumber(r.deals)),
          h("td", { class: "num" }, formatNumber(r.new_clients_level_1)),
          h("td", { class: "num" }, formatNumber(r.new_clients)),
          levelCells(r),
        ),
      ),
    ),
  );
  const more = sorted.length - listed.length;
  return h(
    "div",
    { class: "att-table" },
    table,
    more
      ? h(
          "p",
          { class: "muted att-more" },
          tn("and {n} more row: download the CSV or XLSX for every row", "and {n} more rows: download the CSV or XLSX for every row", more),
        )
      : null,
  );
}

function countOnlyBlock(rows) {
  return h(
    "section",
    { class: "att-currency att-count-only" },
    h("h3", {}, t("New clients brought in, no credit in this period")),
    h(
      "ul",
      {},
      rows.map((r) =>
        h(
          "li",
          { dataset: { source: r.source_id } },
          h("button", { type: "button", class: "link", onclick: () => openSource(r) }, sourceName(r.source_name)),
          ` (${word(r.source_type)}): `,
          t("{direct} directly, {chain} on their chains", {
            direct: formatNumber(r.new_clients_level_1),
            chain: formatNumber(r.new_clients),
          }),
        ),
      ),
    ),
  );
}

// One source's deals in the period and its credit per level, in the side panel.
export async function openSource(row) {
  if (!shown) return;
  const panel = $("#att-source");
  const mine = ++sourceSeq;
  let body;
  try {
    body = await call(`/attribution/sources/${encodeURIComponent(row.source_id)}?${shown.query}`);
  } catch (err) {
    status(err.message, true);
    return;
  }
  if (mine !== sourceSeq) return;
  const levelLabel = (n) => (n === null ? "—" : String(n));
  const lines = body.lines.slice(0, LINES);
  const parts = [
    h(
      "div",
      { class: "att-source-head" },
      h("h3", {}, sourceName(body.name), " ", h("span", { class: `badge ${body.source_type}` }, word(body.source_type))),
      h("button", { type: "button", class: "link", "aria-label": t("Close"), onclick: () => (panel.hidden = true) }, "×"),
    ),
    h("p", { class: "muted" }, `${periodName(body)}, ${word(body.model)}`),
    h(
      "dl",
      {},
      body.totals.map((x) => [h("dt", {}, t("credit in {currency}", { currency: x.currency })), h("dd", { dataset: { currency: x.currency } }, formatMoney(x.amount_minor, x.currency))]),
    ),
    h("h4", {}, t("Credit per level")),
    h(
      "table",
      { class: "grid att-levels" },
      h("thead", {}, h("tr", {}, h("th", {}, t("level")), h("th", { class: "num" }, t("credit")))),
      h(
        "tbody",
        {},
        body.levels.map((l) =>
          h(
            "tr",
            { dataset: { level: l.level === null ? "" : String(l.level), currency: l.currency } },
            h("td", {}, levelLabel(l.level)),
            h("td", { class: "num" }, formatMoney(l.amount_minor, l.currency)),
          ),
        ),
      ),
    ),
    h("h4", {}, t("Deals ({count})", { count: formatNumber(body.lines.length) })),
    h(
      "table",
      { class: "grid att-lines" },
      h(
        "thead",
        {},
        h(
          "tr",
          {},
          h("th", {}, t("date")),
          h("th", {}, t("payer")),
          h("th", { class: "num" }, t("deal")),
          h("th", { class: "num" }, t("level")),
          h("th", { class: "num" }, t("credit")),
        ),
      ),
      h(
        "tbody",
        {},
        lines.map((x) =>
          h(
            "tr",
            { dataset: { deal: x.deal_id } },
            h("td", {}, formatDate(x.closed_on)),
            h("td", {}, x.payer),
            h("td", { class: "num" }, formatMoney(x.deal_amount_minor, x.currency)),
            h("td", { class: "num" }, levelLabel(x.level)),
            h("td", { class: "num" }, formatMoney(x.credit_minor, x.currency)),
          ),
        ),
      ),
    ),
    body.lines.length > LINES
      ? h(
          "p",
          { class: "muted" },
          tn(
            "and {n} more deal ({command} lists every one)",
            "and {n} more deals ({command} lists every one)",
            body.lines.length - LINES,
            { command: "referrals attribution statement" },
          ),
        )
      : null,
    body.source_type === "client" || body.source_type === "channel"
      ? h(
          "div",
          { class: "actions" },
          h(
            "button",
            { type: "button", onclick: () => openTree({ kind: body.source_type, id: body.source_id, name: body.name }) },
            t("Open its tree"),
          ),
        )
      : null,
  ];
  panel.replaceChildren(...parts.filter((p) => p !== null));
  panel.dataset.source = body.source_id;
  panel.hidden = false;
}

function downloadShown(format) {
  if (!shown) return;
  const name = `attribution-${shown.body.month || `${shown.body.from}_to_${shown.body.to}`}-${shown.body.model}.${format}`;
  download(`/attribution/export?${shown.query}&format=${format}`, name).catch((err) => status(err.message, true));
}
