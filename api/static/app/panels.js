/* The side panels: a node's details and re-centring, chain, key clients and summary. */

import { call, fetchOrSay } from "./api.js";
import { h, money, status } from "./dom.js";
import { formatDate, formatNumber, formatPercent, t, tn } from "./i18n.js";
import { word } from "./words.js";
import { markSelected } from "./draw.js";
import { prefillDeal, prefillReferral } from "./forms.js";
import { show } from "./session.js";
import { $, state, view } from "./state.js";
import { openBelow, openTree } from "./tree.js";
import { selectWebgl } from "./webgl.js";

export function selectNode(id) {
  const node = state.tree.nodes.get(id);
  if (!node || node.kind === "network") return;
  state.selected = { kind: node.kind, id: node.id, name: node.name };
  markSelected(id);
  if (state.renderer === "webgl") selectWebgl(id, true);
  else {
    const p = state.positions.get(id);
    d3.select("#graph").transition().duration(250).call(state.zoom.translateTo, p.x, p.y);
  }
  renderDetails(node);
  if (node.beyond && state.tree.opened) openBelow(node); // a big tree's node with more below opens on click
}

// Search and focus: of the drawn clients and channels whose name holds `text` (any case), the one named
// exactly so, else the nearest the root (then the first by name) is selected and centred.
export function findInView(text) {
  const wanted = text.trim().toLocaleLowerCase();
  if (!wanted || !state.tree) return null;
  let best = null;
  for (const n of state.tree.nodes.values()) {
    if (n.kind === "network") continue;
    const name = n.name.toLocaleLowerCase();
    if (!name.includes(wanted)) continue;
    const rank = [name === wanted ? 0 : 1, n.level, n.name];
    if (!best || compareRanks(rank, best.rank) < 0) best = { node: n, rank };
  }
  if (!best) {
    status(t("nobody named “{text}” is in this view", { text: text.trim() }), true);
    return null;
  }
  selectNode(best.node.id);
  return best.node.id;
}

function compareRanks(a, b) {
  for (let i = 0; i < a.length; i += 1) {
    if (a[i] < b[i]) return -1;
    if (a[i] > b[i]) return 1;
  }
  return 0;
}

function levelText(node) {
  if (node.level < 0) return t("the workspace");
  if (node.level === 0 && state.root.kind !== "network") return t("root of this view");
  return String(node.level);
}

export function renderDetails(node) {
  const panel = $("#details");
  const rows = [
    [t("kind"), word(node.kind)],
    [t("level"), levelText(node)],
  ];
  if (node.past_credit_depth) {
    rows.push([t("credit"), t("past level {level}: earns the top of the view no credit", { level: state.creditDepth })]);
  }
  if (node.status) rows.push([t("status"), word(node.status)]);
  if (node.referred_on) rows.push([t("recommended on"), formatDate(node.referred_on)]);
  rows.push([t("brought in directly"), formatNumber(node.referred)]);
  rows.push([t("branch size"), formatNumber(node.branch_size)]);
  rows.push([t("own revenue"), money(node.revenue)]);
  rows.push([t("branch revenue"), money(node.branch_revenue)]);
  if (node.beyond) {
    rows.push([
      state.tree.opened ? t("more below") : t("past level {level}", { level: state.depth }),
      `${tn("{n} client", "{n} clients", node.beyond.clients)}, ${node.beyond.revenue.length ? money(node.beyond.revenue) : t("no revenue")}`,
    ]);
  }
  const dl = h("dl", {}, rows.map(([k, v]) => [h("dt", {}, k), h("dd", {}, v)]));
  const chain = h("p", { class: "muted", id: "details-chain" });
  panel.replaceChildren(
    h("h3", {}, node.name, " ", node.dead_end ? h("span", { class: "badge dead" }, t("dead end")) : null),
    dl,
    chain,
    h(
      "div",
      { class: "actions" },
      h("button", { type: "button", id: "details-recentre", onclick: () => recentre(node.id) }, t("Open its tree")),
      node.kind === "client"
        ? h("button", { type: "button", onclick: () => show("chain") }, t("Upstream chain"))
        : null,
      h("button", { type: "button", onclick: () => prefillReferral(node) }, t("Record someone it brought")),
      node.kind === "client" ? h("button", { type: "button", onclick: () => prefillDeal(node) }, t("Add a deal")) : null,
    ),
  );
  panel.hidden = false;
  panel.dataset.id = node.id;
  if (node.kind === "client") {
    call(view(`/clients/${encodeURIComponent(node.id)}/chain`))
      .then((c) => {
        if (panel.dataset.id !== node.id) return;
        chain.textContent = c.steps.length
          ? t("Brought in by {chain}", { chain: `${c.steps.map((s) => s.name).join(" ← ")}${c.truncated ? " ← …" : ""}` })
          : t("Came in directly (no recorded source).");
      })
      .catch(() => {});
  }
}

export function recentre(id) {
  const node = state.tree.nodes.get(id);
  if (!node || node.kind === "network") return;
  openTree({ kind: node.kind, id: node.id, name: node.name });
}

// -- chain, key clients, summary ---------------------------------------------------------

export let chainSeq = 0;

