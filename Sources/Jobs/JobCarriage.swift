import Foundation
import Logging
import MediaFormats
import Overlay
import Pipeline
import Store
import Synchronization

/// The per-frame work of one job: the documents that reached it, the frame's overlay as known
/// when it aired, its record in the store, the corrections a later document makes, and the
/// carriage that goes in band. A recording's frames come to it on the carry thread, a live
/// input's on the reading thread; what it keeps between frames sits behind one `Mutex`, so the
/// compiler checks that no two threads touch it at once.
final class JobCarriage: FrameCarrying {
    /// What the frames change as they go.
    private struct State {
        var airing: AiringTimeline
        var renderers: OverlayRenderers
        var metrics: JobMetrics
        var folder: FolderPoll?
        var markers = RaceMarkerDetector()
        var windows = RaceWindowTracker()
        var jsonWriter = FrameJSONWriter()
        var correctionJSON = FrameJSONWriter()
        /// Frames whose overlay changed when every document was known.
        var corrected = 0
        /// Where the frames that aired while documents could still arrive change in how many
        /// documents they knew (it only grows): the frames themselves are read back from the
        /// store when the job ends, so a channel that runs for days holds a few entries, not
        /// every frame it aired.
        var airedKnowing: [(fromSeq: Int, known: Int)] = []
        /// The video time base and a frame's duration, to rebuild a stored frame's timing.
        var airedTiming: (timeBase: Rational, frameDuration: Rational)?
    }

    private let state: Mutex<State>
    private let jobID: Int64
    private let store: SQLiteStore
    private let frameWriter: FrameStoreWriter
    private let feedInbox: DocumentInbox?
    private let camera: CameraTrack?
    private let carriers: Carriers
    /// Whether an output sends cues on change, so each frame's `CueSignature` is needed.
    private let signsCues: Bool
    /// A templated job carries the compact elements in band; the full state is in the store and the API.
    private let compact: Bool
    private let log: Logger
    /// The time of day, for how far behind capture a live frame is carried.
    private let wallClock: any WallClock

    /// The carriage of job `jobID`, whose documents so far make `airing`.
    init(job: EnrichmentJob, jobID: Int64, airing: AiringTimeline, folder: FolderPoll?, log: Logger) {
        state = Mutex(State(
            airing: airing, renderers: OverlayRenderers(template: job.template, lens: job.lens), metrics: JobMetrics(jobID: jobID), folder: folder
        ))
        self.jobID = jobID
        store = job.store
        frameWriter = FrameStoreWriter(store: job.store, jobID: jobID, batchSize: EnrichmentJob.storeBatch)
        feedInbox = if case .feed(_, let inbox) = job.results { inbox } else { nil }
        camera = job.camera
        wallClock = job.clock.wallClock
        carriers = job.settings.carriers
        signsCues = job.settings.carriers.contains(.id3) && job.outputs.contains { job.settings.cueMode(for: $0) == .onChange }
        compact = job.template != nil
        self.log = log
    }

    func carry(_ timing: FrameTiming, _ frame: IngestFrame, knownAt: UTCInstant) throws -> FrameCarriage {
        try state.withLock { state in try carry(timing, frame, knownAt: knownAt, in: &state) }
    }

