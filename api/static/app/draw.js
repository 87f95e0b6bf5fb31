/* Drawing the tree: colours, layout, SVG nodes and links, zoom, the selection, facts and legend. */

import { h, minorIn, money, status } from "./dom.js";
import { formatDate, formatNumber, t, tn } from "./i18n.js";
import { $, $$, CHANNEL_COLOURS, LEVEL_COLOURS, NO_CHANNEL_COLOUR, state } from "./state.js";
import { closeWebgl, drawWebgl, selectWebgl, webglAvailable } from "./webgl.js";

export function fillCurrencies(currencies) {
  const select = $("#currency");
  const previous = state.currency;
  select.replaceChildren(h("option", { value: "" }, t("(equal sizes)")));
  for (const c of currencies) select.append(h("option", { value: c }, c));
  state.currency = currencies.includes(previous) ? previous : currencies[0] || "";
  select.value = state.currency;
}

export function colourOf(node) {
  if (state.colour === "channel") {
    if (node.kind === "channel") return channelColour(node.id);
    return node.channel ? channelColour(node.channel.id) : NO_CHANNEL_COLOUR;
  }
  return LEVEL_COLOURS[Math.max(0, Math.min(node.level, LEVEL_COLOURS.length - 1))];
}

export const channelPalette = new Map();
export function channelColour(id) {
  if (!channelPalette.has(id)) channelPalette.set(id, CHANNEL_COLOURS[channelPalette.size % CHANNEL_COLOURS.length]);
  return channelPalette.get(id);
}

export function positions(tree) {
  const hierarchy = d3.hierarchy(tree.root, (n) => n.children);
  const out = new Map();
  const layout = state.layout === "auto" ? (tree.nodes.size > 400 ? "rings" : "rows") : state.layout;
  state.drawnLayout = layout;
  if (layout === "rings") {
    const height = Math.max(1, hierarchy.height);
    const leaves = hierarchy.leaves().length;
    const radius = Math.max(160 * height, (leaves * 26) / (2 * Math.PI));
    d3
      .tree()
      .size([2 * Math.PI, radius])
      .separation((a, b) => (a.parent === b.parent ? 1 : 2) / Math.max(1, a.depth))(hierarchy);
    hierarchy.each((d) => {
      const angle = d.x - Math.PI / 2;
      out.set(d.data.id, { x: d.y * Math.cos(angle), y: d.y * Math.sin(angle), angle: d.x, radius: d.y });
    });
  } else {
    // Siblings side by side; the rows are spread so a wide tree still fills the view's height.
    const large = tree.nodes.size > LARGE;
    d3.tree().nodeSize([large ? 24 : 96, 1])(hierarchy);
    let x1 = 0;
    let x2 = 0;
    hierarchy.each((d) => {
      x1 = Math.min(x1, d.x);
      x2 = Math.max(x2, d.x);
    });
    const svg = $("#graph");
    const aspect = (svg.clientHeight || 600) / (svg.clientWidth || 800);
    const row = Math.max(110, ((x2 - x1) * aspect) / Math.max(1, hierarchy.height));
    hierarchy.each((d) => out.set(d.data.id, { x: d.x, y: d.depth * row }));
  }
  return out;
}

// Big trees draw lighter: names only near the root and on the selected node (every node keeps a
// tooltip), because thousands of text labels are what make a 5,000-node tree slow to paint.
export const LARGE = 1500;
export const SVG_NS = "http://www.w3.org/2000/svg";

export function svgEl(tag, attrs) {
  const el = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  return el;
}

