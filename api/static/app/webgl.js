/* Big views drawn with WebGL: sigma.js over a graphology graph (both vendored, globals `Sigma` and
   `graphology`). One SVG element per node is what makes a view of tens of thousands of clients slow to
   draw and to move; sigma draws them all in a few GPU calls. The positions, colours and sizes are the
   SVG drawing's (draw.js), so the two renderers show the same picture; exports stay SVG. */

import { $ } from "./state.js";

const EDGE_COLOUR = "#c5ccd6";
const SELECTED_COLOUR = "#111111";
// A wheel notch zooms by sigma's own step; the camera takes the move once the wheel has rested this long.
const ZOOM_STEP = 1.7;
const SETTLE_MS = 180;
// A press that moves less than this (px) is a click, not a drag.
const DRAG_FROM = 3;

let renderer = null;
let selected = "";
let preview = { stop() {}, drop() {} };

export function webglAvailable() {
  return Boolean(window.Sigma && window.graphology) && canDrawWebgl();
}

let hasWebgl = null; // asked once: each probe makes a WebGL context, and a page may hold only so many

function canDrawWebgl() {
  if (hasWebgl === null) {
    try {
      hasWebgl = Boolean(document.createElement("canvas").getContext("webgl"));
    } catch {
      hasWebgl = false;
    }
  }
  return hasWebgl;
}

// Sigma is loaded only where WebGL is: its bundle makes a WebGL context as it loads, and throws in a
// browser without one (the page then draws every view in SVG). Settles once the script has run, or failed.
export function loadWebgl() {
  if (window.Sigma || !canDrawWebgl()) return Promise.resolve();
  return new Promise((resolve) => {
    const script = document.createElement("script");
    script.src = "/static/vendor/sigma/sigma.min.js";
    script.onload = resolve;
    script.onerror = resolve; // no sigma: the views stay SVG
    document.head.append(script);
  });
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
    // Links as one-pixel lines and nodes as round points: a vertex or two each instead of a rectangle of
    // six and a triangle, the same picture at these sizes. Without a GPU the first paint of 100,000
    // nodes and links takes half the time, and a redraw a quarter (bench/RESULTS.md).
    defaultEdgeType: "fine",
    edgeProgramClasses: { fine: Sigma.rendering.EdgeLineProgram },
    defaultNodeType: "dot",
    nodeProgramClasses: { dot: Sigma.rendering.NodePointProgram },
    nodeReducer: (id, attrs) =>
      id === selected ? { ...attrs, color: SELECTED_COLOUR, size: attrs.size * 1.6 + 2, zIndex: 1, forceLabel: true, highlighted: true } : attrs,
  });
  renderer.on("clickNode", ({ node }) => box.dispatchEvent(new CustomEvent("pick", { detail: { id: node } })));
  renderer.on("clickStage", () => box.dispatchEvent(new CustomEvent("clear")));
  preview = previewMoves(renderer, box);
  return renderer;
}

