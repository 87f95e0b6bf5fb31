/* Big views drawn with WebGL: sigma.js over a graphology graph (both vendored, globals `Sigma` and
   `graphology`). One SVG element per node is what makes a view of tens of thousands of clients slow to
   draw and to move; sigma draws them all in a few GPU calls. The positions, colours and sizes are the
   SVG drawing's (draw.js), so the two renderers show the same picture; exports stay SVG. */

import { $ } from "./state.js";

const EDGE_COLOUR = "#c5ccd6";
const SELECTED_COLOUR = "#111111";

let renderer = null;
let selected = "";

export function webglAvailable() {
  if (!window.Sigma || !window.graphology) return false;
  try {
    return Boolean(document.createElement("canvas").getContext("webgl"));
  } catch {
    return false;
  }
}

// Draw `nodes` (an array of {id, parent, name}) at `pos` (id -> {x, y}, y down as in SVG), each with
// `colour(node)` and a radius `radius(node)` in the SVG drawing's units. A click on a node dispatches a
// "pick" event on #webgl with the node's id; a click elsewhere, "clear". #webgl's data-nodes and
// data-edges say what was drawn.
export function drawWebgl(nodes, pos, colour, radius) {
  const box = $("#webgl");
  box.hidden = false; // sigma measures its container when it starts
  closeWebgl(false);
  const graph = new graphology.Graph({ type: "directed", allowSelfLoops: false });
  for (const n of nodes) {
    const p = pos.get(n.id);
    graph.addNode(n.id, {
      x: p.x,
      y: -p.y,
      size: Math.max(1.5, radius(n) / 4),
      color: colour(n),
      label: n.name,
    });
  }
  for (const n of nodes) {
    if (n.parent !== null && n.parent !== undefined && graph.hasNode(n.parent)) {
      graph.addDirectedEdge(n.parent, n.id, { color: EDGE_COLOUR, size: 1 });
    }
  }
  box.dataset.nodes = String(graph.order);
  box.dataset.edges = String(graph.size);
  selected = "";
  renderer = new Sigma(graph, box, {
    hideEdgesOnMove: graph.order > 20000,
    labelRenderedSizeThreshold: 6,
    zIndex: true,
    nodeReducer: (id, attrs) =>
      id === selected ? { ...attrs, color: SELECTED_COLOUR, size: attrs.size * 1.6 + 2, zIndex: 1, forceLabel: true, highlighted: true } : attrs,
  });
  renderer.on("clickNode", ({ node }) => box.dispatchEvent(new CustomEvent("pick", { detail: { id: node } })));
  renderer.on("clickStage", () => box.dispatchEvent(new CustomEvent("clear")));
  return renderer;
}

// Mark one node (or none, with "") as selected; with `focus`, move the camera to it.
export function selectWebgl(id, focus = false) {
  if (!renderer) return;
  const graph = renderer.getGraph();
  const changed = [selected, id].filter((n) => n && graph.hasNode(n));
  selected = id;
  // only the two nodes whose look changes are drawn again (a whole refresh costs ~1 s at 100,000 nodes)
  if (changed.length) renderer.refresh({ partialGraph: { nodes: changed }, skipIndexation: true });
  if (focus && id && graph.hasNode(id)) {
    const at = renderer.getNodeDisplayData(id);
    renderer.getCamera().animate({ x: at.x, y: at.y, ratio: Math.min(renderer.getCamera().ratio, 0.15) }, { duration: 250 });
  }
}

export function closeWebgl(hide = true) {
  if (renderer) {
    renderer.kill();
    renderer = null;
  }
  if (hide) $("#webgl").hidden = true;
}