// Outlines keep their width on screen at any zoom (so a zoomed-out tree of thousands still shows a
// dot per client); in a large tree the outline takes the node's colour for that reason.
export function nodeShape(n, r, colour, large) {
  const common = {
    fill: colour,
    stroke: large ? colour : "#ffffff",
    "stroke-width": large ? 3 : 1.5,
    "vector-effect": "non-scaling-stroke",
  };
  if (n.dead_end) Object.assign(common, { stroke: "#b42318", "stroke-width": 2.5, "stroke-dasharray": "3 2" });
  if (n.status === "inactive") common["fill-opacity"] = 0.45;
  if (n.kind === "channel") {
    return svgEl("rect", { x: -r, y: -r, width: 2 * r, height: 2 * r, rx: 4, class: "shape", ...common });
  }
  if (n.kind === "network") {
    return svgEl("path", { d: `M0,${-r}L${r},0L0,${r}L${-r},0Z`, class: "shape", ...common });
  }
  return svgEl("circle", { r, class: "shape", ...common });
}

export function linkPath(pos, tree) {
  const parts = [];
  const radial = state.drawnLayout === "rings";
  const link = radial
    ? d3.linkRadial().angle((p) => p.angle).radius((p) => p.radius)
    : d3.linkVertical().x((p) => p.x).y((p) => p.y);
  for (const n of tree.nodes.values()) {
    if (n.parent === null || n.parent === undefined) continue;
    parts.push(link({ source: pos.get(n.parent), target: pos.get(n.id) }));
  }
  return parts.join("");
}

// Views of this many nodes or more are drawn in WebGL (webgl.js) when the browser has it: past ~10,000
// SVG elements a view gets slow to draw and to move. Smaller views, and every export, are SVG.
export const WEBGL_FROM = 10000;

// A browser without WebGL draws every view in SVG, which takes seconds past 20,000 nodes and then moves
// slowly: there the whole network is drawn whole up to this many nodes, past it as its biggest trees.
export const SVG_DRAW_LIMIT = 20000;

// How many nodes the whole network may have to be drawn whole: the workspace's draw limit, and no more
// than SVG_DRAW_LIMIT without WebGL.
export function drawLimit() {
  const limit = state.workspace.draw_limit;
  return webglAvailable() ? limit : Math.min(limit, SVG_DRAW_LIMIT);
}

// Each node's radius in the drawing: its branch's revenue in the picked currency, else all equal.
export function radiusOf(tree) {
  if (!state.currency) return () => 10;
  const max = Math.max(1, ...[...tree.nodes.values()].map((n) => minorIn(n.branch_revenue, state.currency)));
  return (n) => 6 + 20 * Math.sqrt(Math.max(0, minorIn(n.branch_revenue, state.currency)) / max);
}

// The drawing of a tree at `pos` as an SVG group (links, then a group per node): what the page shows
// for small views and what every export holds.
export function buildViewport(tree, pos) {
  const large = tree.nodes.size > LARGE;
  const radius = radiusOf(tree);
  const viewport = svgEl("g", { class: "viewport" });
  viewport.append(
    svgEl("path", {
      class: "links",
      d: linkPath(pos, tree),
      fill: "none",
      stroke: "#b8c0cc",
      "stroke-width": 1.2,
      "vector-effect": "non-scaling-stroke",
    }),
  );
  const layer = svgEl("g", { class: "nodes", "font-size": 11, "text-anchor": "middle", fill: "#1d2433" });
  for (const n of tree.nodes.values()) {
    const p = pos.get(n.id);
    const r = radius(n);
    const g = svgEl("g", {
      class: "node",
      transform: `translate(${p.x.toFixed(1)},${p.y.toFixed(1)})`,
      "data-id": n.id,
      "data-level": n.level,
      "data-kind": n.kind,
    });
    if (n.dead_end) g.setAttribute("data-dead-end", "true");
    if (n.past_credit_depth) {
      g.setAttribute("data-past-credit-depth", "true");
      g.setAttribute("opacity", "0.55");
    }
    if (n.beyond) g.setAttribute("data-beyond", String(n.beyond.clients));
    if (state.newIds.has(n.id)) {
      g.classList.add("new");
      g.setAttribute("data-new", "true");
    }
    const title = svgEl("title", {});
    title.textContent = nodeTitle(n);
    g.append(title, nodeShape(n, r, colourOf(n), large));
    if (n.beyond && tree.opened) {
      // more below, opened by a click: a plus on the node
      const plus = svgEl("text", { class: "more", y: 4, "font-weight": "bold", fill: "#ffffff", "pointer-events": "none" });
      plus.textContent = "+";
      g.append(plus);
    }
    if (!large || n.level <= 1) {
      const label = svgEl("text", { y: r + 12, class: "label" });
      label.textContent = n.name;
      g.append(label);
    }
    n.r = r;
    layer.append(g);
  }
  viewport.append(layer);
  return viewport;
}

