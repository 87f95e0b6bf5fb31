/* The as-of bar: the tree, chain, key clients, summary and graph downloads show the network as it
   stood at the end of a day; the slider steps through the network's months and Replay plays its growth
   month by month, ringing the clients each step brought in. (Attribution has its own period.) */

import { fetchOrSay } from "./api.js";
import { today } from "./dom.js";
import { formatDate, t } from "./i18n.js";
import { $, state } from "./state.js";

const STEP_MS = 1100; // how long Replay shows each month

let playing = false;

export function monthsBetween(first, last) {
  const out = [];
  let [y, m] = first.split("-").map(Number);
  const [ly, lm] = last.split("-").map(Number);
  while (y < ly || (y === ly && m <= lm)) {
    out.push(`${y}-${String(m).padStart(2, "0")}`);
    m += 1;
    if (m > 12) {
      m = 1;
      y += 1;
    }
  }
  return out;
}

// The last day of a month, or today for the running month.
export function monthEnd(month) {
  const [y, m] = month.split("-").map(Number);
  const end = new Date(Date.UTC(y, m, 0)).toISOString().slice(0, 10);
  return end < today() ? end : today();
}

// At sign-in: today's network, and a slider from the network's first month to this one.
export async function initAsOf() {
  stop();
  state.asOf = null;
  state.drawnIds = null;
  state.newIds = new Set();
  $("#as-of-bar").hidden = false;
  $("#as-of").value = "";
  $("#as-of").max = today();
  const summary = await fetchOrSay("/network/summary");
  const first = summary && summary.first_day ? summary.first_day.slice(0, 7) : today().slice(0, 7);
  state.months = monthsBetween(first, today().slice(0, 7));
  const slider = $("#as-of-month");
  slider.max = String(state.months.length - 1);
  slider.value = slider.max;
  showLabel();
}

function showLabel() {
  $("#as-of-label").textContent = state.asOf ? t("end of {date}", { date: formatDate(state.asOf) }) : t("today");
  $("#as-of-today").disabled = state.asOf === null;
  $("#as-of-bar").dataset.asOf = state.asOf || "";
}

// Show the network of `day` (null: today) in the current view.
export async function setAsOf(day) {
  state.asOf = day && day < today() ? day : null;
  $("#as-of").value = state.asOf || "";
  const month = (state.asOf || today()).slice(0, 7);
  const index = state.months.indexOf(month);
  if (index >= 0) $("#as-of-month").value = String(index);
  showLabel();
  const { loadTree } = await import("./tree.js");
  const { show } = await import("./session.js");
  if (state.view === "tree") await loadTree();
  else show(state.view);
}

function stop() {
  playing = false;
  $("#as-of-play").firstChild.textContent = "▶ ";
  $("#as-of-play-text").textContent = t("Replay");
  $("#as-of-play").setAttribute("aria-pressed", "false");
}

// Month by month from the one shown (from the first, when today is shown) up to today.
async function replay() {
  if (playing) {
    stop();
    return;
  }
  playing = true;
  $("#as-of-play").firstChild.textContent = "■ ";
  $("#as-of-play-text").textContent = t("Stop");
  $("#as-of-play").setAttribute("aria-pressed", "true");
  const slider = $("#as-of-month");
  let index = state.asOf === null ? 0 : Number(slider.value);
  while (playing && index < state.months.length) {
    const started = performance.now();
    await setAsOf(monthEnd(state.months[index]));
    index += 1;
    const rest = STEP_MS - (performance.now() - started);
    if (rest > 0) await new Promise((resolve) => setTimeout(resolve, rest));
  }
  stop();
}

export function wireAsOf() {
  $("#as-of").addEventListener("change", (evt) => {
    stop();
    setAsOf(evt.target.value || null);
  });
  let timer = null;
  $("#as-of-month").addEventListener("input", (evt) => {
    stop();
    const month = state.months[Number(evt.target.value)];
    $("#as-of-label").textContent = t("end of {date}", { date: formatDate(monthEnd(month)) });
    clearTimeout(timer);
    timer = setTimeout(() => setAsOf(monthEnd(month)), 150);
  });
  $("#as-of-play").addEventListener("click", replay);
  $("#as-of-today").addEventListener("click", () => {
    stop();
    setAsOf(null);
  });
}
