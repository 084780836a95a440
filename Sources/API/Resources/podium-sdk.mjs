// Podium's viewer-app SDK (docs/viewer.md): a dependency-free ES module served at /sdk/podium.js.
// Podium's own pages (the viewer, the OGraf host) are its first clients.

/**
 * Follows a job's frames as Server-Sent Events, read with fetch so the API key travels in a
 * header, never in a URL. Calls `onFrame` with each frame's overlay, once each and in order, and
 * `onEnd` with the end event's data (`{frames, state}`) when the job ends; then returns.
 *
 * Resumes by itself without a gap: when the connection breaks (after `retrySeconds`, doubling to
 * 10 s), and when the server lets a client that fell too far behind go (`dropped`, which says
 * where to resume). `after` starts after that frame's sequence number. Stops when `signal`
 * aborts. A refusal (an answer other than 200, a revoked key) is thrown as an Error naming the
 * path and the API's message. `stream` is the job's event stream to follow: `events` (the
 * frames' overlays), or `ograf/NAME/events` (each frame mapped to a designer's OGraf graphic's
 * data, `{data, frame, seq, shown}`; docs/ograf.md).
 *
 * @param {string|number} job
 * @param {{key: string, after?: number, signal?: AbortSignal, retrySeconds?: number, stream?: string,
 *          onFrame: (overlay: object) => (void|Promise<void>), onEnd?: (end: object) => (void|Promise<void>)}} options
 */
export async function followJob(job, { key, after, signal, retrySeconds = 0.5, stream = "events", onFrame, onEnd }) {
  let last = after ?? null;
  let wait = retrySeconds;
  for (;;) {
    const outcome = await readEvents(job, stream, key, last, signal, async (seq, overlay) => {
      if (last !== null && seq <= last) return; // already delivered before a reconnection
      last = seq;
      wait = retrySeconds;
      await onFrame(overlay);
    });
    if (outcome.event === "end") {
      if (onEnd) await onEnd(outcome.data);
      return;
    }
    if (outcome.event === "revoked") throw new Error(`/v1/jobs/${job}/${stream}: ${outcome.data.reason || "the API key was revoked"}`);
    if (outcome.event === "dropped") {
      last = Math.max(last ?? -1, outcome.data.resumeAfter ?? -1);
      continue;
    }
    // The stream broke off: try again after a pause, from the last frame delivered.
    if (signal && signal.aborted) return;
    await new Promise((resolve) => setTimeout(resolve, wait * 1000));
    wait = Math.min(10, wait * 2);
  }
}

/** One connection: frames to `deliver` until an end, dropped or revoked event (returned) or the stream's close (`{event: null}`). */
async function readEvents(job, stream, key, after, signal, deliver) {
  const query = after === null ? "" : `?after=${encodeURIComponent(after)}`;
  const path = `/v1/jobs/${encodeURIComponent(job)}/${stream}${query}`;
  let response;
  try {
    response = await fetch(path, { headers: { Authorization: "Bearer " + key }, signal });
  } catch (error) {
    if (signal && signal.aborted) throw error;
    return { event: null };
  }
  if (!response.ok) throw await refusal(path, response);
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let buffered = "";
  for (;;) {
    let chunk;
    try {
      chunk = await reader.read();
    } catch (error) {
      if (signal && signal.aborted) throw error;
      return { event: null };
    }
    if (chunk.done) return { event: null };
    buffered += decoder.decode(chunk.value, { stream: true });
    let end;
    while ((end = buffered.indexOf("\n\n")) >= 0) {
      const lines = buffered.slice(0, end).split("\n");
      buffered = buffered.slice(end + 2);
      const field = (name) => lines.filter((line) => line.startsWith(name + ": ")).map((line) => line.slice(name.length + 2)).join("\n");
      const event = field("event"), data = field("data");
      if (event === "frame" && data) await deliver(Number(field("id")), JSON.parse(data));
      else if (event === "end" || event === "dropped" || event === "revoked") return { event, data: data ? JSON.parse(data) : {} };
    }
  }
}

/** An Error naming the path and the API's message for an answer other than 200. */
async function refusal(path, response) {
  let message = `${response.status} ${response.statusText}`;
  try { message = (await response.json()).error.message; } catch (ignored) {}
  return new Error(`${path}: ${message}`);
}

// ---- A job's frames, and which of them a <video> presents ----

