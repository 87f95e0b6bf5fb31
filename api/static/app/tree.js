/* Loading a tree (one client's, one channel's or the whole network) into the page's state. */

import { ApiError, call } from "./api.js";
import { status } from "./dom.js";
import { formatNumber, t, tn } from "./i18n.js";
import { WEBGL_FROM, draw, drawLimit, fillCurrencies } from "./draw.js";
import { renderDetails } from "./panels.js";
import { pick, show } from "./session.js";
import { $, $$, state, view } from "./state.js";

const TREES_LISTED = 50; // the most trees the page asks for when the whole network is too big to draw
// A tree too big to draw in SVG (the WebGL size) opens this many levels deep (unless the depth slider
// says otherwise); a click on a node with more below opens as many levels more under it.
export const OPEN_LEVELS = 2;

export function treePath(root) {
  return `/${root.kind === "channel" ? "channels" : "clients"}/${encodeURIComponent(root.id)}`;
}

export async function openTree(root) {
  state.root = root;
  state.selected = null;
  state.openAll = false;
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
  $("#tree-title").textContent = t("Loading {name}…", { name: root.name });
  let tree;
  try {
    tree = root.kind === "network" ? await networkTree() : await openedTree(root);
  } catch (err) {
    if (seq === state.loadSeq) {
      $("#tree-title").textContent = root.name;
      status(err.message, true);
    }
    return;
  }
  if (seq !== state.loadSeq) return; // a newer request won
  // Who is new since the previous day shown of the same tree: ringed while replaying the network's growth.
  // The same day drawn again (the same pick sent twice, a reload) keeps its rings.
  const ids = new Set(tree.nodes.keys());
  const prev = state.drawnIds;
  const sameTree = Boolean(prev) && prev.rootId === root.id;
  const stepped = sameTree && prev.asOf !== state.asOf;
  if (stepped) state.newIds = new Set([...ids].filter((id) => !prev.ids.has(id) && tree.nodes.get(id).kind === "client"));
  else if (sameTree) state.newIds = new Set([...state.newIds].filter((id) => ids.has(id)));
  else state.newIds = new Set();
  const since = stepped ? prev.asOf : sameTree ? prev.since : null;
  state.drawnIds = { rootId: root.id, asOf: state.asOf, ids, since };
  state.tree = tree;
  fillCurrencies(tree.currencies);
  draw(started);
  const kept = state.selected && tree.nodes.get(state.selected.id);
  if (kept) renderDetails(kept);
  else state.selected = null;
  $("#details").hidden = !kept;
}

// A client's or channel's tree as the depth slider cuts it; with the slider at "all", a tree too big to
// draw in SVG opens OPEN_LEVELS deep (`opened`: its nodes with more below open on click, `openBelow`),
// unless "Open every level" was asked for.
async function openedTree(root) {
  if (state.depth !== null || state.openAll) return fetchTree(root);
  const first = await fetchTree(root, false, OPEN_LEVELS);
  if (!first.facts.beyond.clients || first.facts.size < (state.workspace.webgl_from ?? WEBGL_FROM)) {
    return first.facts.beyond.clients ? fetchTree(root) : first;
  }
  first.opened = true;
  return first;
}

