/* The Checks tab: /network/integrity — what looks wrong, each finding with its rule, people and numbers.
   A finding can be dismissed with a note (and shown again); the open count is the badge on the tab, and
   clients of open findings carry a flag in the tree. Rules: README "What looks wrong". */

import { ApiError, call } from "./api.js";
import { h, status } from "./dom.js";
import { formatDate, formatNumber, t, tn } from "./i18n.js";
import { markFlagged } from "./draw.js";
import { $, $$, state } from "./state.js";
import { openTree } from "./tree.js";

let seq = 0;

export function wireChecks() {
  $("#checks-form").addEventListener("submit", (evt) => {
    evt.preventDefault();
    loadChecks();
  });
  $("#checks-dismissed").addEventListener("change", () => state.checks && render(state.checks));
}

export function resetChecks() {
  state.checks = null;
  state.flagged = new Map();
  $("#checks-body").replaceChildren();
  badge(null);
}

function thresholds() {
  const out = {};
  for (const el of $$("#checks-form input[type=number]")) out[el.name] = el.value.trim();
  return out;
}

// The check with the thresholds of the form; `quiet` (the badge at sign-in) says nothing on a failure.
export async function loadChecks({ quiet = false } = {}) {
  $("#checks-error").textContent = "";
  for (const el of $$("#checks-form input")) el.removeAttribute("aria-invalid");
  const mine = ++seq;
  let body;
  try {
    body = await call(`/network/integrity?${new URLSearchParams(thresholds())}`);
  } catch (err) {
    if (mine !== seq || quiet) return;
    if (err instanceof ApiError && err.fields.length) {
      const f = err.fields[0];
      $("#checks-error").textContent = `${f.field}: ${f.reason}`;
      const input = $(`#checks-form [name="${CSS.escape(f.field)}"]`);
      if (input) input.setAttribute("aria-invalid", "true");
    } else status(err.message, true);
    return;
  }
  if (mine !== seq) return;
  state.checks = body;
  state.flagged = new Map();
  for (const f of body.findings) {
    if (f.dismissed) continue;
    for (const p of f.people) state.flagged.set(p.id, [...(state.flagged.get(p.id) || []), f.summary]);
  }
  badge(body.open);
  render(body);
  markFlagged();
  const el = $("#checks-body");
  el.dataset.loads = String(Number(el.dataset.loads || 0) + 1);
}

function badge(open) {
  const el = $("#checks-badge");
  el.textContent = open ? String(open) : "";
  el.hidden = !open;
  el.title = open ? tn("{n} open finding", "{n} open findings", open) : "";
}

function render(body) {
  const titles = Object.fromEntries(body.rules.map((r) => [r.id, r.title]));
  const rules = h(
    "table",
    { class: "grid", id: "checks-rules" },
    h("thead", {}, h("tr", {}, h("th", {}, t("rule")), h("th", {}, t("what it looks for")), h("th", { class: "num" }, t("open")),
      h("th", { class: "num" }, t("dismissed")))),
    h(
      "tbody",
      {},
      body.rules.map((r) =>
        h("tr", { dataset: { rule: r.id } }, h("td", {}, r.title), h("td", { class: "muted" }, r.description),
          h("td", { class: "num" }, formatNumber(r.open)), h("td", { class: "num" }, formatNumber(r.dismissed))),
      ),
    ),
  );
  const withDismissed = $("#checks-dismissed").checked;
  const shown = body.findings.filter((f) => withDismissed || !f.dismissed);
  const list = h("ul", { class: "findings", id: "checks-list" }, shown.map((f) => finding(f, titles)));
  const parts = [body.open ? tn("{n} open finding", "{n} open findings", body.open) : t("No open findings")];
  if (body.dismissed && !withDismissed) {
    parts.push(tn('{n} dismissed (tick "show dismissed")', '{n} dismissed (tick "show dismissed")', body.dismissed));
  }
  let text = `${parts.join("; ")}.`;
  if (body.not_listed) {
    const listed = formatNumber(body.findings.length);
    const rest = t("The first {listed} are listed; {more} more are not.", { listed, more: formatNumber(body.not_listed) });
    text += ` ${rest}`;
  }
  const head = h("p", { class: "facts", id: "checks-count" }, text);
  $("#checks-body").replaceChildren(head, list, rules);
}

function finding(f, titles) {
  const people = f.people.map((p) =>
    h(
      "button",
      {
        type: "button",
        class: "link",
        onclick: () => openTree({ kind: p.id.startsWith("ch_") ? "channel" : "client", id: p.id, name: p.name }),
      },
      p.name,
    ),
  );
  const item = h(
    "li",
    { class: `finding${f.dismissed ? " dismissed" : ""}`, dataset: { key: f.key, rule: f.rule } },
    h("div", { class: "finding-head" }, h("span", { class: `badge rule-${f.rule}` }, titles[f.rule] || f.rule),
      h("code", { class: "muted" }, f.key)),
    h("p", { class: "summary" }, f.summary),
    h("p", { class: "people" }, `${t("Open the tree of")} `, people),
  );
  if (f.dismissed) {
    item.append(
      h("p", { class: "note" }, t("Dismissed {date}: {note}", { date: formatDate(f.dismissed.at.slice(0, 10)), note: f.dismissed.note })),
      h("button", { type: "button", class: "undismiss", onclick: () => undismiss(f.key) }, t("Show again")),
    );
  } else {
    const form = h(
      "form",
      { class: "dismiss", novalidate: true },
      h("label", {}, `${t("Note")} `, h("input", { name: "note", maxlength: 2000, placeholder: t("why this is fine") })),
      h("button", { type: "submit" }, t("Dismiss")),
      h("small", { class: "field-error", role: "alert" }),
    );
    form.addEventListener("submit", (evt) => {
      evt.preventDefault();
      dismiss(form, f.key);
    });
    item.append(form);
  }
  return item;
}

async function dismiss(form, key) {
  const input = $("input[name=note]", form);
  const error = $(".field-error", form);
  error.textContent = "";
  input.removeAttribute("aria-invalid");
  try {
    await call("/network/integrity/dismissals", { method: "POST", body: { key, note: input.value, ...numbers() } });
  } catch (err) {
    const f = err instanceof ApiError && err.fields.length ? err.fields[0] : null;
    error.textContent = f ? `${f.field}: ${f.reason}` : err.message;
    if (f && f.field === "note") input.setAttribute("aria-invalid", "true");
    return;
  }
  status(t("Dismissed: it stays dismissed while it stays the same."));
  await loadChecks();
}

async function undismiss(key) {
  try {
    await call(`/network/integrity/dismissals/${encodeURIComponent(key)}`, { method: "DELETE" });
  } catch (err) {
    status(err.message, true);
    return;
  }
  await loadChecks();
}

function numbers() {
  return Object.fromEntries(Object.entries(thresholds()).map(([k, v]) => [k, Number(v)]));
}
