/* Signing in and out, switching views, and the search list. */

import { call } from "./api.js";
import { initAsOf } from "./asof.js";
import { initAttribution, showAttribution } from "./attribution.js";
import { loadChecks, resetChecks } from "./checks.js";
import { resetGrowth, showGrowth } from "./growth.js";
import { h, status } from "./dom.js";
import { t } from "./i18n.js";
import { word } from "./words.js";
import { loadChain, loadKeyClients, loadSummary } from "./panels.js";
import { $, $$, TOKEN_KEY, state } from "./state.js";
import { openTree } from "./tree.js";
import { closeWebgl } from "./webgl.js";

export function tokenFromLink() {
  const match = location.hash.match(/(?:^#|&)token=([^&]+)/);
  if (!match) return null;
  history.replaceState(null, "", location.pathname + location.search); // keep it out of history
  return decodeURIComponent(match[1]);
}

export async function signIn(token) {
  const ws = await call("/workspace", { token });
  state.token = token;
  state.workspace = ws;
  sessionStorage.setItem(TOKEN_KEY, token);
  $("#sign-in").hidden = true;
  $("#app").hidden = false;
  $("#tabs").hidden = false;
  $("#sign-out").hidden = false;
  $("#workspace-name").textContent = `${ws.name} · ${ws.role ? word(ws.role) : ""}`.replace(/ · $/, "");
  // Views show every level unless asked for fewer: the slider runs from 1 to the server's bound, and one
  // step past it (where it starts) means "all levels".
  const slider = $("#depth");
  slider.max = String(ws.max_depth + 1);
  slider.value = slider.max;
  state.depth = null;
  state.creditDepth = ws.credit_depth;
  state.keyCurrency = null;
  $("#depth-value").textContent = depthLabel(null);
  initAttribution();
  resetGrowth();
  resetChecks();
  loadChecks({ quiet: true }); // the tab's badge: open findings
  await initAsOf();
  status(t("Signed in to {name}.", { name: ws.name }));
  await loadChannels();
  search("");
  // Open on the whole network, not an empty canvas (a workspace too big to draw says so and asks for a pick).
  const { openTree } = await import("./tree.js");
  await openTree({ kind: "network", id: "(network)", name: t("Whole network") });
}

export function depthLabel(depth) {
  return depth === null ? t("all") : String(depth);
}

export function signOut(message = "") {
  sessionStorage.removeItem(TOKEN_KEY);
  state.token = null;
  $("#graph").replaceChildren();
  closeWebgl();
  state.tree = null;
  $("#app").hidden = true;
  $("#tabs").hidden = true;
  $("#sign-out").hidden = true;
  $("#as-of-bar").hidden = true;
  $("#workspace-name").textContent = "";
  $("#sign-in").hidden = false;
  $("#sign-in-error").textContent = message;
  $("#token-input").value = "";
  $("#token-input").focus();
}

// -- views -------------------------------------------------------------------------------

export function show(view) {
  state.view = view;
  for (const b of $$("#tabs button")) b.setAttribute("aria-pressed", String(b.dataset.view === view));
  for (const s of $$("main .view")) s.hidden = s.dataset.view !== view;
  if (view === "key") loadKeyClients();
  if (view === "summary") loadSummary();
  if (view === "attribution") showAttribution();
  if (view === "growth") showGrowth();
  if (view === "checks") loadChecks();
  if (view === "chain") {
    const target = [state.selected, state.root].find((x) => x && x.kind === "client");
    if (target) loadChain(target.id);
  }
}

// -- search list -------------------------------------------------------------------------

export async function loadChannels() {
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

export function remember(kind, item) {
  state.known.set(`${item.name} (${item.id})`, { kind, id: item.id, name: item.name });
}

export function fillOptions() {
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

export let searchTimer = null;
export let searchSeq = 0;

export function search(text) {
  clearTimeout(searchTimer);
  searchTimer = setTimeout(() => runSearch(text.trim()), 150);
}

export async function runSearch(text) {
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
    list.append(resultItem("channel", ch, word(ch.kind)));
  }
  for (const cl of page.items) {
    remember("client", cl);
    list.append(resultItem("client", cl, cl.email || cl.phone || ""));
  }
  if (!list.children.length) list.append(h("li", { class: "muted" }, t("Nothing matches.")));
  fillOptions();
}

// A pick in the list shows that client's chain while the chain view is open, else its tree.
export function pick(item) {
  if (state.view === "chain" && item.kind === "client") {
    state.selected = item;
    loadChain(item.id);
  } else {
    openTree(item);
  }
}

export function resultItem(kind, item, extra) {
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
      h("span", { class: `badge ${kind}` }, word(kind)),
      h("span", {}, item.name),
      extra ? h("span", { class: "email" }, extra) : null,
    ),
  );
}
