/* The referrals network page: plain script, no build step. Talks only to this server's /api/v1. */
"use strict";

(() => {
  const API = "/api/v1";
  const TOKEN_KEY = "referrals.token";
  const WHOLE_NETWORK_LIMIT = 20000; // nodes; past this, pick one client or channel instead
  // Red is kept for dead ends: neither palette uses it.
  const LEVEL_COLOURS = ["#1d2433", "#2f5fd0", "#1a9e77", "#e6a100", "#7b4fd0", "#1b8aa8", "#c26b00", "#6d8f00"];
  const CHANNEL_COLOURS = ["#2f5fd0", "#1a9e77", "#e6a100", "#7b4fd0", "#1b8aa8", "#6d8f00", "#c26b00", "#8c564b"];
  const NO_CHANNEL_COLOUR = "#8a93a3";

  const $ = (sel, root = document) => root.querySelector(sel);
  const $$ = (sel, root = document) => Array.from(root.querySelectorAll(sel));

  const state = {
    token: null,
    workspace: null,
    view: "tree",
    root: null, // {kind: "client"|"channel"|"network", id, name}
    depth: 1, // set from the server at sign-in
    layout: "auto",
    colour: "level",
    currency: "",
    tree: null, // {root, nodes: Map(id -> node), currencies: [...], topChannel}
    selected: null,
    positions: null,
    zoom: null,
    channels: [],
    known: new Map(), // "Name (id)" -> {kind, id}
    loadSeq: 0,
  };

  // -- small DOM helpers -------------------------------------------------------------------

  function h(tag, attrs = {}, ...children) {
    const el = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs)) {
      if (v === null || v === undefined || v === false) continue;
      if (k === "class") el.className = v;
      else if (k === "style") el.style.cssText = v; // through the CSSOM: allowed by the page's strict CSP
      else if (k === "dataset") Object.assign(el.dataset, v);
      else if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
      else el.setAttribute(k, v === true ? "" : String(v));
    }
    for (const c of children.flat(Infinity)) {
      if (c === null || c === undefined || c === false) continue;
      el.append(c instanceof Node ? c : document.createTextNode(String(c)));
    }
    return el;
  }

  function status(text, isError = false) {
    const el = $("#status");
    el.textContent = text;
    el.classList.toggle("error", isError);
  }

  // Minor units as an exact decimal string; the currency's digits come from the browser's ISO 4217 table.
  function formatMinor(minor, currency) {
    let digits = 2;
    try {
      digits = new Intl.NumberFormat("en", { style: "currency", currency }).resolvedOptions().maximumFractionDigits;
    } catch (err) {
      digits = 2;
    }
    const negative = minor < 0;
    const text = String(Math.abs(minor)).padStart(digits + 1, "0");
    const whole = digits ? text.slice(0, -digits) : text;
    return `${negative ? "-" : ""}${whole}${digits ? `.${text.slice(-digits)}` : ""}`;
  }

  function money(list) {
    if (!list || !list.length) return "—";
    return list.map((a) => `${a.amount ?? formatMinor(a.amount_minor, a.currency)} ${a.currency}`).join(" · ");
  }

  function minorIn(list, currency) {
    const hit = (list || []).find((a) => a.currency === currency);
    return hit ? hit.amount_minor : 0;
  }

  function today() {
    const d = new Date();
    const pad = (n) => String(n).padStart(2, "0");
    return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
  }

  function randomKey() {
    const bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  }

  function saveBlob(blob, filename) {
    const url = URL.createObjectURL(blob);
    const a = h("a", { href: url, download: filename });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 5000);
  }

  function slug(text) {
    return (
      String(text)
        .toLowerCase()
        .replace(/[^a-z0-9]+/g, "-")
        .replace(/^-|-$/g, "") || "tree"
    );
  }

  // -- the API -----------------------------------------------------------------------------

  class ApiError extends Error {
    constructor(status, body) {
      super((body && (body.detail || body.title)) || `the server answered ${status}`);
      this.status = status;
      this.fields = (body && body.errors) || [];
    }
  }

  async function call(path, { method = "GET", body, raw = false, token = state.token } = {}) {
    const headers = { Authorization: `Bearer ${token}`, Accept: "application/json" };
    if (body !== undefined) {
      headers["Content-Type"] = "application/json";
      headers["Idempotency-Key"] = randomKey();
    }
    let resp;
    try {
      resp = await fetch(API + path, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        cache: "no-store",
      });
    } catch (err) {
      throw new ApiError(0, { detail: "the server cannot be reached" });
    }
    if (!resp.ok) {
      let problem = null;
      try {
        problem = await resp.json();
      } catch (err) {
        problem = null;
      }
      const error = new ApiError(resp.status, problem);
      if (resp.status === 401 && token === state.token && state.token) signOut(error.message);
      throw error;
    }
    if (raw) return resp;
    if (resp.status === 204) return null;
    return resp.json();
  }

  // A read for a view: its body, or null after saying what went wrong in the status line.
  async function fetchOrSay(path) {
    try {
      return await call(path);
    } catch (err) {
      status(err.message, true);
      return null;
    }
  }

  async function download(path, fallbackName) {
    const resp = await call(path, { raw: true });
    const disposition = resp.headers.get("Content-Disposition") || "";
    const match = disposition.match(/filename="([^"]+)"/);
    saveBlob(await resp.blob(), match ? match[1] : fallbackName);
  }

  // -- sign in -----------------------------------------------------------------------------

  function tokenFromLink() {
    const match = location.hash.match(/(?:^#|&)token=([^&]+)/);
    if (!match) return null;
    history.replaceState(null, "", location.pathname + location.search); // keep it out of history
    return decodeURIComponent(match[1]);
  }

  async function signIn(token) {
    const ws = await call("/workspace", { token });
    state.token = token;
    state.workspace = ws;
    sessionStorage.setItem(TOKEN_KEY, token);
    $("#sign-in").hidden = true;
    $("#app").hidden = false;
    $("#tabs").hidden = false;
    $("#sign-out").hidden = false;
    $("#workspace-name").textContent = `${ws.name} · ${ws.role || ""}`.replace(/ · $/, "");
    // The view depth runs up to the server's own cap (REFERRALS_MAX_DEPTH) and starts at its default.
    const slider = $("#depth");
    slider.max = String(ws.max_depth);
    slider.value = String(ws.default_depth);
    state.depth = ws.default_depth;
    $("#depth-value").textContent = String(ws.default_depth);
    status(`Signed in to ${ws.name}.`);
    await loadChannels();
    search("");
  }

  function signOut(message = "") {
    sessionStorage.removeItem(TOKEN_KEY);
    state.token = null;
    $("#graph").replaceChildren();
    state.tree = null;
    $("#app").hidden = true;
    $("#tabs").hidden = true;
    $("#sign-out").hidden = true;
    $("#workspace-name").textContent = "";
    $("#sign-in").hidden = false;
    $("#sign-in-error").textContent = message;
    $("#token-input").value = "";
    $("#token-input").focus();
  }

  // -- views -------------------------------------------------------------------------------

  function show(view) {
    state.view = view;
    for (const b of $$("#tabs button")) b.setAttribute("aria-pressed", String(b.dataset.view === view));
    for (const s of $$("main .view")) s.hidden = s.dataset.view !== view;
    if (view === "key") loadKeyClients();
    if (view === "summary") loadSummary();
    if (view === "chain") {
      const target = [state.selected, state.root].find((x) => x && x.kind === "client");
      if (target) loadChain(target.id);
    }
  }

  // -- search list -------------------------------------------------------------------------

  async function loadChannels() {
    const all = [];
    let after = null;
    do {
      const page = await call(`/channels?limit=500${after ? `&after=${encodeURIComponent(after)}` : ""}`);
      all.push(...page.items);
      after = page.next_after;
    } while (after);
    state.channels = all;
    for (const ch of all) remember("channel", ch);
    fillOptions();
  }

  function remember(kind, item) {
    state.known.set(`${item.name} (${item.id})`, { kind, id: item.id, name: item.name });
  }

  function fillOptions() {
    const clients = $("#client-options");
    const sources = $("#source-options");
    clients.replaceChildren();
    sources.replaceChildren();
    const kind = $("#form-referral [name=source_kind]").value;
    for (const [label, item] of state.known) {
      if (item.kind === "client") clients.append(h("option", { value: label }));
      if (item.kind === kind) sources.append(h("option", { value: label }));
    }
  }

  let searchTimer = null;
  let searchSeq = 0;

  function search(text) {
    clearTimeout(searchTimer);
    searchTimer = setTimeout(() => runSearch(text.trim()), 150);
  }

  async function runSearch(text) {
    const seq = ++searchSeq;
    const q = text ? `&q=${encodeURIComponent(text)}` : "";
    let page;
    try {
      page = await call(`/clients?limit=50${q}`);
    } catch (err) {
      status(err.message, true);
      return;
    }
    if (seq !== searchSeq) return;
    const needle = text.toLowerCase();
    const channels = state.channels.filter((c) => !needle || c.name.toLowerCase().includes(needle));
    const list = $("#results");
    list.replaceChildren();
    for (const ch of channels) {
      list.append(resultItem("channel", ch, ch.kind));
    }
    for (const cl of page.items) {
      remember("client", cl);
      list.append(resultItem("client", cl, cl.email || ""));
    }
    if (!list.children.length) list.append(h("li", { class: "muted" }, "Nothing matches."));
    fillOptions();
  }

  // A pick in the list shows that client's chain while the chain view is open, else its tree.
  function pick(item) {
    if (state.view === "chain" && item.kind === "client") {
      state.selected = item;
      loadChain(item.id);
    } else {
      openTree(item);
    }
  }

  function resultItem(kind, item, extra) {
    const current = state.root && state.root.id === item.id;
    return h(
      "li",
      {},
      h(
        "button",
        {
          type: "button",
          dataset: { kind, id: item.id },
          "aria-current": current ? "true" : null,
          onclick: () => pick({ kind, id: item.id, name: item.name }),
        },
        h("span", { class: `badge ${kind}` }, kind),
        h("span", {}, item.name),
        extra ? h("span", { class: "email" }, extra) : null,
      ),
    );
  }

  // -- the tree ----------------------------------------------------------------------------

  function treePath(root) {
    return `/${root.kind === "channel" ? "channels" : "clients"}/${encodeURIComponent(root.id)}`;
  }

  async function openTree(root) {
    state.root = root;
    state.selected = null;
    $("#details").hidden = true;
    for (const b of $$("#results button")) b.setAttribute("aria-current", String(b.dataset.id === root.id));
    show("tree");
    await loadTree();
  }

  async function loadTree() {
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

  async function fetchTree(root) {
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

  async function networkTree() {
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

  function fillCurrencies(currencies) {
    const select = $("#currency");
    const previous = state.currency;
    select.replaceChildren(h("option", { value: "" }, "(equal sizes)"));
    for (const c of currencies) select.append(h("option", { value: c }, c));
    state.currency = currencies.includes(previous) ? previous : currencies[0] || "";
    select.value = state.currency;
  }

  function colourOf(node) {
    if (state.colour === "channel") {
      if (node.kind === "channel") return channelColour(node.id);
      return node.channel ? channelColour(node.channel.id) : NO_CHANNEL_COLOUR;
    }
    return LEVEL_COLOURS[Math.min(node.level, LEVEL_COLOURS.length - 1)];
  }

  const channelPalette = new Map();
  function channelColour(id) {
    if (!channelPalette.has(id)) channelPalette.set(id, CHANNEL_COLOURS[channelPalette.size % CHANNEL_COLOURS.length]);
    return channelPalette.get(id);
  }

  function positions(tree) {
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
  const LARGE = 1500;
  const SVG_NS = "http://www.w3.org/2000/svg";

  function svgEl(tag, attrs) {
    const el = document.createElementNS(SVG_NS, tag);
    for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
    return el;
  }

  // Outlines keep their width on screen at any zoom (so a zoomed-out tree of thousands still shows a
  // dot per client); in a large tree the outline takes the node's colour for that reason.
  function nodeShape(n, r, colour, large) {
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

  function linkPath(pos, tree) {
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

  function draw(started = performance.now()) {
    const tree = state.tree;
    const svg = $("#graph");
    const pos = positions(tree);
    const large = tree.nodes.size > LARGE;
    const max = state.currency
      ? Math.max(1, ...[...tree.nodes.values()].map((n) => minorIn(n.branch_revenue, state.currency)))
      : 1;
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
      const value = state.currency ? Math.max(0, minorIn(n.branch_revenue, state.currency)) : 0;
      const r = state.currency ? 6 + 20 * Math.sqrt(value / max) : 10;
      const g = svgEl("g", {
        class: "node",
        transform: `translate(${p.x.toFixed(1)},${p.y.toFixed(1)})`,
        "data-id": n.id,
        "data-level": n.level,
        "data-kind": n.kind,
      });
      if (n.dead_end) g.setAttribute("data-dead-end", "true");
      const title = svgEl("title", {});
      title.textContent = `${n.name} · level ${n.level}${n.dead_end ? " · dead end" : ""}`;
      g.append(title, nodeShape(n, r, colourOf(n), large));
      if (!large || n.level <= 1) {
        const label = svgEl("text", { y: r + 12, class: "label" });
        label.textContent = n.name;
        g.append(label);
      }
      n.r = r;
      layer.append(g);
    }
    viewport.append(layer);
    svg.replaceChildren(viewport);
    state.positions = pos;
    setUpZoom(svg, viewport, pos);
    if (state.selected && tree.nodes.has(state.selected.id)) markSelected(state.selected.id);
    requestAnimationFrame(() =>
      setTimeout(() => {
        const ms = Math.round(performance.now() - started);
        svg.dataset.nodes = String(tree.nodes.size);
        svg.dataset.renderMs = String(ms);
        // a count, so a watcher can tell two draws apart even when they took the same time
        svg.dataset.renders = String(Number(svg.dataset.renders || 0) + 1);
        svg.dataset.depth = String(state.depth);
        svg.dataset.root = tree.root.id;
        status(`${tree.nodes.size.toLocaleString()} nodes drawn in ${ms} ms.`);
      }, 0),
    );
    writeFacts(tree);
    writeLegend(tree);
    $("#tree-title").textContent =
      state.root.kind === "network" ? `Whole network: ${tree.root.name}` : tree.root.name;
    for (const id of ["#export-png", "#export-svg", "#download-graphml", "#download-gexf"]) $(id).disabled = false;
  }

  function bounds(pos) {
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

  function setUpZoom(svg, viewport, pos) {
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

  function markSelected(id) {
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

  function writeFacts(tree) {
    const f = tree.facts;
    const parts = [
      `${f.size.toLocaleString()} brought in within ${state.depth} level${state.depth === 1 ? "" : "s"}`,
      `${f.dead_ends.toLocaleString()} dead ends`,
    ];
    if (f.reach) parts.push(`per level: ${f.reach.join(" · ")}`);
    if (f.revenue && f.revenue.length) {
      parts.push(`revenue: ${money(f.revenue)}`);
    }
    $("#tree-facts").textContent = parts.join(" — ");
  }

  function writeLegend(tree) {
    const legend = $("#legend");
    legend.replaceChildren();
    if (state.colour === "level") {
      const maxLevel = Math.max(...[...tree.nodes.values()].map((n) => n.level));
      for (let level = 0; level <= maxLevel; level += 1) {
        const label = level === 0 ? "root" : `level ${level}`;
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
        legend.append(h("span", {}, h("i", { style: `background:${NO_CHANNEL_COLOUR}` }), "no channel within reach"));
      }
    }
    legend.append(h("span", { class: "muted" }, "dashed red ring: dead end"));
  }

  // -- details and re-centring -------------------------------------------------------------

  function selectNode(id) {
    const node = state.tree.nodes.get(id);
    if (!node || node.kind === "network") return;
    state.selected = { kind: node.kind, id: node.id, name: node.name };
    markSelected(id);
    const p = state.positions.get(id);
    d3.select("#graph").transition().duration(250).call(state.zoom.translateTo, p.x, p.y);
    renderDetails(node);
  }

  function renderDetails(node) {
    const panel = $("#details");
    const rows = [
      ["kind", node.kind],
      ["level", node.level === 0 ? "root of this view" : String(node.level)],
    ];
    if (node.status) rows.push(["status", node.status]);
    if (node.referred_on) rows.push(["recommended on", node.referred_on]);
    rows.push(["brought in directly", String(node.referred)]);
    rows.push(["branch size", String(node.branch_size)]);
    rows.push(["own revenue", money(node.revenue)]);
    rows.push(["branch revenue", money(node.branch_revenue)]);
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
      call(`/clients/${encodeURIComponent(node.id)}/chain`)
        .then((c) => {
          if (panel.dataset.id !== node.id) return;
          chain.textContent = c.steps.length
            ? `Brought in by ${c.steps.map((s) => s.name).join(" ← ")}${c.truncated ? " ← …" : ""}`
            : "Came in directly (no recorded source).";
        })
        .catch(() => {});
    }
  }

  function recentre(id) {
    const node = state.tree.nodes.get(id);
    if (!node || node.kind === "network") return;
    openTree({ kind: node.kind, id: node.id, name: node.name });
  }

  // -- chain, key clients, summary ---------------------------------------------------------

  let chainSeq = 0;

  async function loadChain(clientId) {
    const seq = ++chainSeq;
    const list = $("#chain-list");
    list.replaceChildren();
    let body;
    let client;
    try {
      [body, client] = await Promise.all([
        call(`/clients/${encodeURIComponent(clientId)}/chain`),
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
    if (body.truncated) list.append(h("li", { class: "muted" }, `The chain goes on above level ${body.depth}.`));
  }

  async function loadKeyClients() {
    const tbody = $("#key-table tbody");
    const body = await fetchOrSay("/network/key-clients?limit=25");
    if (!body) return;
    tbody.replaceChildren(
      ...body.items.map((k, i) =>
        h(
          "tr",
          {},
          h("td", { class: "num" }, i + 1),
          h(
            "td",
            {},
            h("button", { type: "button", class: "link", onclick: () => openTree({ kind: "client", id: k.client_id, name: k.name }) }, k.name),
          ),
          h("td", { class: "num" }, k.score.toFixed(3)),
          h("td", { class: "num" }, money(k.own_revenue ? [k.own_revenue] : [])),
          h("td", { class: "num" }, money(k.downline_revenue ? [k.downline_revenue] : [])),
          h("td", { class: "num" }, k.reach),
          h("td", { class: "num" }, k.referred),
        ),
      ),
    );
    if (!body.items.length) tbody.append(h("tr", {}, h("td", { colspan: 7, class: "muted" }, "No clients yet.")));
  }

  async function loadSummary() {
    const s = await fetchOrSay("/network/summary");
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

  // -- recording ---------------------------------------------------------------------------

  function clearErrors(form) {
    for (const el of $$(".field-error", form)) el.textContent = "";
    for (const el of $$("[aria-invalid]", form)) el.removeAttribute("aria-invalid");
    $(".form-error", form).textContent = "";
    $(".form-ok", form).textContent = "";
  }

  function showErrors(form, err) {
    let placed = false;
    for (const e of err.fields) {
      const slot = $(`[data-error-for="${CSS.escape(e.field)}"]`, form);
      if (!slot) continue;
      slot.textContent = slot.textContent ? `${slot.textContent}; ${e.reason}` : e.reason;
      const input = $(`[name="${CSS.escape(e.field)}"]`, form);
      if (input) input.setAttribute("aria-invalid", "true");
      placed = true;
    }
    const unplaced = err.fields.filter((e) => !$(`[data-error-for="${CSS.escape(e.field)}"]`, form));
    if (!placed || unplaced.length) {
      $(".form-error", form).textContent = unplaced.length
        ? unplaced.map((e) => `${e.field}: ${e.reason}`).join("; ")
        : err.message;
    }
  }

  function values(form) {
    const out = {};
    for (const el of $$("input, select", form)) {
      const v = el.value.trim();
      if (v !== "") out[el.name] = v;
    }
    return out;
  }

  // A picker holds "Name (id)" from the list, or text typed by hand: an id, or a name we know once.
  function resolvePick(text, kind) {
    if (!text) return text;
    const known = state.known.get(text);
    if (known) return known.id;
    const inParens = text.match(/\(([^()\s]+)\)\s*$/);
    if (inParens) return inParens[1];
    const byName = [...state.known.values()].filter((k) => k.kind === kind && k.name === text);
    return byName.length === 1 ? byName[0].id : text;
  }

  async function submit(form, path, body, done) {
    clearErrors(form);
    const button = $("button[type=submit]", form);
    button.disabled = true;
    try {
      const result = await call(path, { method: "POST", body });
      done(result);
    } catch (err) {
      showErrors(form, err);
    } finally {
      button.disabled = false;
    }
  }

  function refreshAfterWrite() {
    if (state.root) loadTree();
    search($("#search").value);
  }

  function onClientSubmit(evt) {
    evt.preventDefault();
    const form = evt.currentTarget;
    submit(form, "/clients", values(form), (client) => {
      remember("client", client);
      fillOptions();
      form.reset();
      $(".form-ok", form).textContent = `Added ${client.name}.`;
      $("#form-referral [name=client_id]").value = `${client.name} (${client.id})`;
      $("#form-deal [name=client_id]").value = `${client.name} (${client.id})`;
      search($("#search").value);
    });
  }

  function onReferralSubmit(evt) {
    evt.preventDefault();
    const form = evt.currentTarget;
    const body = values(form);
    const kind = body.source_kind || "client";
    if (body.client_id) body.client_id = resolvePick(body.client_id, "client");
    if (body.source_id) body.source_id = resolvePick(body.source_id, kind);
    submit(form, "/referrals", body, (ref) => {
      $(".form-ok", form).textContent = `Recorded (${ref.primary ? "primary source" : "secondary"}).`;
      for (const name of ["client_id", "note"]) $(`[name=${name}]`, form).value = "";
      refreshAfterWrite();
    });
  }

  function onDealSubmit(evt) {
    evt.preventDefault();
    const form = evt.currentTarget;
    const body = values(form);
    if (body.client_id) body.client_id = resolvePick(body.client_id, "client");
    if (body.currency) body.currency = body.currency.toUpperCase();
    submit(form, "/deals", body, (deal) => {
      $(".form-ok", form).textContent = `Added ${deal.amount} ${deal.currency}.`;
      for (const name of ["amount", "title"]) $(`[name=${name}]`, form).value = "";
      refreshAfterWrite();
    });
  }

  function prefillReferral(node) {
    const form = $("#form-referral");
    $("[name=source_kind]", form).value = node.kind;
    remember(node.kind, node);
    fillOptions();
    $("[name=source_id]", form).value = `${node.name} (${node.id})`;
    if (!$("[name=referred_on]", form).value) $("[name=referred_on]", form).value = today();
    show("record");
    $("[name=client_id]", form).focus();
  }

  function prefillDeal(node) {
    const form = $("#form-deal");
    remember("client", node);
    $("[name=client_id]", form).value = `${node.name} (${node.id})`;
    if (!$("[name=closed_on]", form).value) $("[name=closed_on]", form).value = today();
    if (!$("[name=currency]", form).value && state.currency) $("[name=currency]", form).value = state.currency;
    show("record");
    $("[name=amount]", form).focus();
  }

  // Typing in a picker searches the clients so the list offers matches beyond the first page.
  let pickTimer = null;
  function onPickInput(evt) {
    const text = evt.target.value.trim();
    if (!text || state.known.has(text)) return;
    clearTimeout(pickTimer);
    pickTimer = setTimeout(async () => {
      try {
        const page = await call(`/clients?limit=20&q=${encodeURIComponent(text)}`);
        for (const c of page.items) remember("client", c);
        fillOptions();
      } catch (err) {
        /* the submit will say what is wrong */
      }
    }, 200);
  }

  // -- exports -----------------------------------------------------------------------------

  function xml(text) {
    return String(text).replace(/[<>&"']/g, (c) => ({ "<": "&lt;", ">": "&gt;", "&": "&amp;", '"': "&quot;", "'": "&apos;" })[c]);
  }

  // The drawn tree as a standalone SVG document: the whole tree at scale 1, whatever the zoom.
  function svgOfView() {
    const box = bounds(state.positions);
    const w = Math.ceil(box.x2 - box.x1);
    const hgt = Math.ceil(box.y2 - box.y1);
    const viewport = $("#graph g.viewport").cloneNode(true);
    viewport.removeAttribute("transform");
    const doc = svgEl("svg", {
      xmlns: SVG_NS,
      width: w,
      height: hgt,
      viewBox: `${box.x1.toFixed(1)} ${box.y1.toFixed(1)} ${w} ${hgt}`,
      "font-family": "DejaVu Sans, sans-serif",
    });
    const title = svgEl("title", {});
    title.textContent = `${state.tree.root.name} (depth ${state.depth})`;
    doc.append(
      title,
      svgEl("rect", { x: box.x1, y: box.y1, width: w, height: hgt, fill: "#ffffff" }),
      viewport,
    );
    return { text: new XMLSerializer().serializeToString(doc), width: w, height: hgt };
  }

  function exportSvg() {
    const { text } = svgOfView();
    saveBlob(new Blob([text], { type: "image/svg+xml" }), `${slug(state.tree.root.name)}.svg`);
  }

  // PNG: the same SVG drawn onto a canvas (at most 8,000 pixels a side).
  function exportPng() {
    const { text, width, height } = svgOfView();
    const scale = Math.min(2, 8000 / width, 8000 / height);
    const url = URL.createObjectURL(new Blob([text], { type: "image/svg+xml" }));
    const img = new Image();
    img.onload = () => {
      const canvas = h("canvas", { width: Math.ceil(width * scale), height: Math.ceil(height * scale) });
      const ctx = canvas.getContext("2d");
      ctx.scale(scale, scale);
      ctx.drawImage(img, 0, 0);
      URL.revokeObjectURL(url);
      canvas.toBlob((blob) => saveBlob(blob, `${slug(state.tree.root.name)}.png`), "image/png");
    };
    img.onerror = () => {
      URL.revokeObjectURL(url);
      status("the PNG could not be drawn", true);
    };
    img.src = url;
  }

  function downloadGraph(format) {
    const root = state.root;
    const path =
      root.kind === "network"
        ? `/network/export?format=${format}`
        : `${treePath(root)}/tree/export?format=${format}&depth=${state.depth}`;
    download(path, `${slug(root.name)}.${format}`).catch((err) => status(err.message, true));
  }

  // -- wiring ------------------------------------------------------------------------------

  function wire() {
    $("#sign-in-form").addEventListener("submit", (evt) => {
      evt.preventDefault();
      const token = $("#token-input").value.trim();
      if (!token) {
        $("#sign-in-error").textContent = "token: paste a workspace token";
        return;
      }
      signIn(token).catch((err) => {
        $("#sign-in-error").textContent = `token: ${err.message}`;
      });
    });
    $("#sign-out").addEventListener("click", () => signOut(""));
    for (const b of $$("#tabs button")) b.addEventListener("click", () => show(b.dataset.view));
    $("#search").addEventListener("input", (evt) => search(evt.target.value));
    $("#whole-network").addEventListener("click", () =>
      openTree({ kind: "network", id: "(network)", name: "Whole network" }),
    );
    let depthTimer = null;
    $("#depth").addEventListener("input", (evt) => {
      state.depth = Number(evt.target.value);
      $("#depth-value").textContent = String(state.depth);
      clearTimeout(depthTimer);
      depthTimer = setTimeout(loadTree, 120);
    });
    $("#layout").addEventListener("change", (evt) => {
      state.layout = evt.target.value;
      if (state.tree) draw();
    });
    $("#colour").addEventListener("change", (evt) => {
      state.colour = evt.target.value;
      if (state.tree) draw();
    });
    $("#currency").addEventListener("change", (evt) => {
      state.currency = evt.target.value;
      if (state.tree) draw();
    });
    $("#graph").addEventListener("click", (evt) => {
      const g = evt.target.closest("g.node");
      if (g) {
        selectNode(g.dataset.id);
      } else {
        $("#details").hidden = true;
        state.selected = null;
        markSelected("");
      }
    });
    $("#export-png").addEventListener("click", exportPng);
    $("#export-svg").addEventListener("click", exportSvg);
    $("#download-graphml").addEventListener("click", () => downloadGraph("graphml"));
    $("#download-gexf").addEventListener("click", () => downloadGraph("gexf"));
    $("#form-client").addEventListener("submit", onClientSubmit);
    $("#form-referral").addEventListener("submit", onReferralSubmit);
    $("#form-deal").addEventListener("submit", onDealSubmit);
    $("#form-referral [name=source_kind]").addEventListener("change", fillOptions);
    for (const input of $$("input[list]")) input.addEventListener("input", onPickInput);
    for (const input of $$("#form-referral input[type=date], #form-deal input[type=date]")) input.value = today();
  }

  async function start() {
    wire();
    const token = tokenFromLink() || sessionStorage.getItem(TOKEN_KEY);
    if (!token) {
      signOut("");
      return;
    }
    try {
      await signIn(token);
    } catch (err) {
      signOut(`token: ${err.message}`);
    }
  }

  start();
})();
