import Feeds
import Foundation
public import Logging
public import MediaFormats
public import Overlay
public import Pipeline
public import Store
import Synchronization

/// Where a job's results documents come from.
public enum ResultsSource: Sendable {
    /// A folder as a timing system wrote it (see `ResultsFolder`); a live job also takes the
    /// files that appear in it while it runs.
    case folder(String)
    /// Documents already received (the server's results feeds, with their receipt times), and
    /// an inbox that the feeds fill while the job runs.
    case feed(ledger: ResultsLedger, inbox: DocumentInbox)
}

/// Documents received while a job runs, handed from the thread that received them to the job's.
/// The job closes it when it ends, and whoever delivers then forgets it.
public final class DocumentInbox: Sendable {
    private let waiting = Mutex<(entries: [ResultsLedger.Entry], closed: Bool)>(([], false))

    /// An empty inbox.
    public init() {}

    /// Adds a document received at `receivedAt`; false once the job has ended.
    @discardableResult
    public func deliver(_ document: ResultsDocument, receivedAt: UTCInstant) -> Bool {
        waiting.withLock { waiting in
            guard !waiting.closed else { return false }
            waiting.entries.append(ResultsLedger.Entry(sequence: waiting.entries.count, receivedAt: receivedAt, document: document))
            return true
        }
    }

    /// Whether the job has ended.
    public var isClosed: Bool { waiting.withLock { $0.closed } }

    /// Ends the inbox (the job has ended, or will never start): later deliveries are refused and its deliverer forgets it.
    public func close() { waiting.withLock { $0.closed = true } }

    /// Takes every document delivered since the last call, in the order received.
    func take() -> [ResultsLedger.Entry] {
        waiting.withLock { waiting in
            defer { waiting.entries.removeAll() }
            return waiting.entries
        }
    }
}

/// One enrichment, wired end to end: results → airing timeline → per-frame overlay → carriers
/// → outputs, and the aired frames and later corrections into the store. Used by `podium
/// enrich` and by the server's jobs.
public struct EnrichmentJob: Sendable {
    /// The input URL or path (checked by `InputEndpoint` when opened).
    public let input: String
    /// Where the results documents come from.
    public let results: ResultsSource
    /// How frames get their capture UTC.
    public let clock: ClockSettings
    /// The enriched outputs.
    public let outputs: [OutputTarget]
    /// The competition unit; nil takes the only one the results hold.
    public let unit: String?
    /// Where the job, its frames and its corrections are recorded.
    public let store: SQLiteStore
    /// Carriers, look-ahead, queues, HLS.
    public var settings = EnrichmentSettings()
    /// The overlay template, if any.
    public var template: OverlayTemplate?
    /// Camera tracking, for world-anchored elements.
    public var camera: CameraTrack?
    /// The lens calibration, with `camera`.
    public var lens: Lens?
    /// Hosts, timeouts and reconnection of the input.
    public var policy = InputPolicy()
    /// Stops the input (signal, API `DELETE`, server shutdown); the outputs are finished cleanly.
    public var cancellation = InputCancellation()
    /// The broadcaster the job belongs to.
    public var owner: String?
    /// How the job names its input in the store when not by its URL (`fixture:NAME` for a server's fixture).
    public var inputLabel: String?
    /// Told the job's id once it is recorded, before the input is opened.
    public var started: @Sendable (Int64) -> Void = { _ in }
    /// Where the job tells what an operator should know (a skipped document, a gap, a reopened
    /// input, outputs kept after a failure), each line with the job's id as `job` metadata.
    /// Nothing is logged unless the caller gives a logger.
    public var logger = Logger.silent
    /// Told how far a recording got (0…1), when given.
    public var progress: (@Sendable (Double) -> Void)?
    /// The input, when the caller started opening it ahead (`InputOpening.start` with this job's
    /// input, policy, clock and cancellation), so the opening overlaps the job's getting ready.
    public var inputOpening: InputOpening?

    /// Frames are written to the store in batches (on the store's own thread), so a long job
    /// never holds all of them in memory.
    static let storeBatch = 250
    /// How often a live job looks for new documents in the results folder.
    static let folderPollSeconds = 0.5

    /// Creates a job.
    public init(input: String, results: ResultsSource, clock: ClockSettings, outputs: [OutputTarget], unit: String?, store: SQLiteStore) {
        self.input = input
        self.results = results
        self.clock = clock
        self.outputs = outputs
        self.unit = unit
        self.store = store
    }

