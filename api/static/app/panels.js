/* The side panels: a node's details and re-centring, chain, key clients and summary. */

import { call, fetchOrSay } from "./api.js";
import { h, money, status } from "./dom.js";
import { markSelected } from "./draw.js";
import { prefillDeal, prefillReferral } from "./forms.js";
import { show } from "./session.js";
import { $, state, view } from "./state.js";
import { openTree } from "./tree.js";

export function selectNode(id) {
  const node = state.tree.nodes.get(id);
  if (!node || node.kind === "network") return;
  state.selected = { kind: node.kind, id: node.id, name: node.name };
  markSelected(id);
  const p = state.positions.get(id);
  d3.select("#graph").transition().duration(250).call(state.zoom.translateTo, p.x, p.y);
  renderDetails(node);
}

function levelText(node) {
  if (node.level < 0) return "the workspace";
  if (node.level === 0 && state.root.kind !== "network") return "root of this view";
  return String(node.level);
}

export function renderDetails(node) {
  const panel = $("#details");
  const rows = [
    ["kind", node.kind],
    ["level", levelText(node)],
  ];
  if (node.past_credit_depth) rows.push(["credit", `past level ${state.creditDepth}: earns the top of the view no credit`]);
  if (node.status) rows.push(["status", node.status]);
  if (node.referred_on) rows.push(["recommended on", node.referred_on]);
  rows.push(["brought in directly", String(node.referred)]);
  rows.push(["branch size", String(node.branch_size)]);
  rows.push(["own revenue", money(node.revenue)]);
  rows.push(["branch revenue", money(node.branch_revenue)]);
  if (node.beyond) {
    rows.push([`past level ${state.depth}`, `${node.beyond.clients} clients, ${money(node.beyond.revenue) || "no revenue"}`]);
  }
  const dl = h("dl", {}, rows.map(([k, v]) => [h("dt", {}, k), h("dd", {}, v)]));
  const chain = h("p", { class: "muted", id: "details-chain" });
  panel.replaceChildren(
    h("h3", {}, node.name, " ", node.dead_end ? h("span", { class: "badge dead" }, "dead end") : null),
    dl,
    chain,
    h(
      "div",
      { class: "actions" },
      h("button", { type: "button", id: "details-recentre", onclick: () => recentre(node.id) }, "Open its tree"),
      node.kind === "client"
        ? h("button", { type: "button", onclick: () => show("chain") }, "Upstream chain")
        : null,
      h("button", { type: "button", onclick: () => prefillReferral(node) }, "Record someone it brought"),
      node.kind === "client" ? h("button", { type: "button", onclick: () => prefillDeal(node) }, "Add a deal") : null,
    ),
  );
  panel.hidden = false;
  panel.dataset.id = node.id;
  if (node.kind === "client") {
    call(view(`/clients/${encodeURIComponent(node.id)}/chain`))
      .then((c) => {
        if (panel.dataset.id !== node.id) return;
        chain.textContent = c.steps.length
          ? `Brought in by ${c.steps.map((s) => s.name).join(" ← ")}${c.truncated ? " ← …" : ""}`
          : "Came in directly (no recorded source).";
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
  $("#chain-title").textContent = `Upstream chain of ${client.name}`;
  list.append(
    h("li", {}, h("span", { class: "level" }, "client"), h("strong", {}, client.name)),
    ...body.steps.map((s) =>
      h(
        "li",
        {},
        h("span", { class: "level" }, `level ${s.level}`),
        h("span", { class: `badge ${s.source_kind}` }, s.source_kind),
        h(
          "button",
          { type: "button", class: "link", onclick: () => openTree({ kind: s.source_kind, id: s.source_id, name: s.name }) },
          s.name,
        ),
        h("span", { class: "muted" }, `recommended on ${s.referred_on}`),
      ),
    ),
  );
  if (!body.steps.length) list.append(h("li", { class: "muted" }, "No recorded source: came in directly."));
  if (body.truncated && body.top) {
    list.append(
      h("li", { class: "muted" }, `The chain goes on above level ${body.depth}: ${body.levels} levels, up to ${body.top.name}.`),
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
        h("td", { class: "num" }, i + 1),
        h(
          "td",
          {},
          h("button", { type: "button", class: "link", onclick: () => openTree({ kind: "client", id: k.client_id, name: k.name }) }, k.name),
        ),
        h("td", { class: "num" }, k.score.toFixed(3)),
        h("td", { class: "num own" }, cell(k.own_revenue, k.own_by_currency)),
        h("td", { class: "num downline" }, cell(k.downline_revenue, k.downline_by_currency)),
        h("td", { class: "num" }, k.reach),
        h("td", { class: "num" }, k.referred),
      ),
    ),
  );
  if (!body.items.length) tbody.append(h("tr", {}, h("td", { colspan: 7, class: "muted" }, "No clients yet.")));
}

export async function loadSummary() {
  const s = await fetchOrSay(view("/network/summary"));
  if (!s) return;
  const pct = (x) => `${(x * 100).toFixed(1)} %`;
  const card = (title, big, rows) =>
    h("div", { class: "card" }, h("h3", {}, title), big !== null ? h("div", { class: "big" }, big) : null,
      rows.length ? h("dl", {}, rows.map(([k, v]) => [h("dt", {}, k), h("dd", {}, v)])) : null);
  $("#summary").replaceChildren(
    card("Clients", s.clients.toLocaleString(), [
      ["channels", s.channels],
      ["recommendations", `${s.primary_referrals} primary, ${s.secondary_referrals} secondary`],
    ]),
    card("Where clients came from", null, [
      ["a recommendation", `${s.from_referral} (${pct(s.share_from_referral)})`],
      ["a channel", `${s.from_channel} (${pct(s.share_from_channel)})`],
      ["directly", `${s.direct} (${pct(s.share_direct)})`],
    ]),
    card("Chains", String(s.longest_chain), [
      ["longest chain (levels)", s.longest_chain],
      ["dead ends", s.dead_ends],
      ["clients by level", s.clients_by_level.join(" · ") || "—"],
    ]),
    card("Revenue", money(s.revenue), []),
    card(
      "Most prolific referrers",
      null,
      s.prolific_referrers.map((p) => [p.name, `${p.referred} direct, ${p.reach} in reach`]),
    ),
  );
}