/**
 * The frames of a job from `from` to `to` (inclusive; defaults: the first and the last), page by
 * page, as aired (`asOf: "latest"`: as corrected). A refusal is thrown as followJob throws it.
 *
 * @param {string|number} job
 * @param {{key: string, from?: number, to?: number, asOf?: "aired"|"latest", signal?: AbortSignal}} options
 * @returns {Promise<object[]>}
 */
export async function fetchFrames(job, { key, from = 0, to, asOf, signal }) {
  const frames = [];
  let next = from;
  while (next !== null && next !== undefined) {
    const query = new URLSearchParams({ from: String(next) });
    if (to !== undefined) query.set("to", String(to));
    if (asOf) query.set("asOf", asOf);
    const path = `/v1/jobs/${encodeURIComponent(job)}/frames?${query}`;
    const response = await fetch(path, { headers: { Authorization: "Bearer " + key }, signal });
    if (!response.ok) throw await refusal(path, response);
    const page = await response.json();
    frames.push(...page.frames);
    next = page.next;
  }
  return frames;
}

/**
 * Where the first frame sits on a `<video>`'s timeline, in seconds of media time. Players differ:
 * Chromium puts an MP4's first frame at its PTS (Podium's renditions keep the recording's
 * timestamps) and starts an HLS timeline at zero. So this seeks to the start and notes the media
 * time of the frame presented; 0 where the browser cannot say (no `requestVideoFrameCallback`),
 * or when no frame is presented within 3 s.
 *
 * @param {HTMLVideoElement} video
 * @returns {Promise<number>}
 */
export function findOrigin(video) {
  if (!("requestVideoFrameCallback" in HTMLVideoElement.prototype)) return Promise.resolve(0);
  return new Promise((resolve) => {
    const fallback = setTimeout(() => resolve(0), 3000);
    video.requestVideoFrameCallback((now, metadata) => { clearTimeout(fallback); resolve(metadata.mediaTime); });
    video.currentTime = 0;
  });
}

/**
 * Maps a `<video>`'s presented frames to a job's overlays and back. `overlays` are the frames in
 * order from the first the video holds (`fetchFrames`); `origin` is `findOrigin`'s answer.
 */
export class FrameMapper {
  /** @param {object[]} overlays @param {number} origin */
  constructor(overlays, origin) {
    this.overlays = overlays;
    this.origin = origin;
    const [num, den] = overlays.length ? overlays[0].timeBase.split("/").map(Number) : [1, 1];
    this.secondsPerTick = num / den;
  }

  /**
   * The overlay of the frame presented at `mediaTime` (the `mediaTime` of
   * `requestVideoFrameCallback`'s metadata, or `currentTime`): the frame whose PTS is nearest,
   * counted from the first frame. Null when there are no overlays.
   *
   * @param {number} mediaTime
   * @returns {object|null}
   */
  overlayAt(mediaTime) {
    const overlays = this.overlays;
    if (overlays.length === 0) return null;
    const pts = overlays[0].pts + (mediaTime - this.origin) / this.secondsPerTick;
    let low = 0, high = overlays.length - 1;
    while (low < high) {
      const middle = (low + high) >> 1;
      if (overlays[middle].pts < pts) low = middle + 1; else high = middle;
    }
    if (low > 0 && Math.abs(overlays[low - 1].pts - pts) <= Math.abs(overlays[low].pts - pts)) low -= 1;
    return overlays[low];
  }

  /**
   * The media time to seek to so that the frame at `index` of the overlays is presented: its
   * middle, so rounding in the player cannot land on a neighbour.
   *
   * @param {number} index
   * @returns {number}
   */
  mediaTimeOf(index) {
    const overlays = this.overlays, frame = overlays[index], next = overlays[index + 1] || frame;
    const start = this.origin + (frame.pts - overlays[0].pts) * this.secondsPerTick;
    return start + Math.max(0, (next.pts - frame.pts) * this.secondsPerTick / 2);
  }
}

/**
 * Calls `onFrame(mediaTime)` for every frame a `<video>` presents (`requestVideoFrameCallback`),
 * or on `timeupdate` and `seeked` where the browser has no frame callback. Returns a function
 * that stops it.
 *
 * @param {HTMLVideoElement} video
 * @param {(mediaTime: number) => void} onFrame
 * @returns {() => void}
 */
