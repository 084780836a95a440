// Types of Podium's viewer-app SDK (GET /sdk/podium.js, served with these at /sdk/podium.d.ts; docs/viewer.md).

/** A frame's overlay as the API serves it (docs/wire-format.md, FrameOverlay). */
export interface FrameOverlay {
  seq: number;
  frame: number;
  pts: number;
  timeBase: string;
  captureUTC: string;
  timecode?: string;
  dataVersion?: string;
  unit?: string;
  resultStatus?: string;
  clock: { state: "notStarted" | "running" | "stopped" | "final"; hundredths: number; display: string; startUTC?: string };
  lanes: object[];
  order: number[];
  leader?: number;
  records: object[];
  worldRecordLine?: object;
  camera?: object;
  elements: { id: string; kind: string; text: string; visible: boolean; opacity: number; [field: string]: unknown }[];
}

/** The compact in-band form of a templated job (docs/wire-format.md, The compact in-band form). */
export interface CompactPayload {
  s: number;
  f: number;
  p: number;
  u: string;
  v?: string;
  /** While the race clock runs: its start, then the ids of the elements that show it. */
  c?: string[];
  /** [id, text, opacity, geometry, values?] per element on screen. */
  e: unknown[][];
}

/** Podium's payload as read from a tag or a cue. */
export type PodiumPayload =
  | { kind: "overlay"; payload: FrameOverlay }
  | { kind: "elements"; payload: CompactPayload }
  | { kind: "summary"; payload: object };

/** What an `ograf/NAME/events` stream delivers per frame. */
export interface OGrafFrame { data: object; frame: number; seq: number; shown: boolean }

export interface FollowOptions {
  key: string;
  after?: number;
  signal?: AbortSignal;
  retrySeconds?: number;
  /** `events` (default) or `ograf/NAME/events`. */
  stream?: string;
  onFrame: (frame: FrameOverlay | OGrafFrame) => void | Promise<void>;
  onEnd?: (end: { frames: number; state: string }) => void | Promise<void>;
}

/** Follows a job's frames over SSE, resuming by itself without a gap. */
export function followJob(job: string | number, options: FollowOptions): Promise<void>;

/** A job's frames from `from` to `to` (inclusive), page by page, as aired or (`asOf: "latest"`) as corrected. */
export function fetchFrames(
  job: string | number,
  options: { key: string; from?: number; to?: number; asOf?: "aired" | "latest"; signal?: AbortSignal },
): Promise<FrameOverlay[]>;

/** The media time, in seconds, at which a `<video>` presents the first frame (0 where the browser cannot say). */
export function findOrigin(video: HTMLVideoElement): Promise<number>;

/** Maps a `<video>`'s presented frames to a job's overlays and back. */
export class FrameMapper {
  constructor(overlays: FrameOverlay[], origin: number);
  /** The overlay of the frame presented at `mediaTime`, or null without overlays. */
  overlayAt(mediaTime: number): FrameOverlay | null;
  /** The media time to seek to for the frame at `index` (its middle). */
  mediaTimeOf(index: number): number;
}

/** Calls `onFrame` with the media time of every presented frame; returns a function that stops. */
export function onPresentedFrame(video: HTMLVideoElement, onFrame: (mediaTime: number) => void): () => void;

/** Podium's payload in a timed-ID3 tag (hls.js `FRAG_PARSING_METADATA` sample data, emsg message data), or null. */
export function readID3(bytes: Uint8Array | ArrayBuffer): PodiumPayload | null;

/** Podium's payload in a `metadata` TextTrack cue (a `DataCue` whose value is `{key: "TXXX", info, data}`), or null. */
export function readCue(cue: { value?: { key?: string; info?: string; data?: string | ArrayBuffer | Uint8Array }; data?: ArrayBuffer }): PodiumPayload | null;

/** What a frame captured at `captureUTC` shows, from the last payload at or before it (its running clock advanced). */
export function stateAt<P extends FrameOverlay | CompactPayload>(payload: P, captureUTC: string | Date): P;

/** A race time as Podium's clock shows it: `8.31`, `1:47.92`. */
export function raceTimeDisplay(hundredths: number): string;