// Zoom and drag move the picture already drawn, then the camera once.
//
// Sigma redraws every node on each frame of a zoom or a drag. Without a GPU (software WebGL) one such
// frame of 100,000 nodes took 1–3 s with sigma's default programs and still takes ~0.1 s with the
// lines and points above: longer than a frame, so the view stuttered while it moved. Here a wheel notch
// or a drag moves sigma's drawn layers by a CSS transform, which the compositor applies at frame rate
// (as a map scales the tiles it has until the new ones come); when the wheel rests or the drag ends, the
// camera takes the place the transform shows and sigma draws the view once, sharp (its links a frame
// after its nodes: `splitDraw`). Touch gestures stay sigma's.
// #webgl's data-moves counts the moves the camera took, data-camera holds its state (x, y, ratio).
function previewMoves(sigma, box) {
  const captor = sigma.getMouseCaptor();
  let scale = 1; // what the transform shows: a point p of the drawn picture is at scale·p + (tx, ty)
  let tx = 0;
  let ty = 0;
  let settle = 0;
  let press = null; // a mouse press: where it began and the shift shown then
  let dragged = false;

  const layers = () => box.querySelectorAll("canvas:not(.sigma-mouse)");
  const links = box.querySelector("canvas.sigma-edges");
  const linksLater = splitDraw(sigma, links);
  let linksDue = 0; // the frame that draws the links after a move's nodes
  const drawLinks = () => {
    cancelAnimationFrame(linksDue);
    linksDue = 0;
    linksLater.draw();
    links.style.transform = "";
  };
  const show = () => {
    const moved = scale !== 1 || tx !== 0 || ty !== 0;
    if (moved && linksDue) drawLinks(); // a new move: the links first take the last one's place
    const transform = moved ? `matrix(${scale}, 0, 0, ${scale}, ${tx}, ${ty})` : "";
    for (const layer of layers()) {
      if (layer === links && linksDue) continue; // drawn where the camera was, until their frame
      layer.style.transformOrigin = "0 0";
      layer.style.transform = transform;
    }
  };
  // The camera's new place, until sigma has drawn the view there: then the transform goes, in the task
  // sigma drew in, so no frame shows the picture moved twice or not at all. The links are the one layer
  // drawn a frame later (`splitDraw`): theirs goes then.
  let target = null;
  const drawn = () => {
    const camera = sigma.getCamera();
    if (linksLater.held) {
      // this draw left the links: the next frame draws them
      linksLater.held = false;
      cancelAnimationFrame(linksDue);
      linksDue = requestAnimationFrame(drawLinks);
    } else if (linksDue) {
      // sigma drew everything since (a selection, a resize): the links are in place already
      cancelAnimationFrame(linksDue);
      linksDue = 0;
      links.style.transform = "";
    }
    if (!target || camera.isAnimated()) return;
    target = null;
    show();
    box.dataset.moves = String(Number(box.dataset.moves || 0) + 1);
    box.dataset.camera = [camera.x, camera.y, camera.ratio].map((v) => v.toFixed(6)).join(",");
  };
  sigma.on("afterRender", drawn);
  // now: draw at once (a press while a zoom waits: the click that follows picks from what is shown)
  const commit = (now = false) => {
    clearTimeout(settle);
    settle = 0;
    if (scale === 1 && tx === 0 && ty === 0) return;
    const { width, height } = sigma.getDimensions();
    const camera = sigma.getCamera();
    // the point the transform shows in the middle of the view becomes the camera's centre
    const centre = sigma.viewportToFramedGraph({ x: (width / 2 - tx) / scale, y: (height / 2 - ty) / scale });
    target = { x: centre.x, y: centre.y, ratio: camera.getBoundedRatio(camera.ratio / scale) };
    scale = 1;
    tx = 0;
    ty = 0;
    if (camera.isAnimated()) {
      // a move under way (a node being brought to the middle) would undo this one with its last step: an
      // animation of a millisecond ends it
      camera.animate(target, { duration: 1 });
    } else {
      linksLater.held = linksLater.able; // this draw leaves the links as they are, moved by the transform
      camera.setState(target);
      if (now) sigma.render();
    }
  };

  // On the container, before sigma's own handler (sigma 3.0.3's wheel payload drops preventSigmaDefault:
  // it is a copy of the object the flag is set on).
  const wheel = (e) => {
    e.preventDefault();
    e.stopPropagation();
    const at = box.getBoundingClientRect();
    const x = e.clientX - at.left;
    const y = e.clientY - at.top;
    const camera = sigma.getCamera();
    const step = e.deltaY < 0 ? ZOOM_STEP : 1 / ZOOM_STEP;
    const f = camera.ratio / camera.getBoundedRatio(camera.ratio / (scale * step)) / scale; // within the camera's limits
    scale *= f;
    tx = f * (tx - x) + x;
    ty = f * (ty - y) + y;
    show();
    clearTimeout(settle);
    settle = setTimeout(commit, SETTLE_MS);
  };
  box.addEventListener("wheel", wheel, { capture: true, passive: false });
  captor.on("mousedown", (e) => {
    if (settle) commit(true); // a press while a zoom waits: the camera takes it first
    if (e.original.button !== 0) return;
    press = { x: e.x, y: e.y, tx, ty };
    dragged = false;
  });
  captor.on("mousemovebody", (e) => {
    if (!press) return;
    e.preventSigmaDefault(); // sigma does not pan: the transform does
    const dx = e.x - press.x;
    const dy = e.y - press.y;
    if (!dragged && Math.hypot(dx, dy) < DRAG_FROM) return;
    dragged = true;
    tx = press.tx + dx;
    ty = press.ty + dy;
    show();
  });
  captor.on("mouseup", () => {
    if (press && dragged) commit();
    press = null;
  });
  // the click that ends a drag is not a click on the stage (which would clear the selection)
  const swallow = (e) => {
    if (dragged) {
      dragged = false;
      e.stopPropagation();
    }
  };
  box.addEventListener("click", swallow, { capture: true });
  box.dataset.moves = "0";
  delete box.dataset.camera;
  // stop: the view is closed; drop: the camera is sent elsewhere (a node found), the move shown is let go
  const drop = () => {
    clearTimeout(settle);
    settle = 0;
    press = null;
    target = null;
    linksLater.held = false;
    if (linksDue) drawLinks();
    scale = 1;
    tx = 0;
    ty = 0;
    show();
  };
  const stop = () => {
    clearTimeout(settle);
    cancelAnimationFrame(linksDue);
    box.removeEventListener("click", swallow, { capture: true });
    box.removeEventListener("wheel", wheel, { capture: true });
  };
  return { stop, drop };
}

// The draw after a move in two frames: nodes (and labels) in the first, links in the next.
//
// Without a GPU, sigma's one draw of 100,000 nodes and links takes ~70 ms (links ~45, nodes with their
// picking layer ~30): one frame over 50 ms after each move. Each half fits a frame. While `held`, sigma's
// draw neither clears nor draws the links' layer, so it keeps showing the links drawn before the move,
// under the move's transform, which puts them where the new camera does; `draw()` then draws them alone.
// This reaches into sigma 3.0.3's own fields (its WebGL contexts, its link programs, its render
// parameters); where they are missing (`able` false) sigma draws as it always does.
function splitDraw(sigma, layer) {
  const gl = sigma.webGLContexts && sigma.webGLContexts.edges;
  const programs = sigma.edgePrograms;
  const split = { able: false, held: false, draw() {} };
  if (!layer || !gl || !programs || typeof sigma.getRenderParams !== "function") return split;
  const clear = gl.clear.bind(gl);
  gl.clear = (bits) => {
    if (!split.held) clear(bits);
  };
  for (const program of Object.values(programs)) {
    const render = program.render.bind(program);
    program.render = (params) => {
      if (!split.held) render(params);
    };
  }
  split.able = true;
  split.draw = () => {
    split.held = false;
    gl.clear(gl.COLOR_BUFFER_BIT);
    const params = sigma.getRenderParams();
    for (const program of Object.values(programs)) program.render(params);
  };
  return split;
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
    preview.drop();
    const at = renderer.getNodeDisplayData(id);
    renderer.getCamera().animate({ x: at.x, y: at.y, ratio: Math.min(renderer.getCamera().ratio, 0.15) }, { duration: 250 });
  }
}

export function closeWebgl(hide = true) {
  if (renderer) {
    preview.stop();
    renderer.kill();
    renderer = null;
  }
  if (hide) $("#webgl").hidden = true;
}
