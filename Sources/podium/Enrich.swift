import ArgumentParser
import Foundation
import Ingest
import Overlay
import Store

/// `podium enrich`: tags every video frame of an input with its overlay, delivers the enriched
/// copies, and records the job.
struct Enrich: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Enrich a video input with frame-locked overlay data (timed ID3 and/or SEI) into one or more outputs."
    )

    @Argument(help: "The input: a file, -, udp://, srt://, rtmp://, rtsp:// or an http(s) HLS playlist.")
    var input: String

    @OptionGroup var inputOptions: InputOptions

    @Option(help: "Folder of results documents (ODF 2 XML, Lenex, Podium events, with an optional manifest.json of receipt times). A live job also takes files that appear in it while it runs.")
    var results: String

    @Option(name: .customLong("out"), help: ArgumentHelp(
        "An output (repeatable): FILE.ts, FILE.mp4, fmp4:FILE.mp4, FILE.flv, DIR/NAME.m3u8 (HLS written by Podium), -, udp://HOST:PORT, srt://HOST:PORT[?mode=listener], rtmp://HOST/APP/STREAM.",
        valueName: "url"
    ))
    var outputs: [String] = []

    @Option(help: "In-band carriers: id3 (MPEG-TS outputs), sei (every output), or id3,sei.")
    var carrier = "id3"

    @Option(help: "How long a live frame waits before its overlay is computed, so late data still lands on it: 0, 500ms, 2s.")
    var lookahead = "0"

    @Option(help: "Seconds per HLS segment (cut at the first keyframe after).")
    var hlsSegment = 2.0

    @Option(help: "Segments kept in a live HLS playlist.")
    var hlsWindow = 6

    @Option(help: "Packets an output may have waiting before it drops (live) or the job waits (recording to files).")
    var queue = 4096

    @Option(help: "The competition unit (RSC) to overlay, when the results hold several.")
    var unit: String?

    @Option(help: "SQLite database recording the job and its frames.")
    var database = "var/podium.sqlite"

    @Option(help: "The broadcaster the job belongs to (API keys of this owner see it).")
    var owner: String?

    @Option(help: "Overlay template: a file, or the name of one in templates/ (swimming, athletics-100m).")
    var template: String?

    @Option(help: "Camera tracking recording (JSON lines of FreeD D1 messages with their UTC).")
    var camera: String?

    @Option(help: "Lens calibration file, for projecting world-anchored elements.")
    var lens: String?

    @Option(help: "Milliseconds added to a frame's capture time to find its tracking sample.")
    var trackingDelay = 0

    func run() throws {
        try reportingErrors("enrich") {
            guard !outputs.isEmpty else { throw OperatorError("give at least one --out") }
            let cancellation = InputCancellation()
            StopSignals.cancel(cancellation)
            var job = EnrichmentJob(
                input: input, results: results, clock: try inputOptions.clockSettings(required: true),
                outputs: try outputs.map { try OutputTarget($0) }, unit: unit, database: database
            )
            job.settings = EnrichmentSettings(
                carriers: try Carriers(list: carrier), lookahead: try Enrich.seconds(lookahead, option: "--lookahead"),
                queueCapacity: queue, hlsTargetDuration: hlsSegment, hlsWindow: hlsWindow
            )
            guard hlsSegment > 0, hlsWindow >= 1, queue >= 16 else {
                throw OperatorError("--hls-segment must be positive, --hls-window at least 1 and --queue at least 16")
            }
            job.owner = owner
            job.policy = inputOptions.policy
            job.cancellation = cancellation
            job.template = try loadTemplate(template)
            if let camera {
                guard let data = FileManager.default.contents(atPath: camera) else { throw OperatorError("camera recording \(camera) does not exist") }
                job.camera = try CameraTrack.recording(data, delay: Rational(Int128(trackingDelay), 1000))
            }
            if let lens {
                guard let data = FileManager.default.contents(atPath: lens) else { throw OperatorError("lens file \(lens) does not exist") }
                job.lens = try Lens(json: data)
            }
            let outcome = try job.run()
            // With `--out -` the enriched stream is on standard output; the summary goes to standard error.
            let summaryHandle = outputs.contains("-") ? FileHandle.standardError : FileHandle.standardOutput
            summaryHandle.write(Data((outcome.summary + "\n").utf8))
            if !outcome.failedOutputs.isEmpty { throw ExitCode(3) }
        }
    }

    /// Parses `0`, `1.5`, `500ms`, `2s` into seconds (at most 10).
    static func seconds(_ text: String, option: String) throws -> Double {
        let trimmed = text.trimmingCharacters(in: .whitespaces).lowercased()
        let value: Double?
        if trimmed.hasSuffix("ms") {
            value = Double(trimmed.dropLast(2)).map { $0 / 1000 }
        } else if trimmed.hasSuffix("s") {
            value = Double(trimmed.dropLast())
        } else {
            value = Double(trimmed)
        }
        guard let value, value.isFinite, value >= 0, value <= 10 else {
            throw OperatorError("\(option) \(text) is not a duration between 0 and 10 s (write 0, 500ms or 2s)")
        }
        return value
    }
}

