/* Recording clients, recommendations and deals from the page's forms. */

import { call } from "./api.js";
import { today } from "./dom.js";
import { formatMoney, readAmount, t } from "./i18n.js";
import { fillOptions, remember, search, show } from "./session.js";
import { $, $$, state } from "./state.js";
import { loadTree } from "./tree.js";

export function clearErrors(form) {
  for (const el of $$(".field-error", form)) el.textContent = "";
  for (const el of $$("[aria-invalid]", form)) el.removeAttribute("aria-invalid");
  $(".form-error", form).textContent = "";
  $(".form-ok", form).textContent = "";
}

export function showErrors(form, err) {
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

export function values(form) {
  const out = {};
  for (const el of $$("input, select", form)) {
    const v = el.value.trim();
    if (v !== "") out[el.name] = v;
  }
  return out;
}

// A picker holds "Name (id)" from the list, or text typed by hand: an id, or a name we know once.
export function resolvePick(text, kind) {
  if (!text) return text;
  const known = state.known.get(text);
  if (known) return known.id;
  const inParens = text.match(/\(([^()\s]+)\)\s*$/);
  if (inParens) return inParens[1];
  const byName = [...state.known.values()].filter((k) => k.kind === kind && k.name === text);
  return byName.length === 1 ? byName[0].id : text;
}

export async function submit(form, path, body, done) {
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

export function refreshAfterWrite() {
  if (state.root) loadTree();
  search($("#search").value);
}

export function onClientSubmit(evt) {
  evt.preventDefault();
  const form = evt.currentTarget;
  submit(form, "/clients", values(form), (client) => {
    remember("client", client);
    fillOptions();
    form.reset();
    $(".form-ok", form).textContent = t("Added {name}.", { name: client.name });
    $("#form-referral [name=client_id]").value = `${client.name} (${client.id})`;
    $("#form-deal [name=client_id]").value = `${client.name} (${client.id})`;
    search($("#search").value);
  });
}

export function onChannelSubmit(evt) {
  evt.preventDefault();
  const form = evt.currentTarget;
  submit(form, "/channels", values(form), (channel) => {
    remember("channel", channel);
    state.channels.push(channel);
    form.reset();
    $(".form-ok", form).textContent = t("Added {name}.", { name: channel.name });
    // Ready to record who came through it.
    $("#form-referral [name=source_kind]").value = "channel";
    fillOptions();
    $("#form-referral [name=source_id]").value = `${channel.name} (${channel.id})`;
    search($("#search").value);
  });
}

export function onReferralSubmit(evt) {
  evt.preventDefault();
  const form = evt.currentTarget;
  const body = values(form);
  const kind = body.source_kind || "client";
  if (body.client_id) body.client_id = resolvePick(body.client_id, "client");
  if (body.source_id) body.source_id = resolvePick(body.source_id, kind);
  submit(form, "/referrals", body, (ref) => {
    $(".form-ok", form).textContent = ref.primary ? t("Recorded (primary source).") : t("Recorded (secondary).");
    for (const name of ["client_id", "note"]) $(`[name=${name}]`, form).value = "";
    refreshAfterWrite();
  });
}

export function onDealSubmit(evt) {
  evt.preventDefault();
  const form = evt.currentTarget;
  const body = values(form);
  if (body.client_id) body.client_id = resolvePick(body.client_id, "client");
  if (body.currency) body.currency = body.currency.toUpperCase();
  if (body.amount) body.amount = readAmount(body.amount);
  submit(form, "/deals", body, (deal) => {
    $(".form-ok", form).textContent = t("Added {amount}.", { amount: formatMoney(deal.amount_minor, deal.currency) });
    for (const name of ["amount", "title"]) $(`[name=${name}]`, form).value = "";
    refreshAfterWrite();
  });
}

export function prefillReferral(node) {
  const form = $("#form-referral");
  $("[name=source_kind]", form).value = node.kind;
  remember(node.kind, node);
  fillOptions();
  $("[name=source_id]", form).value = `${node.name} (${node.id})`;
  if (!$("[name=referred_on]", form).value) $("[name=referred_on]", form).value = today();
  show("record");
  $("[name=client_id]", form).focus();
}

export function prefillDeal(node) {
  const form = $("#form-deal");
  remember("client", node);
  $("[name=client_id]", form).value = `${node.name} (${node.id})`;
  if (!$("[name=closed_on]", form).value) $("[name=closed_on]", form).value = today();
  if (!$("[name=currency]", form).value && state.currency) $("[name=currency]", form).value = state.currency;
  show("record");
  $("[name=amount]", form).focus();
}

// Typing in a picker searches the clients so the list offers matches beyond the first page.
export let pickTimer = null;
export function onPickInput(evt) {
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
