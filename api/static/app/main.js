/* The network page: native ES modules, no build step. Wires the page up and signs in. */

import { wireAsOf } from "./asof.js";
import { wireAttribution } from "./attribution.js";
import { wireChecks } from "./checks.js";
import { wireGrowth } from "./growth.js";
import { today } from "./dom.js";
import { draw, markSelected } from "./draw.js";
import { downloadGraph, exportPng, exportSvg } from "./exports.js";
import { chooseLanguage, lang, loadLanguage, rememberLanguage, t, translatePage } from "./i18n.js";
import { onChannelSubmit, onClientSubmit, onDealSubmit, onPickInput, onReferralSubmit } from "./forms.js";
import { findInView, loadKeyClients, selectNode } from "./panels.js";
import { depthLabel, fillOptions, search, show, signIn, signOut, tokenFromLink } from "./session.js";
import { $, $$, TOKEN_KEY, state } from "./state.js";
import { loadTree, openTree } from "./tree.js";
import { loadWebgl } from "./webgl.js";

function wire() {
  $("#sign-in-form").addEventListener("submit", (evt) => {
    evt.preventDefault();
    const token = $("#token-input").value.trim();
    if (!token) {
      $("#sign-in-error").textContent = `${t("Token")}: ${t("paste a workspace token")}`;
      return;
    }
    signIn(token).catch((err) => {
      $("#sign-in-error").textContent = `${t("Token")}: ${err.message}`;
    });
  });
  $("#sign-out").addEventListener("click", () => signOut(""));
  // A new language is remembered in this browser and the page starts again in it (the sign-in is kept
  // for the tab).
  $("#lang").value = lang();
  $("#lang").addEventListener("change", (evt) => {
    rememberLanguage(evt.target.value);
    location.reload();
  });
  for (const b of $$("#tabs button")) b.addEventListener("click", () => show(b.dataset.view));
  $("#search").addEventListener("input", (evt) => search(evt.target.value));
  $("#whole-network").addEventListener("click", () =>
    openTree({ kind: "network", id: "(network)", name: t("Whole network") }),
  );
  let depthTimer = null;
  $("#depth").addEventListener("input", (evt) => {
    const value = Number(evt.target.value);
    state.depth = value > state.workspace.max_depth ? null : value;
    $("#depth-value").textContent = depthLabel(state.depth);
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
  $("#key-currency").addEventListener("change", (evt) => {
    state.keyCurrency = evt.target.value;
    loadKeyClients();
  });
  const clearSelection = () => {
    $("#details").hidden = true;
    state.selected = null;
    markSelected("");
  };
  $("#graph").addEventListener("click", (evt) => {
    const g = evt.target.closest("g.node");
    if (g) selectNode(g.dataset.id);
    else clearSelection();
  });
  $("#webgl").addEventListener("pick", (evt) => selectNode(evt.detail.id));
  $("#open-all").addEventListener("click", () => {
    state.openAll = true;
    loadTree();
  });
  $("#webgl").addEventListener("clear", clearSelection);
  $("#find-form").addEventListener("submit", (evt) => {
    evt.preventDefault();
    findInView($("#find-node").value);
  });
  $("#export-png").addEventListener("click", exportPng);
  $("#export-svg").addEventListener("click", exportSvg);
  $("#download-graphml").addEventListener("click", () => downloadGraph("graphml"));
  $("#download-gexf").addEventListener("click", () => downloadGraph("gexf"));
  $("#form-client").addEventListener("submit", onClientSubmit);
  $("#form-channel").addEventListener("submit", onChannelSubmit);
  $("#form-referral").addEventListener("submit", onReferralSubmit);
  $("#form-deal").addEventListener("submit", onDealSubmit);
  $("#form-referral [name=source_kind]").addEventListener("change", fillOptions);
  wireAttribution();
  wireAsOf();
  wireGrowth();
  wireChecks();
  for (const input of $$("input[list]")) input.addEventListener("input", onPickInput);
  for (const input of $$("#form-referral input[type=date], #form-deal input[type=date]")) input.value = today();
}

async function start() {
  // The page's language (its switch's pick, else the browser's): the markup's marked words are looked
  // up in it before anything is shown, and <html lang> says it to the API and to Intl.
  await Promise.all([loadLanguage(chooseLanguage()), loadWebgl()]);
  translatePage();
  wire();
  const token = tokenFromLink() || sessionStorage.getItem(TOKEN_KEY);
  if (!token) {
    signOut("");
    return;
  }
  try {
    await signIn(token);
  } catch (err) {
    signOut(`${t("Token")}: ${err.message}`);
  }
}

start();
