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
    /// The node that runs the job (`NodeHeartbeat.node.id`), whose heartbeat is the job's lease;
    /// nil leaves ending the job to the caller alone.
    public var node: String?
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
        try checkNoOutputIsTheInput()
        let (ledger, documents, folder) = try loadResults()
        let unitCode = try selectUnit(ledger.book())
        let jobID = try store.startJob(
            JobDescription(
                createdUTC: clock.wallClock.now().iso8601, input: EnrichmentJob.redacted(inputLabel ?? input),
                output: outputs.map { EnrichmentJob.redacted($0.text) }.joined(separator: " "), unit: unitCode.rawValue,
                clockSource: clock.source?.rawValue ?? "auto", frameRate: clock.frameRate?.description ?? "stream", owner: owner,
                node: node
            ),
            documents: documents
        )
        started(jobID)
        var log = logger
        log[metadataKey: "job"] = .stringConvertible(jobID)
        let carriage = JobCarriage(job: self, jobID: jobID, airing: AiringTimeline(ledger: ledger, unit: unitCode), folder: folder, log: log)
        do {
            let enricher = Enricher(inputURL: input, outputs: outputs, settings: settings, policy: policy, cancellation: cancellation)
            let report = try enricher.run(
                clock: clock, opening: inputOpening, carrier: carriage, gap: { carriage.gap($0) }, progress: progress, health: { carriage.outputs($0) }
            )
            let corrected = try carriage.finish()
            try store.recordStats(EnrichmentJob.statsJSON(report, corrections: corrected), ofJob: jobID)
            let failed = report.outputs.filter { $0.failure != nil }
            try store.finishJob(jobID, failure: failed.isEmpty ? nil : failed.map { "\($0.target): \($0.failure!)" }.joined(separator: "; "), stopped: cancellation.isCancelled)
            return Outcome(jobID: jobID, summary: summary(report, jobID: jobID, unit: unitCode, corrections: corrected), failedOutputs: failed)
        } catch {
            carriage.abandon()
            return try settle(error, jobID: jobID, log: log)
        }
    }

    /// An output that is the input itself would be overwritten while it is read.
    private func checkNoOutputIsTheInput() throws {
        let inputPath = URL(fileURLWithPath: input).standardizedFileURL.resolvingSymlinksInPath().path
        for output in outputs {
            guard let path = output.path else { continue }
            guard URL(fileURLWithPath: path).standardizedFileURL.resolvingSymlinksInPath().path != inputPath else {
                throw OperatorError("--out \(output) is the input itself; choose another file")
            }
        }
    }

    /// The documents known when the job starts, those to record with it (a folder's: the feeds'
    /// are in their audit log already), and the folder a live job keeps looking at.
    private func loadResults() throws -> (ledger: ResultsLedger, documents: [ReceivedDocument], folder: FolderPoll?) {
        switch results {
        case .folder(let path):
            let folder = try ResultsFolder(path: path)
            return (folder.ledger, folder.documents, FolderPoll(path: path, seen: folder.files))
        case .feed(let received, _):
            return (received, [], nil)
        }
    }

    /// A job that failed after it was recorded: recorded as failed (or as stopped, when it was
    /// stopped before its input could be read), its outputs kept as written, the error rethrown.
    private func settle(_ error: any Error, jobID: Int64, log: Logger) throws -> Outcome {
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
                    refusedByMuxer: output.refusedByMuxer, unchangedCues: output.unchangedCues, failure: output.failure
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
            if output.unchangedCues > 0 { line += ", \(output.unchangedCues) cues left out (nothing new on their frame)" }
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
