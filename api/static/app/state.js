/* The page's constants and its one state object. */

export const API = "/api/v1";
export const TOKEN_KEY = "referrals.token";
// Red is kept for dead ends: neither palette uses it.
export const LEVEL_COLOURS = ["#1d2433", "#2f5fd0", "#1a9e77", "#e6a100", "#7b4fd0", "#1b8aa8", "#c26b00", "#6d8f00"];
export const CHANNEL_COLOURS = ["#2f5fd0", "#1a9e77", "#e6a100", "#7b4fd0", "#1b8aa8", "#6d8f00", "#c26b00", "#8c564b"];
export const NO_CHANNEL_COLOUR = "#8a93a3";

export const $ = (sel, root = document) => root.querySelector(sel);
export const $$ = (sel, root = document) => Array.from(root.querySelectorAll(sel));

export const state = {
  token: null,
  workspace: null,
  view: "tree",
  root: null, // {kind: "client"|"channel"|"network", id, name}
  depth: null, // levels a view shows; null: all of them
  openAll: false, // a big tree asked for whole (else it opens OPEN_LEVELS deep and more on click)
  creditDepth: 7, // levels a deal's credit reaches (from the server at sign-in); views mark nodes past it
  layout: "auto",
  colour: "level",
  currency: "",
  keyCurrency: null, // the key-client ranking's currency; null: the workspace's main one
  tree: null, // {root, nodes: Map(id -> node), currencies: [...], topChannel}
  selected: null,
  positions: null,
  zoom: null,
  renderer: "svg", // how the view is drawn: "svg", or "webgl" past draw.js WEBGL_FROM nodes
  channels: [],
  known: new Map(), // "Name (id)" -> {kind, id}
  loadSeq: 0,
  asOf: null, // "YYYY-MM-DD": views show the network as it stood that day; null: today
  months: [], // the months the as-of slider runs through, "YYYY-MM", oldest first
  drawnIds: null, // {rootId, ids}: what the previous as-of step drew, to mark who is new
  newIds: new Set(), // clients drawn now that the previous step did not have
  checks: null, // the last /network/integrity answer
  flagged: new Map(), // id -> summaries of the open findings about that client or channel
};

// A view's path with the as-of day, when one is picked.
export function view(path) {
  if (!state.asOf) return path;
  return `${path}${path.includes("?") ? "&" : "?"}as_of=${state.asOf}`;
}