    /// What the operator is told, and which outputs failed.
    public struct Outcome: Sendable {
        /// The job's id in the store.
        public let jobID: Int64
        /// Lines for the operator.
        public let summary: String
        /// The outputs that failed.
        public let failedOutputs: [OutputStats]
    }

    /// Runs the job to its end (the input's end, or `cancellation`).
    public func run() throws -> Outcome {
        defer { if case .feed(_, let inbox) = results { inbox.close() } }
        let inputPath = URL(fileURLWithPath: input).standardizedFileURL.resolvingSymlinksInPath().path
        for output in outputs {
            guard let path = output.path else { continue }
            guard URL(fileURLWithPath: path).standardizedFileURL.resolvingSymlinksInPath().path != inputPath else {
                throw OperatorError("--out \(output) is the input itself; choose another file")
            }
        }
        let ledger: ResultsLedger
        let documents: [ReceivedDocument]
        let pollFolder: String?
        var seenFiles: Set<String> = []
        switch results {
        case .folder(let path):
            let folder = try ResultsFolder(path: path)
            (ledger, documents, pollFolder, seenFiles) = (folder.ledger, folder.documents, path, folder.files)
        case .feed(let received, _):
            // The documents are in the feeds' audit log already.
            (ledger, documents, pollFolder) = (received, [], nil)
        }
        let unitCode = try selectUnit(ledger.book())
        var airing = AiringTimeline(ledger: ledger, unit: unitCode)
        var renderers: [Int: HeldRenderer] = [:]
        var markers = RaceMarkerDetector()

        let frameRateText = clock.frameRate?.description ?? "stream"
        let jobID = try store.startJob(
            JobDescription(
                createdUTC: UTCInstant.now().iso8601,
                input: EnrichmentJob.redacted(inputLabel ?? input), output: outputs.map { EnrichmentJob.redacted($0.text) }.joined(separator: " "), unit: unitCode.rawValue,
                clockSource: clock.source?.rawValue ?? "auto", frameRate: frameRateText, owner: owner
            ),
            documents: documents
        )
        started(jobID)
        var log = logger
        log[metadataKey: "job"] = .stringConvertible(jobID)
        var metrics = JobMetrics(jobID: jobID)
        let frameWriter = FrameStoreWriter(store: store, jobID: jobID, batchSize: EnrichmentJob.storeBatch)
        /// Where the frames that aired while documents could still arrive change in how many
        /// documents they knew (it only grows): the frames themselves are read back from the
        /// store when the job ends, so a channel that runs for days holds a few entries, not
        /// every frame it aired.
        var airedKnowing: [(fromSeq: Int, known: Int)] = []
        /// The video time base and a frame's duration, to rebuild a stored frame's timing.
        var airedTiming: (timeBase: Rational, frameDuration: Rational)?
        var lastPoll = Date()
        let compact = template != nil
        var jsonWriter = FrameJSONWriter()

        /// The frame's overlay with the first `known` documents (see `AiringTimeline.knownCount(at:)`).
        func overlay(_ timing: FrameTiming, pose: CameraPose?, known: Int) -> FrameOverlay {
            guard let template else { return airing.timeline(knowing: known).overlay(for: timing, camera: pose) }
            // Most frames find their renderer made already: nothing is looked up or stored for them but it.
            if let held = renderers[known] { return held.renderer.render(timing, camera: pose) }
            let held = HeldRenderer(TemplateRenderer(template: template, timeline: airing.timeline(knowing: known), lens: lens))
            renderers[known] = held
            return held.renderer.render(timing, camera: pose)
        }

        // Corrections: what a frame should have shown with every document known. A frame whose
        // only change is the data version is recorded too (so `latest` is exactly the state with
        // every document) but is not counted as corrected. They go to the store with the frames,
        // on its thread, in the same transactions.
        var corrected = 0
        var correctionJSON = FrameJSONWriter()
        func correct(_ timing: FrameTiming, pose: CameraPose?, aired: FrameOverlay) throws {
            let latest = overlay(timing, pose: pose, known: airing.knownCount(at: nil))
            let visible = VisibleState(latest) != VisibleState(aired)
            let version = aired.dataVersion
            guard visible || latest.dataVersion != version else { return }
            // A frame that differs in its data version alone is stored as that version: most of a
            // recording's corrections are of this kind, and the frame's bytes are stored already.
            if !visible, version != nil, let newVersion = latest.dataVersion, latest == aired.withDataVersion(newVersion) {
                try frameWriter.append(correction: StoredCorrection(seq: latest.seq, changingDataVersionTo: newVersion))
                return
            }
            let json = correctionJSON.json(for: latest)
            try frameWriter.append(correction: StoredCorrection(
                seq: latest.seq, overlayJSON: Data(json.bytes), dataVersion: latest.dataVersion, visible: visible, sharedRange: json.lanes
            ))
            if visible { corrected += 1 }
        }

        do {
            let enricher = Enricher(inputURL: input, outputs: outputs, settings: settings, policy: policy, cancellation: cancellation)
            let feedInbox: DocumentInbox? = if case .feed(_, let inbox) = results { inbox } else { nil }
            let report = try enricher.run(clock: clock, opening: inputOpening, carry: { timing, frame, knownAt in
                if let pollFolder, frame.video.arrival != nil, Date().timeIntervalSince(lastPoll) >= EnrichmentJob.folderPollSeconds {
                    lastPoll = Date()
                    for found in ResultsFolder.newDocuments(in: pollFolder, seen: &seenFiles, report: { log.warning("\($0)") }) {
                        airing.receive(found.document, at: knownAt)
                        renderers.removeAll()
                    }
                }
                for entry in feedInbox?.take() ?? [] {
                    airing.receive(entry.document, at: entry.receivedAt)
                    renderers.removeAll()
                }
                metrics.frameCarried(
                    behind: frame.video.arrival != nil ? Double(UTCInstant.now().seconds(since: timing.captureStart)) : nil,
                    arrivalClock: frame.arrivalClock
                )
                let pose = camera?.pose(forCaptureAt: timing.captureStart)
                let known = airing.knownCount(at: knownAt)
                let shown = overlay(timing, pose: pose, known: known)
                // A templated job carries the compact form: the full JSON is then written on the store's thread.
                let json = compact ? nil : jsonWriter.json(for: shown)
                try frameWriter.append(shown, json: json, captureStart: timing.captureStart)
                // A frame that aired with every document is its own latest state unless documents
                // can still arrive (a live input, or any job the feeds serve): nothing to remember
                // for it. A recording read from a results folder knows every document already, so
                // its frame is corrected now (on the carry thread); the others are at the end.
                if frame.video.arrival == nil, feedInbox == nil {
                    if known < airing.documentCount {
                        try correct(timing, pose: pose, aired: shown)
                    }
                } else {
                    if airedKnowing.last?.known != known { airedKnowing.append((timing.sequence, known)) }
                    if airedTiming == nil { airedTiming = (timing.pts.timeBase, timing.captureEnd.seconds(since: timing.captureStart)) }
                }
                // A templated job carries the compact elements in band; the full state is in the store and the API.
                return try FrameCarriage(
                    InBandPayload(for: shown, compact: compact, canonical: json?.bytes), carriers: settings.carriers,
                    markers: markers.markers(on: shown, at: timing.captureStart)
                )
            }, gap: { gap in
                if gap.reconnected { metrics.inputReopened() }
                log.warning(
                    "gap after frame \(gap.afterFrame): \(gap.framesMissing) frames missing\(gap.reconnected ? " (input reopened)" : "")",
                    metadata: ["afterFrame": .stringConvertible(gap.afterFrame), "framesMissing": .stringConvertible(gap.framesMissing), "reconnected": .stringConvertible(gap.reconnected)]
                )
            }, progress: progress, health: { metrics.outputs($0) })
            // Documents that came after the last frame still make corrections.
            feedInbox?.close()
            for entry in feedInbox?.take() ?? [] { airing.receive(entry.document, at: entry.receivedAt) }

            // The frames that aired while documents could still arrive are corrected now; the
            // corrections go to the store with the last frames.
            let everything = airing.knownCount(at: nil)
            if let airedTiming, airedKnowing.contains(where: { $0.known < everything }) {
                try frameWriter.finish()
                for (index, run) in airedKnowing.enumerated() where run.known < everything {
                    let end = index + 1 < airedKnowing.count ? airedKnowing[index + 1].fromSeq : Int.max
                    try forEachAiredFrame(of: jobID, from: run.fromSeq, before: end) { stored in
                        var timing = try EnrichmentJob.timing(of: stored, timeBase: airedTiming.timeBase, frameDuration: airedTiming.frameDuration)
                        let aired = try JSONDecoder().decode(FrameOverlay.self, from: stored.overlayJSON)
                        // The frame keeps the label it aired with: a correction changes results, not time.
                        timing.timecode = aired.timecode.flatMap(SMPTETimecode.init)
                        try correct(timing, pose: camera?.pose(forCaptureAt: timing.captureStart), aired: aired)
                    }
                }
            }
            try frameWriter.finish()
            try store.recordStats(EnrichmentJob.statsJSON(report, corrections: corrected), ofJob: jobID)
            let failed = report.outputs.filter { $0.failure != nil }
            try store.finishJob(jobID, failure: failed.isEmpty ? nil : failed.map { "\($0.target): \($0.failure!)" }.joined(separator: "; "), stopped: cancellation.isCancelled)
            return Outcome(jobID: jobID, summary: summary(report, jobID: jobID, unit: unitCode, corrections: corrected), failedOutputs: failed)
        } catch {
            try? frameWriter.finish()
            // Stopped before it could run (its input not there yet, or being opened): a stop, not a failure.
            if cancellation.isCancelled, StoreAvailability.fault(in: error) == nil {
                try? store.finishJob(jobID, failure: nil, stopped: true)
                return Outcome(jobID: jobID, summary: "job \(jobID): stopped while its input was being opened or read", failedOutputs: [])
            }
            // The outputs are the broadcaster's: the enricher finished them with what was written
            // (trailer, ENDLIST), and they stay where they are, named with the reason.
            let kept = outputs.compactMap(\.path).filter { FileManager.default.fileExists(atPath: $0) }
            let keptNote = kept.isEmpty ? "" : "; outputs kept as written: \(kept.joined(separator: ", "))"
            try? store.finishJob(jobID, failure: "\(error)\(keptNote)")
            if !kept.isEmpty { log.notice("outputs kept as written: \(kept.joined(separator: ", "))") }
            throw error
        }
    }

