/* The page's words in the reader's language: `t("Tree")`, `tn("{n} client", "{n} clients", n)`, and the
   markup's `data-i18n` texts (`data-i18n-title`, `-placeholder`, `-label` for those attributes). The
   English message ids are the page's own words; other languages come from the server's catalogue
   (GET /app/i18n/<lang>.json, built from referrals/locale by referrals/i18n.py), counts take their form
   from Intl.PluralRules, numbers, money and dates are written by Intl in the same language.

   The language: the one picked in the page's switch (kept in this browser), else the first of the
   browser's languages (the list its Accept-Language is made of) the page speaks, else English. The
   languages the page speaks are the options of its switch. */

const LANG_KEY = "referrals.lang";
const DEFAULT = "en";

let current = { lang: DEFAULT, messages: {} };

export function lang() {
  return current.lang;
}

function spoken() {
  const sw = document.querySelector("#lang");
  return sw ? Array.from(sw.options, (o) => o.value) : [DEFAULT];
}

// The language to speak: the switch's remembered pick, else the browser's first one the page speaks.
export function chooseLanguage() {
  const known = spoken();
  let kept = null;
  try {
    kept = localStorage.getItem(LANG_KEY);
  } catch (err) {
    kept = null; // storage off: follow the browser
  }
  if (kept && known.includes(kept)) return kept;
  for (const tag of navigator.languages || [navigator.language]) {
    const base = String(tag || "").toLowerCase().split("-")[0];
    if (known.includes(base)) return base;
  }
  return DEFAULT;
}

export function rememberLanguage(code) {
  try {
    localStorage.setItem(LANG_KEY, code);
  } catch (err) {
    /* storage off: the pick lasts for this page */
  }
}

export async function loadLanguage(wanted) {
  if (!wanted || wanted === DEFAULT) {
    current = { lang: DEFAULT, messages: {} };
  } else {
    const resp = await fetch(`/app/i18n/${encodeURIComponent(wanted)}.json`, { cache: "no-store" });
    current = resp.ok ? await resp.json() : { lang: DEFAULT, messages: {} };
  }
  document.documentElement.lang = current.lang;
  return current.lang;
}

// Intl's formatters are slow to make and quick to use: one per language and options, kept.
const made = new Map();
function intl(kind, options = {}) {
  const key = `${kind} ${current.lang} ${JSON.stringify(options)}`;
  if (!made.has(key)) made.set(key, new Intl[kind](current.lang, options));
  return made.get(key);
}

function fill(text, params) {
  return text.replace(/\{(\w+)\}/g, (whole, key) => (key in params ? String(params[key]) : whole));
}

export function t(id, params = {}) {
  const text = current.messages[id];
  return fill(typeof text === "string" && text ? text : id, params);
}

export function tn(one, other, n, params = {}) {
  const forms = current.messages[one];
  let text = n === 1 ? one : other;
  if (forms && typeof forms === "object") {
    text = forms[intl("PluralRules").select(n)] || forms.other || text;
  }
  return fill(text, { n: formatNumber(n), ...params });
}

// -- numbers, money, dates ------------------------------------------------------------------

// Minor units as an exact decimal string ("1250.50"); the currency's digits come from the browser's
// ISO 4217 table.
const minorDigits = new Map();
function formatMinor(minor, currency) {
  if (!minorDigits.has(currency)) {
    let found = 2;
    try {
      found = new Intl.NumberFormat("en", { style: "currency", currency }).resolvedOptions().maximumFractionDigits;
    } catch (err) {
      found = 2; // a code the browser does not know
    }
    minorDigits.set(currency, found);
  }
  const digits = minorDigits.get(currency);
  const negative = minor < 0;
  const text = String(Math.abs(minor)).padStart(digits + 1, "0");
  const whole = digits ? text.slice(0, -digits) : text;
  return `${negative ? "-" : ""}${whole}${digits ? `.${text.slice(-digits)}` : ""}`;
}

export function formatNumber(n, digits = null) {
  const options = digits === null ? {} : { minimumFractionDigits: digits, maximumFractionDigits: digits };
  return intl("NumberFormat", options).format(n);
}

