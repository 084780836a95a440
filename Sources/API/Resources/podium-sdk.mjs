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
  if (!response.ok) {
    let message = `${response.status} ${response.statusText}`;
    try { message = (await response.json()).error.message; } catch (ignored) {}
    throw new Error(`${path}: ${message}`);
  }
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