/// One enrichment, wired end to end: results → airing timeline → per-frame overlay → carriers
/// → outputs, and the aired frames and later corrections into the store.
struct EnrichmentJob {
    let input: String
    let results: String
    let clock: ClockSettings
    let outputs: [OutputTarget]
    let unit: String?
    let database: String
    var settings = EnrichmentSettings()
    var template: OverlayTemplate?
    var camera: CameraTrack?
    var lens: Lens?
    var policy = InputPolicy()
    var cancellation = InputCancellation()
    var owner: String?

    /// Frames are written to the store in batches (on the store's own thread), so a long job
    /// never holds all of them in memory.
    static let storeBatch = 250
    /// How often a live job looks for new documents in the results folder.
    static let folderPollSeconds = 0.5

    /// What the operator is told, and which outputs failed.
    struct Outcome {
        let summary: String
        let failedOutputs: [OutputStats]
    }

    func run() throws -> Outcome {
        let inputPath = URL(fileURLWithPath: input).standardizedFileURL.resolvingSymlinksInPath().path
        for output in outputs {
            guard let path = output.path else { continue }
            guard URL(fileURLWithPath: path).standardizedFileURL.resolvingSymlinksInPath().path != inputPath else {
                throw OperatorError("--out \(output) is the input itself; choose another file")
            }
        }
        let folder = try ResultsFolder(path: results)
        let unitCode = try selectUnit(folder.book)
        var airing = AiringTimeline(ledger: folder.ledger, unit: unitCode)
        var seenFiles = folder.files
        var renderers: [Int: TemplateRenderer] = [:]
        var markers = RaceMarkerDetector()

        let store = try SQLiteStore(path: database)
        let frameRateText = clock.frameRate?.description ?? "stream"
        let jobID = try store.startJob(
            JobDescription(
                createdUTC: UTCInstant.now().iso8601,
                input: input, output: outputs.map(\.text).joined(separator: " "), unit: unitCode.rawValue,
                clockSource: clock.source?.rawValue ?? "auto", frameRate: frameRateText, owner: owner
            ),
            documents: folder.documents
        )
        let frameWriter = FrameStoreWriter(store: store, jobID: jobID, batchSize: EnrichmentJob.storeBatch)
        /// What each frame showed, to find the corrections when the job ends.
        var aired: [(timing: FrameTiming, pose: CameraPose?, known: Int, shown: Int, version: String?)] = []
        var lastPoll = Date()
        let compact = template != nil

        /// The frame's overlay with the first `known` documents (see `AiringTimeline.knownCount(at:)`).
        func overlay(_ timing: FrameTiming, pose: CameraPose?, known: Int) -> FrameOverlay {
            let timeline = airing.timeline(knowing: known)
            guard let template else { return timeline.overlay(for: timing, camera: pose) }
            let renderer = renderers[known] ?? TemplateRenderer(template: template, timeline: timeline, lens: lens)
            renderers[known] = renderer
            return renderer.render(timing, camera: pose)
        }

        do {
            let enricher = Enricher(inputURL: input, outputs: outputs, settings: settings, policy: policy, cancellation: cancellation)
            let showProgress = isatty(STDERR_FILENO) == 1 && !input.contains("://") && input != "-"
            var lastShown = -1
            let report = try enricher.run(clock: clock, carry: { timing, frame, knownAt in
                if frame.video.arrival != nil, Date().timeIntervalSince(lastPoll) >= EnrichmentJob.folderPollSeconds {
                    lastPoll = Date()
                    for found in ResultsFolder.newDocuments(in: results, seen: &seenFiles, report: { message in
                        FileHandle.standardError.write(Data((message + "\n").utf8))
                    }) {
                        airing.receive(found.document, at: knownAt)
                        renderers.removeAll()
                    }
                }
                let pose = camera?.pose(forCaptureAt: timing.captureStart)
                let known = airing.knownCount(at: knownAt)
                let shown = overlay(timing, pose: pose, known: known)
                // A templated job carries the compact form: the full JSON is then written on the store's thread.
                let json = compact ? nil : shown.canonicalJSONBytes()
                try frameWriter.append(shown, json: json)
                // A frame that aired with every document is its own latest state unless documents
                // can still arrive (a live input): nothing to remember for it.
                if known < airing.documentCount || frame.video.arrival != nil {
                    aired.append((timing, pose, known, EnrichmentJob.visibleState(shown), shown.dataVersion))
                }
                // A templated job carries the compact elements in band; the full state is in the store and the API.
                return try FrameCarriage(
                    InBandPayload(for: shown, compact: compact, canonical: json), carriers: settings.carriers,
                    markers: markers.markers(on: shown, at: timing.captureStart)
                )
            }, gap: { gap in
                FileHandle.standardError.write(Data("gap after frame \(gap.afterFrame): \(gap.framesMissing) frames missing\(gap.reconnected ? " (input reopened)" : "")\n".utf8))
            }, progress: showProgress ? { done in
                let percent = Int(done * 100)
                if percent != lastShown {
                    lastShown = percent
                    FileHandle.standardError.write(Data("\renriching \(input): \(percent)%".utf8))
                }
            } : nil)
            if showProgress { FileHandle.standardError.write(Data("\n".utf8)) }
            try frameWriter.finish()

            // Corrections: what each frame should have shown with every document now known. A frame
            // whose only change is the data version is recorded too (so `latest` is exactly the
            // state with every document) but is not counted as corrected.
            var corrections: [StoredCorrection] = []
            let everything = airing.knownCount(at: nil)
            for frame in aired where frame.known < everything {
                let latest = overlay(frame.timing, pose: frame.pose, known: everything)
                let visible = EnrichmentJob.visibleState(latest) != frame.shown
                if visible || latest.dataVersion != frame.version {
                    corrections.append(StoredCorrection(seq: latest.seq, overlayJSON: latest.canonicalJSON(), dataVersion: latest.dataVersion, visible: visible))
                }
            }
            try store.recordCorrections(corrections, toJob: jobID)
            let corrected = corrections.filter(\.visible).count
            try store.recordStats(EnrichmentJob.statsJSON(report, corrections: corrected), ofJob: jobID)
            let failed = report.outputs.filter { $0.failure != nil }
            try store.finishJob(jobID, failure: failed.isEmpty ? nil : failed.map { "\($0.target): \($0.failure!)" }.joined(separator: "; "))
            return Outcome(summary: summary(report, jobID: jobID, unit: unitCode, corrections: corrected), failedOutputs: failed)
        } catch {
            try? frameWriter.finish()
            try? store.finishJob(jobID, failure: "\(error)")
            for output in outputs where output.kind == .file { try? FileManager.default.removeItem(atPath: output.path!) }
            throw error
        }
    }