// Under `node` of the tree drawn (one opened OPEN_LEVELS deep), OPEN_LEVELS more levels: its downline
// fetched as a tree of its own and grafted in, the view's totals moved from "more below" to "shown".
export async function openBelow(node) {
  const tree = state.tree;
  if (!tree || !tree.opened || !node.beyond || node.opening) return;
  node.opening = true;
  let part;
  try {
    part = await fetchTree({ kind: node.kind, id: node.id, name: node.name }, true, OPEN_LEVELS);
  } catch (err) {
    node.opening = false;
    status(err.message, true);
    return;
  }
  if (state.tree !== tree || !node.beyond) return; // another tree was drawn meanwhile
  const f = tree.facts;
  const below = new Map();
  for (const a of f.beyond.revenue) add(below, a.currency, a.amount_minor);
  for (const a of node.beyond.revenue) add(below, a.currency, -a.amount_minor);
  for (const a of part.facts.beyond.revenue) add(below, a.currency, a.amount_minor);
  f.beyond = { clients: f.beyond.clients - node.beyond.clients + part.facts.beyond.clients, revenue: amountsOf(below) };
  f.shown += part.facts.shown;
  f.dead_ends += part.facts.dead_ends;
  for (const n of part.nodes.values()) {
    if (n === part.root) continue;
    n.level += node.level; // levels below the tree's own root, as the rest of the view
    n.past_credit_depth = n.kind === "client" && n.level > state.creditDepth;
    n.channel = node.channel;
    tree.nodes.set(n.id, n);
  }
  node.children = part.root.children;
  node.beyond = null;
  node.opening = false;
  const reach = [];
  for (const n of tree.nodes.values()) if (n.level > 0) reach[n.level - 1] = (reach[n.level - 1] || 0) + 1;
  f.reach = Array.from(reach, (x) => x || 0);
  tree.currencies = [...new Set([...tree.currencies, ...part.currencies])].sort();
  state.drawnIds = { ...state.drawnIds, ids: new Set(tree.nodes.keys()) };
  fillCurrencies(tree.currencies);
  draw();
}

// `isTop`: the root is known to have no source (a tree of the network), so there is no chain to ask for.
export async function fetchTree(root, isTop = false, depth = state.depth) {
  const path = treePath(root);
  const [body, chain] = await Promise.all([
    call(view(depth === null ? `${path}/tree` : `${path}/tree?depth=${depth}`)),
    root.kind === "client" && !isTop ? call(view(`${path}/chain`)).catch(() => null) : Promise.resolve(null),
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
    beyond: null,
    past_credit_depth: false,
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
      shown: body.shown,
      beyond: body.beyond,
      dead_ends: body.dead_ends,
      reach: body.reach_per_level,
      revenue: body.revenue,
    },
  };
}

export async function networkTree() {
  const summary = await call(view("/network/summary"));
  const limit = drawLimit();
  if (summary.clients + summary.channels > limit) return biggestTrees(summary, limit);
  const resp = await call(view("/network/export?format=json"), { raw: true });
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
      level: n.level, // as in every export: 0 for channels and for clients nobody brought in
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
    level: -1, // the workspace itself, above every level
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
  // Branch totals over the whole network first (post-order, no recursion limit worries), so a cut
  // view shows the same totals as the summary; then the cut: nodes past the depth stay out of the
  // drawing and are summed up on the last level shown.
  const order = [];
  const stack = [root];
  while (stack.length) {
    const n = stack.pop();
    order.push(n);
    for (const c of n.children) stack.push(c);
  }
  let deadEnds = 0;
  for (let i = order.length - 1; i >= 0; i -= 1) {
    const n = order[i];
    const sums = new Map();
    let size = 0;
    for (const a of n.revenue) add(sums, a.currency, a.amount_minor);
    for (const c of n.children) {
      size += 1 + c.branch_size;
      for (const a of c.branch_revenue) add(sums, a.currency, a.amount_minor);
    }
    n.branch_size = size;
    n.branch_revenue = amountsOf(sums);
    n.dead_end = n.kind === "client" && n.referred === 0;
    n.past_credit_depth = n.kind === "client" && n.level > state.creditDepth;
    n.beyond = null;
  }
  const nodes = new Map();
  const beyond = new Map();
  let hidden = 0;
  for (const n of order) {
    if (n.level > (state.depth ?? Infinity)) continue; // under a cut node: summed up there
    nodes.set(n.id, n);
    if (n.dead_end) deadEnds += 1;
    if (state.depth !== null && n.level === state.depth && n.children.length) {
      const own = new Map();
      for (const a of n.branch_revenue) add(own, a.currency, a.amount_minor);
      for (const a of n.revenue) add(own, a.currency, -a.amount_minor);
      n.beyond = { clients: n.branch_size, revenue: amountsOf(own) };
      hidden += n.branch_size;
      for (const a of n.beyond.revenue) add(beyond, a.currency, a.amount_minor);
      n.children = [];
    }
  }
  return {
    root,
    nodes,
    currencies: [...currencies].sort(),
    facts: {
      size: order.filter((n) => n.kind === "client").length, // clients, as the summary counts them
      shown: [...nodes.values()].filter((n) => n.kind === "client").length,
      beyond: { clients: hidden, revenue: amountsOf(beyond) },
      dead_ends: deadEnds,
      reach: null,
      revenue: root.branch_revenue,
    },
  };
}

