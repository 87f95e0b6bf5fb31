/* The page's words in the reader's language: `t("Tree")`, `tn("{n} client", "{n} clients", n)`, and the
   markup's `data-i18n` texts (`data-i18n-title`, `-placeholder`, `-label` for those attributes). The
   English message ids are the page's own words; other languages come from the server's catalogue
   (GET /app/i18n/<lang>.json, built from referrals/locale by referrals/i18n.py), counts take their form
   from Intl.PluralRules, numbers, money and dates are written by Intl in the same language. */

let current = { lang: "en", messages: {} };

export function lang() {
  return current.lang;
}

export async function loadLanguage(wanted) {
  if (!wanted || wanted === "en") {
    current = { lang: "en", messages: {} };
  } else {
    const resp = await fetch(`/app/i18n/${encodeURIComponent(wanted)}.json`, { cache: "no-store" });
    current = resp.ok ? await resp.json() : { lang: "en", messages: {} };
  }
  document.documentElement.lang = current.lang;
  return current.lang;
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
    text = forms[new Intl.PluralRules(current.lang).select(n)] || forms.other || text;
  }
  return fill(text, { n: formatNumber(n), ...params });
}

export function formatNumber(n) {
  return new Intl.NumberFormat(current.lang).format(n);
}

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