    /// What a viewer sees of an overlay (its data version aside): a later document that changes
    /// only the version label is not a correction.
    static func visibleState(_ overlay: FrameOverlay) -> Int {
        var hasher = Hasher()
        hasher.combine(overlay.clock)
        hasher.combine(overlay.lanes)
        hasher.combine(overlay.order)
        hasher.combine(overlay.leader)
        hasher.combine(overlay.records)
        hasher.combine(overlay.worldRecordLine)
        hasher.combine(overlay.elements)
        return hasher.finalize()
    }

    static func statsJSON(_ report: EnrichmentReport, corrections: Int) -> String {
        let outputs: [[String: Any]] = report.outputs.map { output in
            var entry: [String: Any] = [
                "target": output.target, "written": output.written, "dropped": output.dropped, "reopened": output.reopened,
                "skippedToKeyframe": output.skippedToKeyframe,
                "deepestQueue": output.deepestQueue, "latencyMedianMicroseconds": output.latencyMedianMicroseconds,
                "latencyP99Microseconds": output.latencyP99Microseconds,
            ]
            if let failure = output.failure { entry["failure"] = failure }
            return entry
        }
        let stats: [String: Any] = [
            "frames": report.frames, "tagged": report.tagged, "corrections": corrections, "outputs": outputs,
            "clockSource": report.ingest.clockSource?.rawValue ?? "none", "epochs": report.ingest.epochs,
            "gaps": report.ingest.gaps.count, "reconnects": report.ingest.reconnects, "corruptPackets": report.ingest.corruptPackets,
        ]
        let data = (try? JSONSerialization.data(withJSONObject: stats, options: [.sortedKeys])) ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self)
    }

    private func summary(_ report: EnrichmentReport, jobID: Int64, unit: UnitCode, corrections: Int) -> String {
        var lines = [
            "job \(jobID): \(report.frames) frames, \(report.tagged) tagged (\(report.frameRate) fps, clock: \(report.ingest.clockSource?.rawValue ?? "none")), unit \(unit)"
                + (template.map { ", template \($0.name)" } ?? "") + (camera.map { ", \($0.samples.count) camera samples" } ?? ""),
            "carriers: \([settings.carriers.contains(.id3) ? "id3" : nil, settings.carriers.contains(.sei) ? "sei" : nil].compactMap { $0 }.joined(separator: ",")); look-ahead \(Int(settings.lookahead * 1000)) ms; corrections: \(corrections) frames (recorded in \(database))",
        ]
        for output in report.outputs {
            var line = "\(output.target): \(output.written) packets written, \(output.dropped) dropped"
            if output.skippedToKeyframe > 0 { line += ", \(output.skippedToKeyframe) skipped to start on a keyframe" }
            if output.reopened > 0 { line += ", reopened \(output.reopened)×" }
            line += "; added latency p50 \(output.latencyMedianMicroseconds) µs, p99 \(output.latencyP99Microseconds) µs"
            if let failure = output.failure { line += "; FAILED: \(failure)" }
            lines.append(line)
        }
        let ingest = report.ingest
        if ingest.epochs > 1 || ingest.corruptPackets > 0 || !ingest.gaps.isEmpty || ingest.reconnects > 0 {
            lines.append("epochs: \(ingest.epochs); corrupt packets skipped: \(ingest.corruptPackets); gaps: \(ingest.gaps.count); reconnects: \(ingest.reconnects)")
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
            guard let code = UnitCode(unit) else { throw OperatorError("--unit \(unit) is not a 34-character RSC") }
            guard book.results(of: code) != nil else { throw OperatorError("the results hold no DT_RESULT for \(unit)") }
            return code
        }
        let units = book.units
        guard let first = units.first else { throw OperatorError("the results hold no DT_RESULT document") }
        guard units.count == 1 else {
            throw OperatorError("the results hold \(units.count) units (\(units.map(\.rawValue).joined(separator: ", "))); choose one with --unit")
        }
        return first
    }
}