    /// A URL as the store, the API and the logs show it: an SRT `passphrase` is a secret, so its
    /// value is replaced by `***`.
    public static func redacted(_ url: String) -> String {
        var text = url
        var searchFrom = text.startIndex
        while let found = text.range(of: "passphrase=", options: .caseInsensitive, range: searchFrom..<text.endIndex) {
            let end = text[found.upperBound...].firstIndex(of: "&") ?? text.endIndex
            text.replaceSubrange(found.upperBound..<end, with: "***")
            searchFrom = text.index(found.upperBound, offsetBy: 3)
        }
        return text
    }

    /// A renderer behind a reference: every frame looks one up, and a copy of the renderer
    /// would retain everything it holds (template, timeline, plans) on every frame.
    final class HeldRenderer {
        let renderer: TemplateRenderer
        init(_ renderer: TemplateRenderer) { self.renderer = renderer }
    }

    /// Calls `body` with each frame of job `jobID` as aired from `from` up to (not including)
    /// `end`, a page at a time.
    private func forEachAiredFrame(of jobID: Int64, from: Int, before end: Int, _ body: (StoredFrame) throws -> Void) throws {
        var next = from
        while next < end {
            let page = try store.airedFrames(jobID: jobID, from: next, limit: 500)
            for stored in page where stored.seq < end { try body(stored) }
            guard let last = page.last, page.count == 500 else { return }
            next = last.seq + 1
        }
    }

