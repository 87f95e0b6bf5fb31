/* Loading a tree (one client's, one channel's or the whole network) into the page's state. */

import { ApiError, call } from "./api.js";
import { status } from "./dom.js";
import { draw, fillCurrencies } from "./draw.js";
import { renderDetails } from "./panels.js";
import { pick, show } from "./session.js";
import { $, $$, WHOLE_NETWORK_LIMIT, state } from "./state.js";

export function treePath(root) {
  return `/${root.kind === "channel" ? "channels" : "clients"}/${encodeURIComponent(root.id)}`;
}

export async function openTree(root) {
  state.root = root;
  state.selected = null;
  $("#details").hidden = true;
  for (const b of $$("#results button")) b.setAttribute("aria-current", String(b.dataset.id === root.id));
  show("tree");
  await loadTree();
}

export async function loadTree() {
  const root = state.root;
  if (!root) return;
  const seq = ++state.loadSeq;
  const started = performance.now();
  $("#tree-title").textContent = `Loading ${root.name}…`;
  let tree;
  try {
    tree = root.kind === "network" ? await networkTree() : await fetchTree(root);
  } catch (err) {
    if (seq === state.loadSeq) {
      $("#tree-title").textContent = root.name;
      status(err.message, true);
    }
    return;
  }
  if (seq !== state.loadSeq) return; // a newer request won
  state.tree = tree;
  fillCurrencies(tree.currencies);
  draw(started);
  const kept = state.selected && tree.nodes.get(state.selected.id);
  if (kept) renderDetails(kept);
  else state.selected = null;
  $("#details").hidden = !kept;
}

export async function fetchTree(root) {
  const path = treePath(root);
  const [body, chain] = await Promise.all([
    call(`${path}/tree?depth=${state.depth}`),
    root.kind === "client" ? call(`${path}/chain`).catch(() => null) : Promise.resolve(null),
  ]);
  let topChannel = null;
  if (root.kind === "channel") topChannel = { id: root.id, name: body.root.name };
  else if (chain && chain.steps.length) {
    const top = chain.steps[chain.steps.length - 1];
    if (top.source_kind === "channel") topChannel = { id: top.source_id, name: top.name };
  }
  const nodes = new Map();
  const currencies = new Set();
  const rootNode = {
    id: body.root.id,
    kind: body.root.kind,
    name: body.root.name,
    level: 0,
    status: "",
    referred: body.root.referred,
    revenue: body.root.revenue,
    branch_revenue: body.revenue,
    branch_size: body.size,
    dead_end: body.root.kind === "client" && body.root.referred === 0,
    channel: topChannel,
    children: body.children,
  };
  const visit = (n, parent) => {
    n.kind = n.kind || "client";
    n.parent = parent;
    n.channel = topChannel;
    nodes.set(n.id, n);
    for (const a of n.branch_revenue || []) currencies.add(a.currency);
    for (const c of n.children || []) visit(c, n.id);
  };
  visit(rootNode, null);
  return {
    root: rootNode,
    nodes,
    currencies: [...currencies].sort(),
    facts: {
      size: body.size,
      dead_ends: body.dead_ends,
      reach: body.reach_per_level,
      revenue: body.revenue,
    },
  };
}

export async function networkTree() {
  const summary = await call("/network/summary");
  if (summary.clients + summary.channels > WHOLE_NETWORK_LIMIT) {
    throw new ApiError(0, {
      detail: `the workspace has ${summary.clients} clients: too many to draw at once; pick a client or channel`,
    });
  }
  const resp = await call("/network/export?format=json", { raw: true });
  const graph = await resp.json();
  const byId = new Map();
  const currencies = new Set();
  for (const n of graph.nodes) {
    const revenue = [];
    for (const [k, v] of Object.entries(n)) {
      if (k.startsWith("revenue_")) {
        const currency = k.slice(8);
        currencies.add(currency);
        revenue.push({ currency, amount: null, amount_minor: v });
      }
    }
    byId.set(n.id, {
      id: n.id,
      kind: n.kind,
      name: n.name,
      status: n.status,
      level: n.level + 1,
      referred: 0,
      revenue,
      children: [],
      parent: null,
      channel: null,
      channelName: n.channel || "",
    });
  }
  for (const e of graph.edges) {
    if (!e.primary) continue;
    const parent = byId.get(e.source);
    const child = byId.get(e.target);
    parent.children.push(child);
    parent.referred += 1;
    child.parent = parent.id;
    child.referred_on = e.date;
  }
  const channelIds = new Map();
  for (const n of byId.values()) if (n.kind === "channel") channelIds.set(n.name, n.id);
  const root = {
    id: "(network)",
    kind: "network",
    name: state.workspace.name,
    level: 0,
    status: "",
    referred: 0,
    revenue: [],
    children: [],
    channel: null,
    dead_end: false,
  };
  for (const n of byId.values()) {
    n.channel = n.channelName ? { id: channelIds.get(n.channelName), name: n.channelName } : null;
    if (n.parent === null) {
      n.parent = root.id;
      root.children.push(n);
    }
  }
  root.children.sort((a, b) => (a.kind === b.kind ? a.name.localeCompare(b.name) : a.kind === "channel" ? -1 : 1));
  const nodes = new Map();
  let deadEnds = 0;
  // Cut at the depth and sum each branch within it (post-order, no recursion limit worries).
  const order = [];
  const stack = [root];
  while (stack.length) {
    const n = stack.pop();
    order.push(n);
    n.children = n.level >= state.depth + 1 ? [] : n.children;
    for (const c of n.children) stack.push(c);
  }
  for (let i = order.length - 1; i >= 0; i -= 1) {
    const n = order[i];
    const sums = new Map();
    let size = 0;
    for (const a of n.revenue) sums.set(a.currency, (sums.get(a.currency) || 0) + a.amount_minor);
    for (const c of n.children) {
      size += 1 + c.branch_size;
      for (const a of c.branch_revenue) sums.set(a.currency, (sums.get(a.currency) || 0) + a.amount_minor);
    }
    n.branch_size = size;
    n.branch_revenue = [...sums].map(([currency, minor]) => ({ currency, amount: null, amount_minor: minor }));
    n.dead_end = n.kind === "client" && n.referred === 0;
    if (n.dead_end) deadEnds += 1;
    nodes.set(n.id, n);
  }
  return {
    root,
    nodes,
    currencies: [...currencies].sort(),
    facts: { size: nodes.size - 1, dead_ends: deadEnds, reach: null, revenue: root.branch_revenue },
  };
}