export function onPresentedFrame(video, onFrame) {
  let stopped = false;
  if ("requestVideoFrameCallback" in HTMLVideoElement.prototype) {
    let handle;
    const next = (now, metadata) => {
      if (stopped) return;
      onFrame(metadata.mediaTime);
      handle = video.requestVideoFrameCallback(next);
    };
    handle = video.requestVideoFrameCallback(next);
    return () => { stopped = true; video.cancelVideoFrameCallback(handle); };
  }
  const listener = () => onFrame(video.currentTime);
  video.addEventListener("timeupdate", listener);
  video.addEventListener("seeked", listener);
  return () => { video.removeEventListener("timeupdate", listener); video.removeEventListener("seeked", listener); };
}

// ---- Podium's in-band payloads, as a player hands them to the app ----

/** The TXXX descriptions Podium writes: the full overlay, the compact elements, the over-budget summary. */
const DESCRIPTIONS = { "com.podium.overlay": "overlay", "com.podium.elements": "elements", "com.podium.summary": "summary" };

/**
 * Podium's payload in a timed-ID3 tag: the bytes hls.js gives in `FRAG_PARSING_METADATA`
 * (`data.samples[i].data`), or an `emsg` box's message data. Returns `{kind, payload}` (`kind`:
 * `overlay`, `elements` or `summary`; `payload` the parsed JSON), or null when the tag holds
 * none of Podium's. Throws an Error naming what is wrong with a tag that is not ID3v2.3/2.4.
 *
 * @param {Uint8Array|ArrayBuffer} bytes
 * @returns {{kind: string, payload: object}|null}
 */
export function readID3(bytes) {
  let tag = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  if (tag.length < 10 || tag[0] !== 0x49 || tag[1] !== 0x44 || tag[2] !== 0x33) throw new Error("not an ID3 tag (no ID3 header)");
  const version = tag[3], flags = tag[5];
  if (version !== 3 && version !== 4) throw new Error(`ID3v2.${version} is not read (2.3 and 2.4 are)`);
  const end = Math.min(tag.length, 10 + syncsafe(tag, 6));
  let body = tag.subarray(10, end);
  if (flags & 0x80) body = withoutUnsynchronisation(body);
  let index = 0;
  if (flags & 0x40) index = version === 4 ? syncsafe(body, 0) : 4 + bigEndian(body, 0);
  while (index + 10 <= body.length && body[index] !== 0) {
    const id = String.fromCharCode(body[index], body[index + 1], body[index + 2], body[index + 3]);
    const size = version === 4 ? syncsafe(body, index + 4) : bigEndian(body, index + 4);
    const content = body.subarray(index + 10, index + 10 + size);
    index += 10 + size;
    if (id !== "TXXX" || content.length < 2) continue;
    const text = decodeText(content[0], content.subarray(1));
    if (text === null) continue;
    const split = text.indexOf("\u0000");
    const found = readText(split < 0 ? text : text.slice(0, split), split < 0 ? "" : text.slice(split + 1).replace(/\u0000+$/, ""));
    if (found) return found;
  }
  return null;
}

/**
 * Podium's payload in a cue of a `metadata` TextTrack (Safari and AVPlayer-based players give
 * ID3 frames as `DataCue`s whose `value` is `{key: "TXXX", info, data}`), or null when the cue
 * holds none of Podium's. A cue whose `data` is the tag's bytes is read as `readID3` reads them.
 *
 * @param {{value?: {key?: string, info?: string, data?: string|ArrayBuffer|Uint8Array}, data?: ArrayBuffer}} cue
 * @returns {{kind: string, payload: object}|null}
 */
export function readCue(cue) {
  const value = cue && cue.value;
  if (value && value.key === "TXXX" && typeof value.data === "string") return readText(value.info, value.data);
  if (value && (value.data instanceof ArrayBuffer || value.data instanceof Uint8Array)) return readID3(value.data);
  if (cue && cue.data instanceof ArrayBuffer) return readID3(cue.data);
  return null;
}

/**
 * What a frame shows, from the last payload at or before it: with cues on change (Podium's HLS
 * by default) most frames carry no tag, and a running race clock is the only thing that moves
 * between tags. Returns a copy of `payload` (compact or full) with the running clock read at the
 * frame's capture time, ⌊(captureUTC − start) × 100⌋ hundredths and never below 0, in the clock
 * and in the elements that show it, and `u` / `captureUTC` set to the frame's; the other frame
 * keys stay the tag's. `captureUTC` is the frame's ISO 8601 time (microseconds are kept), or a
 * `Date` (a player's program-date-time mapping, to the millisecond).
 *
 * @param {object} payload
 * @param {string|Date} captureUTC
 * @returns {object}
 */