    /// The timing a stored frame was rendered with: its sequence, PTS and exact capture instant.
    public static func timing(of stored: StoredFrame, timeBase: Rational, frameDuration: Rational) throws -> FrameTiming {
        let exact = stored.captureExact.flatMap(Rational.init(parsing:)).map(UTCInstant.init(secondsSinceEpoch:))
        guard let captureStart = exact ?? UTCInstant(iso8601: stored.captureUTC) else {
            throw MediaError.clock("frame \(stored.seq) was stored with a capture time that cannot be read: \(stored.captureUTC)")
        }
        return FrameTiming(
            sequence: stored.seq, pts: MediaTime(ticks: stored.pts, timeBase: timeBase), captureStart: captureStart,
            captureEnd: captureStart.advanced(by: frameDuration)
        )
    }

    /// What a viewer sees of an overlay (its data version aside): a later document that changes
    /// only the version label is not a correction.
    struct VisibleState: Hashable {
        let clock: FrameOverlay.Clock
        let lanes: [FrameOverlay.Lane]
        let order: [Int]
        let leader: Int?
        let records: [FrameOverlay.RecordTag]
        let worldRecordLine: FrameOverlay.WorldRecordLine?
        let elements: [FrameOverlay.Element]

        init(_ overlay: FrameOverlay) {
            clock = overlay.clock
            lanes = overlay.lanes
            order = overlay.order
            leader = overlay.leader
            records = overlay.records
            worldRecordLine = overlay.worldRecordLine
            elements = overlay.elements
        }
    }