    private func carry(_ timing: FrameTiming, _ frame: IngestFrame, knownAt: UTCInstant, in state: inout State) throws -> FrameCarriage {
        let live = frame.video.arrival != nil
        takeNewDocuments(live: live, at: knownAt, in: &state)
        state.metrics.frameCarried(behind: live ? Double(wallClock.now().seconds(since: timing.captureStart)) : nil, arrivalClock: frame.arrivalClock)
        let pose = camera?.pose(forCaptureAt: timing.captureStart)
        let known = state.airing.knownCount(at: knownAt)
        let shown = state.renderers.overlay(timing, pose: pose, known: known, airing: &state.airing)
        // A templated job carries the compact form: the full JSON is then written on the store's thread.
        let json = compact ? nil : state.jsonWriter.json(for: shown)
        try frameWriter.append(shown, json: json, captureStart: timing.captureStart)
        // A frame that aired with every document is its own latest state unless documents can
        // still arrive (a live input, or any job the feeds serve): nothing to remember for it. A
        // recording read from a results folder knows every document already, so its frame is
        // corrected now (on the carry thread); the others are when the job ends.
        if !live, feedInbox == nil {
            if known < state.airing.documentCount { try correct(timing, pose: pose, aired: shown, in: &state) }
        } else {
            if state.airedKnowing.last?.known != known { state.airedKnowing.append((timing.sequence, known)) }
            if state.airedTiming == nil { state.airedTiming = (timing.pts.timeBase, timing.captureEnd.seconds(since: timing.captureStart)) }
        }
        return try FrameCarriage(
            InBandPayload(for: shown, compact: compact, canonical: json?.bytes), carriers: carriers,
            markers: state.markers.markers(on: shown, at: timing.captureStart),
            windows: state.windows.edges(on: shown, at: timing.captureStart),
            cueSignature: signsCues ? CueSignature.of(shown, compact: compact) : nil
        )
    }

    /// Documents that appeared in the results folder (live, every half second) or that the feeds
    /// delivered since the last frame.
    private func takeNewDocuments(live: Bool, at knownAt: UTCInstant, in state: inout State) {
        if live, let found = state.folder?.newDocuments(log: log) {
            for document in found { state.airing.receive(document, at: knownAt) }
            if !found.isEmpty { state.renderers.forget() }
        }
        let delivered = feedInbox?.take() ?? []
        for entry in delivered { state.airing.receive(entry.document, at: entry.receivedAt) }
        if !delivered.isEmpty { state.renderers.forget() }
    }

    /// Corrections: what a frame should have shown with every document known. A frame whose
    /// only change is the data version is recorded too (so `latest` is exactly the state with
    /// every document) but is not counted as corrected. They go to the store with the frames,
    /// on its thread, in the same transactions.
    private func correct(_ timing: FrameTiming, pose: CameraPose?, aired: FrameOverlay, in state: inout State) throws {
        let latest = state.renderers.overlay(timing, pose: pose, known: state.airing.knownCount(at: nil), airing: &state.airing)
        let visible = EnrichmentJob.VisibleState(latest) != EnrichmentJob.VisibleState(aired)
        let version = aired.dataVersion
        guard visible || latest.dataVersion != version else { return }
        // A frame that differs in its data version alone is stored as that version: most of a
        // recording's corrections are of this kind, and the frame's bytes are stored already.
        if !visible, version != nil, let newVersion = latest.dataVersion, latest == aired.withDataVersion(newVersion) {
            try frameWriter.append(correction: StoredCorrection(seq: latest.seq, changingDataVersionTo: newVersion))
            return
        }
        let json = state.correctionJSON.json(for: latest)
        try frameWriter.append(correction: StoredCorrection(
            seq: latest.seq, overlayJSON: Data(json.bytes), dataVersion: latest.dataVersion, visible: visible, sharedRange: json.lanes
        ))
        if visible { state.corrected += 1 }
    }

    /// Counts and logs a gap in the input.
    func gap(_ gap: InputGap) {
        if gap.reconnected { state.withLock { $0.metrics.inputReopened() } }
        log.warning(
            "gap after frame \(gap.afterFrame): \(gap.framesMissing) frames missing\(gap.reconnected ? " (input reopened)" : "")",
            metadata: ["afterFrame": .stringConvertible(gap.afterFrame), "framesMissing": .stringConvertible(gap.framesMissing), "reconnected": .stringConvertible(gap.reconnected)]
        )
    }

    /// The outputs' queues, for the job's metrics.
    func outputs(_ health: [OutputHealth]) { state.withLock { $0.metrics.outputs(health) } }