export async function loadChain(clientId) {
  const seq = ++chainSeq;
  const list = $("#chain-list");
  list.replaceChildren();
  let body;
  let client;
  try {
    [body, client] = await Promise.all([
      call(view(`/clients/${encodeURIComponent(clientId)}/chain`)),
      call(`/clients/${encodeURIComponent(clientId)}`),
    ]);
  } catch (err) {
    status(err.message, true);
    return;
  }
  if (seq !== chainSeq) return; // a later pick won
  $("#chain-title").textContent = t("Upstream chain of {name}", { name: client.name });
  list.append(
    h("li", {}, h("span", { class: "level" }, t("client")), h("strong", {}, client.name)),
    ...body.steps.map((s) =>
      h(
        "li",
        {},
        h("span", { class: "level" }, t("level {level}", { level: s.level })),
        h("span", { class: `badge ${s.source_kind}` }, word(s.source_kind)),
        h(
          "button",
          { type: "button", class: "link", onclick: () => openTree({ kind: s.source_kind, id: s.source_id, name: s.name }) },
          s.name,
        ),
        h("span", { class: "muted" }, t("recommended on {date}", { date: formatDate(s.referred_on) })),
      ),
    ),
  );
  if (!body.steps.length) list.append(h("li", { class: "muted" }, t("No recorded source: came in directly.")));
  if (body.truncated && body.top) {
    list.append(
      h(
        "li",
        { class: "muted" },
        tn(
          "The chain goes on above level {depth}: {n} level, up to {name}.",
          "The chain goes on above level {depth}: {n} levels, up to {name}.",
          body.levels,
          { depth: body.depth, name: body.top.name },
        ),
      ),
    );
  }
}

export async function loadKeyClients() {
  const tbody = $("#key-table tbody");
  const currency = state.keyCurrency ? `&currency=${encodeURIComponent(state.keyCurrency)}` : "";
  const body = await fetchOrSay(view(`/network/key-clients?limit=25${currency}`));
  if (!body) return;
  const picker = $("#key-currency");
  picker.replaceChildren(...body.currencies.map((c) => h("option", { value: c }, c)));
  picker.disabled = body.currencies.length < 2;
  if (body.currency) picker.value = body.currency;
  state.keyCurrency = body.currency;
  // Every currency's revenue, the ranking's first (as 0 when none was paid in it).
  const cell = (ranked, all) => {
    const rest = all.filter((a) => a.currency !== body.currency);
    return money(body.currency ? [ranked, ...rest] : rest);
  };
  tbody.replaceChildren(
    ...body.items.map((k, i) =>
      h(
        "tr",
        { dataset: { id: k.client_id } },
        h("td", { class: "num" }, formatNumber(i + 1)),
        h(
          "td",
          {},
          h("button", { type: "button", class: "link", onclick: () => openTree({ kind: "client", id: k.client_id, name: k.name }) }, k.name),
        ),
        h("td", { class: "num" }, formatNumber(k.score, 3)),
        h("td", { class: "num own" }, cell(k.own_revenue, k.own_by_currency)),
        h("td", { class: "num downline" }, cell(k.downline_revenue, k.downline_by_currency)),
        h("td", { class: "num" }, formatNumber(k.reach)),
        h("td", { class: "num" }, formatNumber(k.referred)),
      ),
    ),
  );
  if (!body.items.length) tbody.append(h("tr", {}, h("td", { colspan: 7, class: "muted" }, t("No clients yet."))));
}

export async function loadSummary() {
  const s = await fetchOrSay(view("/network/summary"));
  if (!s) return;
  const pct = (x) => formatPercent(x, 1);
  const n = formatNumber;
  const card = (title, big, rows) =>
    h("div", { class: "card" }, h("h3", {}, title), big !== null ? h("div", { class: "big" }, big) : null,
      rows.length ? h("dl", {}, rows.map(([k, v]) => [h("dt", {}, k), h("dd", {}, v)])) : null);
  $("#summary").replaceChildren(
    card(t("Clients"), n(s.clients), [
      [t("channels"), n(s.channels)],
      [
        t("recommendations"),
        t("{primary} primary, {secondary} secondary", { primary: n(s.primary_referrals), secondary: n(s.secondary_referrals) }),
      ],
    ]),
    card(t("Where clients came from"), null, [
      [t("a recommendation"), `${n(s.from_referral)} (${pct(s.share_from_referral)})`],
      [t("a channel"), `${n(s.from_channel)} (${pct(s.share_from_channel)})`],
      [t("directly"), `${n(s.direct)} (${pct(s.share_direct)})`],
    ]),
    card(t("Chains"), n(s.longest_chain), [
      [t("longest chain (levels)"), n(s.longest_chain)],
      [t("dead ends"), n(s.dead_ends)],
      [t("clients by level"), s.clients_by_level.map((x) => n(x)).join(" · ") || "—"],
    ]),
    card(t("Revenue"), money(s.revenue), []),
    card(
      t("Most prolific referrers"),
      null,
      s.prolific_referrers.map((p) => [p.name, t("{direct} direct, {reach} in reach", { direct: n(p.referred), reach: n(p.reach) })]),
    ),
  );
}