// A share (0.125) as a percentage with `digits` decimals: "12.5%", "12,5 %".
export function formatPercent(share, digits = 1) {
  return intl("NumberFormat", { style: "percent", minimumFractionDigits: digits, maximumFractionDigits: digits }).format(share);
}

// A decimal text as the API writes it ("1250.50") in the reader's digits, exactly: Intl takes a
// decimal string as it is, never through a float.
export function formatAmount(text) {
  const digits = (String(text).split(".")[1] || "").length;
  return intl("NumberFormat", { minimumFractionDigits: digits, maximumFractionDigits: digits }).format(String(text));
}

// Integer minor units of an ISO 4217 currency: "€1,250.50", "1 250,50 €", exactly.
export function formatMoney(minor, currency) {
  const text = formatMinor(minor, currency);
  const digits = (text.split(".")[1] || "").length;
  try {
    return intl("NumberFormat", { style: "currency", currency, minimumFractionDigits: digits, maximumFractionDigits: digits }).format(
      text,
    );
  } catch (err) {
    return `${formatAmount(text)} ${currency}`; // a code the browser does not know
  }
}

// An amount typed in the reader's way ("1 250,50", "1,250.50") as the API's decimal text ("1250.50").
// Only a whole number written by the language's rules is read: anything else goes as typed, for the API
// to refuse with its reason (English "1,5" is never taken for 15).
export function readAmount(typed) {
  const text = String(typed).trim();
  if (/^-?\d+(\.\d+)?$/.test(text)) return text;
  const parts = intl("NumberFormat").formatToParts(12345.6);
  const group = (parts.find((p) => p.type === "group") || { value: "," }).value;
  const decimal = (parts.find((p) => p.type === "decimal") || { value: "." }).value;
  const esc = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  const groups = /\s/.test(group) ? "[\\s\u00a0\u202f]" : esc(group); // a space-like group: any space
  const pattern = new RegExp(`^(-?)(\\d{1,3}(?:${groups}\\d{3})*|\\d+)(?:${esc(decimal)}(\\d+))?$`);
  const m = text.match(pattern);
  if (!m) return text;
  const whole = m[2].replace(new RegExp(groups, "g"), "");
  return `${m[1]}${whole}${m[3] ? `.${m[3]}` : ""}`;
}

// A YYYY-MM-DD day: ISO 8601 in English (read the same by those who put the day first and those who
// put the month first), the language's own short form otherwise (31.10.2026).
export function formatDate(iso) {
  if (!iso || current.lang === DEFAULT || !/^\d{4}-\d{2}-\d{2}$/.test(iso)) return iso || "";
  const [y, m, d] = iso.split("-").map(Number);
  return intl("DateTimeFormat", { day: "2-digit", month: "2-digit", year: "numeric", timeZone: "UTC" }).format(
    new Date(Date.UTC(y, m - 1, d)),
  );
}

// A YYYY-MM month: 2026-10 in English, 10.2026 in Russian.
export function formatMonth(month) {
  if (!month || current.lang === DEFAULT || !/^\d{4}-\d{2}$/.test(month)) return month || "";
  const [y, m] = month.split("-").map(Number);
  return intl("DateTimeFormat", { month: "2-digit", year: "numeric", timeZone: "UTC" }).format(new Date(Date.UTC(y, m - 1, 1)));
}

// -- the markup ------------------------------------------------------------------------------

// The markup's words: each marked element keeps its English id, so a second pass translates again.
export function translatePage(root = document) {
  for (const el of root.querySelectorAll("[data-i18n]")) {
    if (!el.dataset.i18nId) el.dataset.i18nId = el.textContent.trim().replace(/\s+/g, " ");
    el.textContent = t(el.dataset.i18nId);
  }
  for (const attr of ["title", "placeholder", "label"]) {
    for (const el of root.querySelectorAll(`[data-i18n-${attr}]`)) {
      const target = attr === "label" ? "aria-label" : attr;
      el.setAttribute(target, t(el.getAttribute(`data-i18n-${attr}`)));
    }
  }
}