export function stateAt(payload, captureUTC) {
  const at = typeof captureUTC === "string" ? captureUTC : captureUTC.toISOString().replace("Z", "000Z");
  if (Array.isArray(payload.e)) {
    const state = { ...payload, u: at };
    if (Array.isArray(payload.c) && payload.c.length >= 2) {
      const shown = raceTimeDisplay(elapsedHundredths(payload.c[0], at));
      const ids = new Set(payload.c.slice(1));
      state.e = payload.e.map((element) => (ids.has(element[0]) ? [element[0], shown, ...element.slice(2)] : element));
    }
    return state;
  }
  const clock = payload.clock;
  if (!clock || clock.state !== "running" || !clock.startUTC) return { ...payload, captureUTC: at };
  const hundredths = elapsedHundredths(clock.startUTC, at), display = raceTimeDisplay(hundredths);
  const elements = (payload.elements || []).map((element) =>
    element.kind === "clock" && element.visible && element.text === clock.display ? { ...element, text: display } : element);
  return { ...payload, captureUTC: at, clock: { ...clock, hundredths, display }, elements };
}

/**
 * A race time as Podium's clock shows it: `0.00`, `8.31`, `1:47.92`, `1:02:03.04`.
 *
 * @param {number} hundredths
 * @returns {string}
 */
export function raceTimeDisplay(hundredths) {
  const total = Math.max(0, Math.floor(hundredths));
  const two = (value) => String(value).padStart(2, "0");
  const fraction = total % 100, seconds = Math.floor(total / 100) % 60, minutes = Math.floor(total / 6000) % 60, hours = Math.floor(total / 360000);
  if (hours > 0) return `${hours}:${two(minutes)}:${two(seconds)}.${two(fraction)}`;
  if (minutes > 0) return `${minutes}:${two(seconds)}.${two(fraction)}`;
  return `${seconds}.${two(fraction)}`;
}

function readText(description, value) {
  const kind = DESCRIPTIONS[description];
  if (!kind) return null;
  return { kind, payload: JSON.parse(value) };
}

/** Whole hundredths from `start` to `at` (ISO 8601), truncated, at least 0; exact to the microsecond. */
function elapsedHundredths(start, at) {
  const micros = microseconds(at) - microseconds(start);
  return micros <= 0n ? 0 : Number(micros / 10000n);
}

function microseconds(iso) {
  const match = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?Z$/.exec(iso);
  if (!match) throw new Error(`not an ISO 8601 UTC instant: ${iso}`);
  const seconds = BigInt(Date.parse(match[1] + "Z") / 1000);
  return seconds * 1000000n + BigInt((match[2] || "").padEnd(6, "0").slice(0, 6));
}

function syncsafe(bytes, at) {
  return ((bytes[at] & 0x7f) << 21) | ((bytes[at + 1] & 0x7f) << 14) | ((bytes[at + 2] & 0x7f) << 7) | (bytes[at + 3] & 0x7f);
}

function bigEndian(bytes, at) {
  return ((bytes[at] << 24) >>> 0) + (bytes[at + 1] << 16) + (bytes[at + 2] << 8) + bytes[at + 3];
}

/** The tag with each 0xFF 0x00 turned back into 0xFF (ID3v2 unsynchronisation). */
function withoutUnsynchronisation(bytes) {
  const out = [];
  for (let i = 0; i < bytes.length; i++) {
    out.push(bytes[i]);
    if (bytes[i] === 0xff && bytes[i + 1] === 0x00) i++;
  }
  return Uint8Array.from(out);
}

/** A text frame's text by its encoding byte (0 Latin-1, 1 UTF-16 with BOM, 2 UTF-16BE, 3 UTF-8); null for another. */
function decodeText(encoding, bytes) {
  switch (encoding) {
    case 0: return new TextDecoder("latin1").decode(bytes);
    case 1: return new TextDecoder("utf-16").decode(bytes).replace(/\ufeff/g, "");
    case 2: return new TextDecoder("utf-16be").decode(bytes);
    case 3: return new TextDecoder("utf-8").decode(bytes);
    default: return null;
  }
}