// A network too big to draw at once: its biggest trees, as many as fit under the page's limit, whole
// (or cut at the slider's depth), with a count of the trees and clients left out.
async function biggestTrees(summary, limit) {
  const listing = await call(view(`/network/trees?limit=${TREES_LISTED}`));
  const chosen = [];
  let planned = 0;
  for (const t of listing.items) {
    if (planned + t.nodes > limit) break;
    chosen.push(t);
    planned += t.nodes;
  }
  if (!chosen.length) {
    const big = listing.items[0];
    throw new ApiError(0, {
      detail: t(
        "the network's biggest tree ({name}, {clients}) is more than the {limit} nodes the page draws at once; pick a client or channel in it",
        { name: big.name, clients: tn("{n} client", "{n} clients", big.clients), limit: formatNumber(limit) },
      ),
    });
  }
  const parts = await Promise.all(chosen.map((t) => fetchTree({ kind: t.kind, id: t.id, name: t.name }, true)));
  const root = {
    id: "(network)",
    kind: "network",
    name: state.workspace.name,
    level: -1,
    status: "",
    referred: 0,
    revenue: [],
    children: [],
    channel: null,
    dead_end: false,
  };
  const nodes = new Map();
  const currencies = new Set();
  const beyond = new Map();
  let shown = 0;
  let hidden = 0;
  let deadEnds = 0;
  const drawnRevenue = new Map();
  for (const part of parts) {
    part.root.parent = root.id;
    root.children.push(part.root);
    for (const [id, n] of part.nodes) nodes.set(id, n);
    for (const c of part.currencies) currencies.add(c);
    const topIsClient = part.root.kind === "client";
    shown += part.facts.shown + (topIsClient ? 1 : 0);
    deadEnds += part.facts.dead_ends + (part.root.dead_end ? 1 : 0);
    hidden += part.facts.beyond.clients;
    for (const a of part.facts.beyond.revenue) add(beyond, a.currency, a.amount_minor);
  }
  for (const t of chosen) for (const a of t.revenue) add(drawnRevenue, a.currency, a.amount_minor);
  const otherRevenue = new Map();
  for (const a of listing.revenue) add(otherRevenue, a.currency, a.amount_minor);
  for (const [c, m] of drawnRevenue) add(otherRevenue, c, -m);
  const treeClients = chosen.reduce((sum, t) => sum + t.clients, 0);
  return {
    root,
    nodes,
    currencies: [...currencies].sort(),
    facts: {
      size: summary.clients,
      shown,
      beyond: { clients: hidden, revenue: amountsOf(beyond) },
      dead_ends: deadEnds,
      reach: null,
      revenue: summary.revenue,
      trees: {
        drawn: chosen.length,
        all: listing.trees,
        clients: treeClients,
        other: {
          trees: listing.trees - chosen.length,
          clients: summary.clients - treeClients,
          revenue: amountsOf(otherRevenue).filter((a) => a.amount_minor !== 0),
        },
      },
    },
  };
}

function add(sums, currency, minor) {
  sums.set(currency, (sums.get(currency) || 0) + minor);
}

function amountsOf(sums) {
  return [...sums]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([currency, minor]) => ({ currency, amount: null, amount_minor: minor }));
}
