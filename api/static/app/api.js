/* The API client: every request goes to this server's /api/v1 with the bearer token. */

import { randomKey, saveBlob, status } from "./dom.js";
import { t } from "./i18n.js";
import { signOut } from "./session.js";
import { $, API, state } from "./state.js";

export class ApiError extends Error {
  constructor(status, body) {
    super((body && (body.detail || body.title)) || t("the server answered {status}", { status }));
    this.status = status;
    this.fields = (body && body.errors) || [];
  }
}

export async function call(path, { method = "GET", body, raw = false, token = state.token } = {}) {
  // The API answers in the page's own language (its <html lang>), whatever the browser prefers, so
  // its messages never mix with the page's words.
  const headers = {
    Authorization: `Bearer ${token}`,
    Accept: "application/json",
    "Accept-Language": document.documentElement.lang || "en",
  };
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
    throw new ApiError(0, { detail: t("the server cannot be reached") });
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
export async function fetchOrSay(path) {
  try {
    return await call(path);
  } catch (err) {
    status(err.message, true);
    return null;
  }
}

// A file the API serves, saved under the name it gives; `edit` may rewrite its text first.
export async function download(path, fallbackName, edit = null) {
  const resp = await call(path, { raw: true });
  const disposition = resp.headers.get("Content-Disposition") || "";
  const match = disposition.match(/filename="([^"]+)"/);
  const name = match ? match[1] : fallbackName;
  if (!edit) return saveBlob(await resp.blob(), name);
  const type = resp.headers.get("Content-Type") || "application/octet-stream";
  return saveBlob(new Blob([edit(await resp.text())], { type }), name);
}