    static func statsJSON(_ report: EnrichmentReport, corrections: Int) -> String {
        JobStats(
            frames: report.frames, tagged: report.tagged, corrections: corrections, clockSource: report.ingest.clockSource?.rawValue ?? "none",
            epochs: report.ingest.epochs, gaps: report.ingest.gaps.count, reconnects: report.ingest.reconnects,
            corruptPackets: report.ingest.corruptPackets, arrivalClock: report.ingest.arrivalClock, peakResidentBytes: ResidentMemory.read()?.peak,
            outputs: report.outputs.map { output in
                JobStats.Output(
                    target: redacted(output.target), written: output.written, dropped: output.dropped, skippedToKeyframe: output.skippedToKeyframe,
                    reopened: output.reopened, deepestQueue: output.deepestQueue, latencyMedianMicroseconds: output.latencyMedianMicroseconds,
                    latencyP99Microseconds: output.latencyP99Microseconds, repairedTimestamps: output.repairedTimestamps,
                    refusedByMuxer: output.refusedByMuxer, failure: output.failure
                )
            }
        ).json
    }

    private func summary(_ report: EnrichmentReport, jobID: Int64, unit: UnitCode, corrections: Int) -> String {
        var lines = [
            "job \(jobID): \(report.frames) frames, \(report.tagged) tagged (\(report.frameRate) fps, clock: \(report.ingest.clockSource?.rawValue ?? "none")), unit \(unit)"
                + (template.map { ", template \($0.name)" } ?? "") + (camera.map { ", \($0.samples.count) camera samples" } ?? ""),
            "carriers: \([settings.carriers.contains(.id3) ? "id3" : nil, settings.carriers.contains(.sei) ? "sei" : nil].compactMap { $0 }.joined(separator: ",")); look-ahead \(Int(settings.lookahead * 1000)) ms; corrections: \(corrections) frames",
        ]
        for output in report.outputs {
            var line = "\(output.target): \(output.written) packets written, \(output.dropped) dropped"
            if output.skippedToKeyframe > 0 { line += ", \(output.skippedToKeyframe) skipped to start on a keyframe" }
            if output.reopened > 0 { line += ", reopened \(output.reopened)×" }
            if output.repairedTimestamps > 0 { line += ", \(output.repairedTimestamps) with timestamps repaired" }
            if output.refusedByMuxer > 0 { line += ", \(output.refusedByMuxer) refused by the muxer and left out" }
            line += "; added latency p50 \(output.latencyMedianMicroseconds) µs, p99 \(output.latencyP99Microseconds) µs"
            if let failure = output.failure { line += "; FAILED: \(failure)" }
            lines.append(line)
        }
        let ingest = report.ingest
        if let own = ingest.conflictingStreamRate {
            lines.append("WARNING: the clock was given \(report.frameRate) fps but the video stream states \(own) (\(String(format: "%.3f", Double(own)))) fps; frame times follow the clock's rate")
        }
        if ingest.epochs > 1 || ingest.corruptPackets > 0 || ingest.breaksBetweenAccessUnits > 0 || !ingest.gaps.isEmpty || ingest.reconnects > 0 {
            lines.append(
                "epochs: \(ingest.epochs); corrupt packets: \(ingest.corruptPackets); breaks between access units: \(ingest.breaksBetweenAccessUnits); "
                    + "gaps: \(ingest.gaps.count); reconnects: \(ingest.reconnects)"
            )
        }
        if ingest.stopped { lines.append("stopped before the end of the input") }
        lines += report.droppedStreams.map { "not carried: \($0)" }
        if report.untimedVideoPackets > 0 {
            lines.append("\(report.untimedVideoPackets) video packets had no timestamp and carry no overlay")
        }
        if report.accessUnitsWithoutSlice > 0 {
            lines.append("\(report.accessUnitsWithoutSlice) access units held no slice, so no SEI was added to them")
        }
        return lines.joined(separator: "\n")
    }

    private func selectUnit(_ book: ResultsBook) throws -> UnitCode {
        if let unit {
            guard let code = UnitCode(unit) else { throw OperatorError("unit \(unit) is not a 34-character RSC") }
            // The feeds may still be waiting for the unit's first results.
            if case .feed = results { return code }
            guard book.results(of: code) != nil else { throw OperatorError("the results hold no DT_RESULT for \(unit)") }
            return code
        }
        let units = book.units
        if case .feed = results { throw OperatorError("a job on the results feeds names its unit (RSC)") }
        guard let first = units.first else { throw OperatorError("the results hold no DT_RESULT document") }
        guard units.count == 1 else {
            throw OperatorError("the results hold \(units.count) units (\(units.map(\.rawValue).joined(separator: ", "))); choose one with --unit")
        }
        return first
    }
}