export function draw(started = performance.now()) {
  const tree = state.tree;
  const svg = $("#graph");
  // the facts first: their lines (and "Open every level") take their room before the drawing is fitted
  writeFacts(tree);
  const pos = positions(tree);
  state.positions = pos;
  if (tree.nodes.size >= (state.workspace.webgl_from ?? WEBGL_FROM) && webglAvailable()) {
    state.renderer = "webgl";
    svg.replaceChildren();
    svg.toggleAttribute("hidden", true); // an SVG element has no `hidden` property, only the attribute
    state.zoom = null;
    drawWebgl([...tree.nodes.values()], pos, colourOf, radiusOf(tree));
    if (state.selected && tree.nodes.has(state.selected.id)) selectWebgl(state.selected.id);
  } else {
    state.renderer = "svg";
    closeWebgl();
    svg.toggleAttribute("hidden", false);
    const viewport = buildViewport(tree, pos);
    svg.replaceChildren(viewport);
    markFlagged();
    setUpZoom(svg, viewport, pos);
    if (state.selected && tree.nodes.has(state.selected.id)) markSelected(state.selected.id);
  }
  requestAnimationFrame(() =>
    setTimeout(() => {
      const ms = Math.round(performance.now() - started);
      svg.dataset.nodes = String(tree.nodes.size);
      svg.dataset.renderMs = String(ms);
      svg.dataset.renderer = state.renderer;
      // a count, so a watcher can tell two draws apart even when they took the same time
      svg.dataset.renders = String(Number(svg.dataset.renders || 0) + 1);
      svg.dataset.depth = state.depth === null ? "all" : String(state.depth);
      svg.dataset.root = tree.root.id;
      status(tn("{n} node drawn in {ms} ms.", "{n} nodes drawn in {ms} ms.", tree.nodes.size, { ms: formatNumber(ms) }));
    }, 0),
  );
  writeLegend(tree);
  $("#tree-title").textContent =
    state.root.kind === "network" ? t("Whole network: {name}", { name: tree.root.name }) : tree.root.name;
  for (const id of ["#export-png", "#export-svg", "#download-graphml", "#download-gexf"]) $(id).disabled = false;
}

export function bounds(pos) {
  let x1 = Infinity;
  let y1 = Infinity;
  let x2 = -Infinity;
  let y2 = -Infinity;
  for (const p of pos.values()) {
    x1 = Math.min(x1, p.x);
    y1 = Math.min(y1, p.y);
    x2 = Math.max(x2, p.x);
    y2 = Math.max(y2, p.y);
  }
  const pad = 40;
  return { x1: x1 - pad, y1: y1 - pad, x2: x2 + pad, y2: y2 + pad + 16 };
}

export function setUpZoom(svg, viewport, pos) {
  const box = bounds(pos);
  const width = svg.clientWidth || 800;
  const height = svg.clientHeight || 600;
  const k = Math.min(2, width / (box.x2 - box.x1), height / (box.y2 - box.y1));
  const zoom = d3
    .zoom()
    .scaleExtent([Math.min(0.02, k / 2), 6])
    .on("zoom", (evt) => viewport.setAttribute("transform", evt.transform.toString()));
  const sel = d3.select(svg);
  sel.call(zoom).on("dblclick.zoom", null);
  const fit = d3.zoomIdentity
    .translate(width / 2, height / 2)
    .scale(k)
    .translate(-(box.x1 + box.x2) / 2, -(box.y1 + box.y2) / 2);
  sel.call(zoom.transform, fit);
  state.zoom = zoom;
}

