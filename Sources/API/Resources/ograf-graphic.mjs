// Podium's OGraf v1 graphic (docs/ograf.md): draws one frame's overlay, as Podium's API serves it
// (`FrameOverlay`: each template element's text, rectangle or projected points, visibility and
// fade, already computed for that frame), with plain DOM elements, so any OGraf renderer (SPX,
// CasparCG's HTML producer, a browser) shows what Podium's own previews show.
//
// Real time: `load` and `updateAction` take a frame's overlay as `data`; `playAction` shows the
// graphic, `stopAction` hides it; the custom actions `startClock` / `stopClock` run the clock
// element locally between updates. Non-real time: `setActionsSchedule` takes the actions at their
// times (milliseconds), and `goToTime` draws the state at a time, the same every time it is asked.

/** A race time as Podium writes it: s.hh, m:ss.hh or h:mm:ss.hh. */
function displayTime(hundredths) {
  const total = Math.max(0, Math.floor(hundredths));
  const two = (n) => String(n).padStart(2, "0");
  const fraction = total % 100, seconds = Math.floor(total / 100) % 60;
  const minutes = Math.floor(total / 6000) % 60, hours = Math.floor(total / 360000);
  if (hours > 0) return `${hours}:${two(minutes)}:${two(seconds)}.${two(fraction)}`;
  if (minutes > 0) return `${minutes}:${two(seconds)}.${two(fraction)}`;
  return `${seconds}.${two(fraction)}`;
}

/** A fresh answer each time: a host may keep or change what it is given. */
const ok = () => ({ statusCode: 200 });

class PodiumGraphic extends HTMLElement {
  constructor() {
    super();
    this.reset();
  }

  /** Nothing loaded, nothing shown, no clock running. */
  reset() {
    this.initial = null;
    this.overlay = null;
    this.shown = false;
    this.clock = null; // { hundredths, since } while the clock runs locally
    this.schedule = [];
    this.realTime = true;
    this.now = 0; // milliseconds: the renderer's time (non-real time) or the page's (real time)
  }

  /** The current time for the local clock. */
  time() {
    return this.realTime ? performance.now() : this.now;
  }

  async load(params = {}) {
    this.realTime = params.renderType !== "non-realtime";
    this.initial = params.data ?? null;
    this.overlay = this.initial;
    this.style.position = "absolute";
    this.style.inset = "0";
    this.style.overflow = "hidden";
    this.style.pointerEvents = "none";
    this.draw();
    return ok();
  }

  async dispose() {
    if (this.ticker) cancelAnimationFrame(this.ticker);
    this.ticker = null;
    this.replaceChildren();
    this.reset();
    return ok();
  }

  async updateAction(params = {}) {
    return this.drawn(this.apply("updateAction", params));
  }

  async playAction(params = {}) {
    return this.drawn(this.apply("playAction", params));
  }

  async stopAction(params = {}) {
    return this.drawn(this.apply("stopAction", params));
  }

  async customAction(params = {}) {
    return this.drawn(this.apply("customAction", params));
  }

  async setActionsSchedule(params = {}) {
    this.schedule = [...(params.schedule ?? [])].sort((a, b) => a.timestamp - b.timestamp);
    return {};
  }

  async goToTime(params = {}) {
    const target = Number(params.timestamp);
    if (!Number.isFinite(target)) return { statusCode: 400, statusMessage: "timestamp must be a number of milliseconds" };
    // From the loaded state, every action due by then, in order, drawn once: the same picture
    // for the same time, whatever was asked before.
    this.overlay = this.initial;
    this.shown = false;
    this.clock = null;
    for (const entry of this.schedule) {
      if (entry.timestamp > target) break;
      this.now = entry.timestamp;
      this.apply(entry.action?.type, entry.action?.params ?? {});
    }
    this.now = target;
    this.draw();
    return ok();
  }

  /** Draws, then answers with `result`. */
  drawn(result) {
    this.draw();
    return result;
  }

  /** What an action changes, without drawing; its answer. */
  apply(type, params) {
    switch (type) {
      case "updateAction": {
        this.overlay = params.data ?? null;
        // A clock that has stopped in the data (a touch, the end) stops running here too.
        const state = this.overlay?.clock?.state;
        if (this.clock && (state === "stopped" || state === "final")) this.clock = null;
        return ok();
      }
      case "playAction":
        this.shown = true;
        return { statusCode: 200, currentStep: 0 };
      case "stopAction":
        this.shown = false;
        return ok();
      case "customAction":
        if (params.id === "startClock") {
          const hundredths = Number(params.payload?.hundredths ?? this.overlay?.clock?.hundredths ?? 0);
          if (!Number.isFinite(hundredths) || hundredths < 0) return { statusCode: 400, statusMessage: "hundredths must be a number of at least 0" };
          this.clock = { hundredths, since: this.time() };
          this.tick();
          return ok();
        }
        if (params.id === "stopClock") {
          if (this.clock) this.clock = { hundredths: this.clockHundredths(), since: null };
          return ok();
        }
        return { statusCode: 404, statusMessage: `no custom action ${params.id}` };
      default:
        return { statusCode: 400, statusMessage: `no action ${type}` };
    }
  }

  /** The local clock's reading now, in hundredths. */
  clockHundredths() {
    if (!this.clock) return null;
    if (this.clock.since === null) return this.clock.hundredths;
    return this.clock.hundredths + Math.floor((this.time() - this.clock.since) / 10);
  }

  /** In real time, redraws while the clock runs locally. */
  tick() {
    if (!this.realTime || this.ticker) return;
    const step = () => {
      this.ticker = null;
      if (!this.clock || this.clock.since === null) return;
      this.draw();
      this.ticker = requestAnimationFrame(step);
    };
    this.ticker = requestAnimationFrame(step);
  }

