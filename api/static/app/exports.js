/* Exports of what is on screen (SVG, PNG) and of the network (GraphML, GEXF). */

import { download } from "./api.js";
import { h, saveBlob, slug, status } from "./dom.js";
import { t } from "./i18n.js";
import { SVG_NS, bounds, buildViewport, svgEl } from "./draw.js";
import { $, state, view } from "./state.js";
import { treePath } from "./tree.js";

export function xml(text) {
  return String(text).replace(/[<>&"']/g, (c) => ({ "<": "&lt;", ">": "&gt;", "&": "&amp;", '"': "&quot;", "'": "&apos;" })[c]);
}

// The drawn tree as a standalone SVG document: the whole tree at scale 1, whatever the zoom.
export function svgOfView() {
  const box = bounds(state.positions);
  const w = Math.ceil(box.x2 - box.x1);
  const hgt = Math.ceil(box.y2 - box.y1);
  // a view drawn in WebGL is drawn again as SVG for its export
  const viewport = state.renderer === "webgl" ? buildViewport(state.tree, state.positions) : $("#graph g.viewport").cloneNode(true);
  viewport.removeAttribute("transform");
  const doc = svgEl("svg", {
    xmlns: SVG_NS,
    width: w,
    height: hgt,
    viewBox: `${box.x1.toFixed(1)} ${box.y1.toFixed(1)} ${w} ${hgt}`,
    "font-family": "DejaVu Sans, sans-serif",
  });
  const title = svgEl("title", {});
  const depth = state.depth === null ? t("all levels") : t("depth {depth}", { depth: state.depth });
  title.textContent = `${state.tree.root.name} (${depth})`;
  doc.append(
    title,
    svgEl("rect", { x: box.x1, y: box.y1, width: w, height: hgt, fill: "#ffffff" }),
    viewport,
  );
  return { text: new XMLSerializer().serializeToString(doc), width: w, height: hgt };
}

export function exportSvg() {
  const { text } = svgOfView();
  saveBlob(new Blob([text], { type: "image/svg+xml" }), `${slug(state.tree.root.name)}.svg`);
}

// PNG: the same SVG drawn onto a canvas (at most 8,000 pixels a side).
export function exportPng() {
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
    status(t("the PNG could not be drawn"), true);
  };
  img.src = url;
}

// The page's layout written into a GEXF file: a <position> in every drawn node (in the GEXF namespace,
// where the published schema has it), y pointing up as Gephi draws it.
export function withPositions(text, positions) {
  const doc = new DOMParser().parseFromString(text, "application/xml");
  const ns = doc.documentElement.namespaceURI;
  for (const node of doc.getElementsByTagNameNS(ns, "node")) {
    const p = positions.get(node.getAttribute("id"));
    if (!p) continue;
    for (const old of [...node.children].filter((c) => c.localName === "position")) old.remove();
    const el = doc.createElementNS(ns, "position");
    el.setAttribute("x", p.x.toFixed(2));
    el.setAttribute("y", (p.y === 0 ? 0 : -p.y).toFixed(2));
    el.setAttribute("z", "0.0");
    node.appendChild(el);
  }
  const out = new XMLSerializer().serializeToString(doc);
  return out.startsWith("<?xml") ? `${out}\n` : `<?xml version="1.0" encoding="utf-8"?>\n${out}\n`;
}

export function downloadGraph(format) {
  const root = state.root;
  const path =
    root.kind === "network"
      ? `/network/export?format=${format}`
      : `${treePath(root)}/tree/export?format=${format}${state.depth === null ? "" : `&depth=${state.depth}`}`;
  const edit = format === "gexf" && state.positions ? (text) => withPositions(text, state.positions) : null;
  const name = `${slug(root.name)}${state.asOf ? `-as-of-${state.asOf}` : ""}.${format}`;
  download(view(path), name, edit).catch((err) => status(err.message, true));
}