export function markSelected(id) {
  if (state.renderer === "webgl") {
    selectWebgl(id);
    return null;
  }
  for (const el of $$("#graph g.node.selected")) {
    el.classList.remove("selected");
    const shape = el.querySelector(".shape");
    shape.setAttribute("stroke-width", el.dataset.stroke.split(" ")[1]);
    shape.setAttribute("stroke", el.dataset.stroke.split(" ")[0]);
    if (el.dataset.tempLabel) {
      el.querySelector("text.label").remove();
      delete el.dataset.tempLabel;
    }
  }
  const g = $(`#graph g.node[data-id="${CSS.escape(id)}"]`);
  if (!g) return null;
  g.classList.add("selected");
  const shape = g.querySelector(".shape");
  g.dataset.stroke = `${shape.getAttribute("stroke")} ${shape.getAttribute("stroke-width")}`;
  shape.setAttribute("stroke", "#111111");
  shape.setAttribute("stroke-width", 4);
  if (!g.querySelector("text.label")) {
    const node = state.tree.nodes.get(id);
    const label = svgEl("text", { y: node.r + 12, class: "label", "font-weight": "bold" });
    label.textContent = node.name;
    g.append(label);
    g.dataset.tempLabel = "true";
  }
  g.parentNode.append(g); // on top
  return g;
}

// A flag on every drawn client or channel that an open finding of the Checks tab names; the node's
// tooltip adds the findings.
export function markFlagged() {
  for (const g of $$("#graph g.node")) {
    const flags = state.flagged.get(g.dataset.id);
    const old = g.querySelector("text.flag");
    if (old) old.remove();
    const title = g.querySelector("title");
    if (title.dataset.base === undefined) title.dataset.base = title.textContent;
    title.textContent = title.dataset.base;
    g.toggleAttribute("data-flagged", Boolean(flags));
    if (!flags) continue;
    const node = state.tree && state.tree.nodes.get(g.dataset.id);
    const r = node && node.r ? node.r : 10;
    const flag = svgEl("text", { class: "flag", x: r * 0.75, y: -r * 0.75, "font-size": 13, fill: "#b42318" });
    flag.textContent = "⚠";
    g.append(flag);
    title.textContent += ` · ⚠ ${tn("{n} open finding (Checks)", "{n} open findings (Checks)", flags.length)}: ${flags.join(" ")}`;
  }
  const key = $("#legend .flag-key");
  if (key) key.remove();
  if ($("#graph g.node[data-flagged]")) {
    $("#legend").append(h("span", { class: "flag-key" }, `⚠ ${t("named by an open finding (Checks tab)")}`));
  }
}

function nodeTitle(n) {
  const parts = [n.name, n.level < 0 ? t("workspace") : t("level {level}", { level: n.level })];
  if (n.dead_end) parts.push(t("dead end"));
  if (n.past_credit_depth) parts.push(t("past level {level}: no credit to the top", { level: state.creditDepth }));
  if (n.beyond && state.tree && state.tree.opened) {
    parts.push(tn("{n} more below: a click opens two more levels", "{n} more below: a click opens two more levels", n.beyond.clients));
  } else if (n.beyond) {
    parts.push(tn("{n} more below level {level}", "{n} more below level {level}", n.beyond.clients, { level: state.depth }));
  }
  return parts.join(" · ");
}