  /** Draws the overlay's elements: plates for screen rectangles, lines and tags at projected points. */
  draw() {
    const height = this.clientHeight || 1080;
    const drawn = [];
    const running = this.clockHundredths();
    for (const element of (this.shown && this.overlay?.elements) || []) {
      if (!(element.opacity > 0)) continue;
      const text = element.kind === "clock" && running !== null ? displayTime(running) : element.text;
      if (element.rect && element.rect.length === 4) {
        const [x, y, w, h] = element.rect;
        if (element.visible && element.screen && element.screen.length === 1) drawn.push(this.leader(element, height));
        drawn.push(this.plate(element, text, { left: x, top: y, width: w, height: h }, h * height));
      } else if (element.visible && element.screen && element.screen.length >= 2) {
        drawn.push(this.line(element, text));
      } else if (element.visible && element.screen && element.screen.length === 1) {
        const [x, y] = element.screen[0];
        const tag = this.plate(element, text, { left: x, top: y - 0.06 }, 0.05 * height);
        tag.style.transform = "translateX(-50%)";
        drawn.push(tag);
      }
    }
    this.replaceChildren(...drawn);
    // Text wider than its plate is made smaller to fit, as Podium's previews fit it.
    for (const node of drawn) {
      if (node.dataset.fit && node.scrollWidth > node.clientWidth && node.clientWidth > 0) {
        node.style.fontSize = `${parseFloat(node.style.fontSize) * node.clientWidth / node.scrollWidth}px`;
      }
    }
  }

  /** A dark plate with white text, placed in fractions of the frame; a text of several lines
   * (a result board) shares the plate's height among them. */
  plate(element, text, box, plateHeight) {
    const node = document.createElement("div");
    node.dataset.id = element.id;
    node.className = `podium-${element.kind}`;
    node.textContent = text;
    const lines = Math.max(1, text.split("\n").filter((line) => line.length > 0).length);
    const lineHeight = Math.max(1, plateHeight / lines);
    const percent = (value) => `${(value * 100).toFixed(4)}%`;
    Object.assign(node.style, {
      position: "absolute", left: percent(box.left), top: percent(box.top), boxSizing: "border-box",
      padding: `0 ${lineHeight * 0.25}px`, background: "rgba(10, 15, 31, 0.78)", color: "#fff", borderRadius: `${lineHeight * 0.15}px`,
      font: `bold ${lineHeight * 0.55}px "DejaVu Sans", sans-serif`, lineHeight: `${lineHeight}px`,
      whiteSpace: "pre", overflow: "hidden", opacity: String(element.opacity),
    });
    if (box.width !== undefined) {
      node.style.width = percent(box.width);
      node.dataset.fit = "width";
    }
    if (box.height !== undefined) node.style.height = percent(box.height);
    return node;
  }

  /** A lane tag laid out away from its point: a leader line from the point to the nearest edge
   * of its label, and a dot on the point. */
  leader(element, height) {
    const svgNS = "http://www.w3.org/2000/svg";
    const svg = this.overlaySVG(element, "podium-leader");
    // Named apart from the label, so that `[data-id]` finds each element's text once.
    delete svg.dataset.id;
    svg.dataset.leader = element.id;
    const [px, py] = element.screen[0];
    const [x, y, w, h] = element.rect;
    const line = document.createElementNS(svgNS, "line");
    const end = [Math.min(Math.max(px, x), x + w), py < y ? y : py > y + h ? y + h : y + h / 2];
    for (const [name, value] of [["x1", px], ["y1", py], ["x2", end[0]], ["y2", end[1]]]) line.setAttribute(name, String(value));
    // Sized from the frame's height as Podium's previews draw it; the dot is a zero-length line with round caps.
    const dot = document.createElementNS(svgNS, "line");
    for (const [name, value] of [["x1", px], ["y1", py], ["x2", px], ["y2", py]]) dot.setAttribute(name, String(value));
    for (const [shape, width, cap] of [[line, Math.max(1, height * 0.003), "butt"], [dot, 2 * Math.max(1.5, height * 0.005), "round"]]) {
      shape.setAttribute("stroke", "rgba(255, 255, 255, 0.9)");
      shape.setAttribute("stroke-width", String(width));
      shape.setAttribute("stroke-linecap", cap);
      shape.setAttribute("vector-effect", "non-scaling-stroke");
    }
    svg.append(line, dot);
    return svg;
  }

  /** An SVG covering the frame in fractions of it (viewBox 0 0 1 1), for drawing at projected points. */
  overlaySVG(element, className) {
    const svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
    svg.dataset.id = element.id;
    svg.setAttribute("class", className);
    svg.setAttribute("viewBox", "0 0 1 1");
    svg.setAttribute("preserveAspectRatio", "none");
    Object.assign(svg.style, { position: "absolute", inset: "0", width: "100%", height: "100%", opacity: String(element.opacity) });
    return svg;
  }

  /** A line through projected points (the world-record line), with its text as a label. */
  line(element, text) {
    const svgNS = "http://www.w3.org/2000/svg";
    const svg = this.overlaySVG(element, `podium-${element.kind}`);
    const path = document.createElementNS(svgNS, "polyline");
    path.setAttribute("points", element.screen.map(([x, y]) => `${x},${y}`).join(" "));
    path.setAttribute("fill", "none");
    path.setAttribute("stroke", "rgb(255, 212, 0)");
    path.setAttribute("stroke-width", "3");
    path.setAttribute("vector-effect", "non-scaling-stroke");
    const label = document.createElementNS(svgNS, "title");
    label.textContent = text;
    svg.append(label, path);
    return svg;
  }
}

export default PodiumGraphic;