    /// After the last frame: documents that came meanwhile still make corrections, and the
    /// frames that aired while documents could still arrive are corrected now, with the last
    /// frames in the store. Returns how many frames were corrected.
    func finish() throws -> Int {
        try state.withLock { state in
            feedInbox?.close()
            for entry in feedInbox?.take() ?? [] { state.airing.receive(entry.document, at: entry.receivedAt) }
            let everything = state.airing.knownCount(at: nil)
            if let airedTiming = state.airedTiming, state.airedKnowing.contains(where: { $0.known < everything }) {
                try frameWriter.finish()
                let runs = state.airedKnowing
                for (index, run) in runs.enumerated() where run.known < everything {
                    let end = index + 1 < runs.count ? runs[index + 1].fromSeq : Int.max
                    try forEachAiredFrame(from: run.fromSeq, before: end) { stored in
                        var timing = try EnrichmentJob.timing(of: stored, timeBase: airedTiming.timeBase, frameDuration: airedTiming.frameDuration)
                        let aired = try JSONDecoder().decode(FrameOverlay.self, from: stored.overlayJSON)
                        // The frame keeps the label it aired with: a correction changes results, not time.
                        timing.timecode = aired.timecode.flatMap(SMPTETimecode.init)
                        try correct(timing, pose: camera?.pose(forCaptureAt: timing.captureStart), aired: aired, in: &state)
                    }
                }
            }
            try frameWriter.finish()
            return state.corrected
        }
    }

    /// Writes what is still queued for the store, when the job ends with an error.
    func abandon() { try? frameWriter.finish() }

    /// Calls `body` with each frame of the job as aired from `from` up to (not including) `end`,
    /// a page at a time.
    private func forEachAiredFrame(from: Int, before end: Int, _ body: (StoredFrame) throws -> Void) throws {
        var next = from
        while next < end {
            let page = try store.airedFrames(jobID: jobID, from: next, limit: 500)
            for stored in page where stored.seq < end { try body(stored) }
            guard let last = page.last, page.count == 500 else { return }
            next = last.seq + 1
        }
    }
}

/// A job's overlay renderers, one per number of documents known: most frames find theirs made
/// already, so nothing is looked up or stored for them but it.
struct OverlayRenderers {
    let template: OverlayTemplate?
    let lens: Lens?
    private var held: [Int: HeldRenderer] = [:]

    init(template: OverlayTemplate?, lens: Lens?) {
        self.template = template
        self.lens = lens
    }

    /// The frame's overlay with the first `known` documents (see `AiringTimeline.knownCount(at:)`).
    mutating func overlay(_ timing: FrameTiming, pose: CameraPose?, known: Int, airing: inout AiringTimeline) -> FrameOverlay {
        guard let template else { return airing.timeline(knowing: known).overlay(for: timing, camera: pose) }
        if let renderer = held[known] { return renderer.renderer.render(timing, camera: pose) }
        let renderer = HeldRenderer(TemplateRenderer(template: template, timeline: airing.timeline(knowing: known), lens: lens))
        held[known] = renderer
        return renderer.renderer.render(timing, camera: pose)
    }

    /// Drops every renderer: a new document changes what each number of documents means.
    mutating func forget() { held.removeAll() }

    /// A renderer behind a reference: every frame looks one up, and a copy of the renderer
    /// would retain everything it holds (template, timeline, plans) on every frame.
    final class HeldRenderer {
        let renderer: TemplateRenderer
        init(_ renderer: TemplateRenderer) { self.renderer = renderer }
    }
}

/// A live job's results folder, looked at for new documents every half second.
struct FolderPoll {
    let path: String
    var seen: Set<String>
    private var lastPoll = Date()

    init(path: String, seen: Set<String>) {
        self.path = path
        self.seen = seen
    }

    /// The documents that appeared since the last look, or nil when it is not yet time to look.
    mutating func newDocuments(log: Logger) -> [ResultsDocument]? {
        guard Date().timeIntervalSince(lastPoll) >= EnrichmentJob.folderPollSeconds else { return nil }
        lastPoll = Date()
        return ResultsFolder.newDocuments(in: path, seen: &seen, report: { log.warning("\($0)") }).map(\.document)
    }
}