export function writeFacts(tree) {
  const f = tree.facts;
  const all = tn("{n} client in all", "{n} clients in all", f.size);
  const asOf = state.asOf ? t("as of {date}", { date: formatDate(state.asOf) }) : "";
  const parts = [asOf ? `${asOf}: ${all}` : all];
  if (f.trees) {
    const tr = f.trees;
    const clients = (n) => tn("{n} client", "{n} clients", n);
    const trees = tn("{n} tree", "{n} trees", tr.all);
    const otherClients = clients(tr.other.clients);
    const rest = tn("the other {n} tree holds {clients}", "the other {n} trees hold {clients}", tr.other.trees, {
      clients: otherClients,
    });
    parts.push(
      t("too many to draw at once: the {drawn} biggest of {all} drawn ({clients}); {rest} ({revenue}): find a client or channel to open one", {
        drawn: formatNumber(tr.drawn),
        all: trees,
        clients: clients(tr.clients),
        rest,
        revenue: money(tr.other.revenue),
      }),
    );
  }
  const cut = Boolean(f.beyond && f.beyond.clients);
  if (cut && tree.opened) {
    parts.push(
      t("{shown} shown; {beyond} more below the levels opened ({revenue}): a click on a node marked + opens two more levels under it", {
        shown: formatNumber(f.shown),
        beyond: formatNumber(f.beyond.clients),
        revenue: money(f.beyond.revenue),
      }),
    );
  } else if (cut) {
    parts.push(
      t("{shown} shown; past level {level}: {beyond} ({revenue})", {
        shown: formatNumber(f.shown),
        level: state.depth,
        beyond: formatNumber(f.beyond.clients),
        revenue: money(f.beyond.revenue),
      }),
    );
  }
  parts.push(cut ? tn("{n} dead end shown", "{n} dead ends shown", f.dead_ends) : tn("{n} dead end", "{n} dead ends", f.dead_ends));
  if (f.reach) parts.push(t("per level: {counts}", { counts: f.reach.map((x) => formatNumber(x)).join(" · ") }));
  if (f.revenue && f.revenue.length) {
    parts.push(t("revenue: {amounts}", { amounts: money(f.revenue) }));
  }
  $("#tree-facts").textContent = parts.join(" — ");
  $("#tree-facts").dataset.revenue = JSON.stringify(f.revenue || []);
  $("#tree-facts").dataset.trees = f.trees ? JSON.stringify(f.trees) : "";
  $("#tree-facts").dataset.shown = String(f.shown);
  $("#tree-facts").dataset.beyond = JSON.stringify(f.beyond || { clients: 0, revenue: [] });
  $("#open-all").hidden = !tree.opened;
}

export function writeLegend(tree) {
  const legend = $("#legend");
  legend.replaceChildren();
  if (state.colour === "level") {
    const levels = [...tree.nodes.values()].map((n) => n.level);
    const maxLevel = Math.max(...levels);
    for (let level = Math.max(0, Math.min(...levels)); level <= maxLevel; level += 1) {
      const label = level === 0 && state.root.kind !== "network" ? t("root") : t("level {level}", { level });
      legend.append(h("span", {}, h("i", { style: `background:${LEVEL_COLOURS[Math.min(level, 7)]}` }), label));
    }
  } else {
    const seen = new Map();
    for (const n of tree.nodes.values()) {
      const ch = n.kind === "channel" ? { id: n.id, name: n.name } : n.channel;
      if (ch && !seen.has(ch.id)) seen.set(ch.id, ch.name);
    }
    for (const [id, name] of seen) legend.append(h("span", {}, h("i", { style: `background:${channelColour(id)}` }), name));
    if ([...tree.nodes.values()].some((n) => n.kind === "client" && !n.channel)) {
      legend.append(h("span", {}, h("i", { style: `background:${NO_CHANNEL_COLOUR}` }), t("no channel within reach")));
    }
  }
  if (state.renderer === "webgl") {
    // WebGL draws plain discs: the rings (dead ends, new clients, findings) are in the SVG export
    legend.append(h("span", { class: "muted" }, t("a big view: dead ends and new clients are ringed in the SVG export")));
  } else legend.append(h("span", { class: "muted" }, t("dashed red ring: dead end")));
  if (state.newIds.size) {
    const count = formatNumber(state.newIds.size);
    const text = state.drawnIds.since
      ? t("green ring: new since the end of {date} ({count})", { date: formatDate(state.drawnIds.since), count })
      : t("green ring: new since today ({count})", { count });
    legend.append(h("span", { class: "new-key" }, text));
  }
  if ([...tree.nodes.values()].some((n) => n.past_credit_depth)) {
    legend.append(h("span", { class: "muted" }, t("faded: past level {level}, earns the top no credit", { level: state.creditDepth })));
  }
}
