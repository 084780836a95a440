import ArgumentParser
import Foundation
import Ingest
import Overlay
import Store

/// `podium enrich`: tags every video frame of an input with its overlay and records the job.
struct Enrich: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Enrich a video file with frame-locked overlay data (timed ID3 in MPEG-TS)."
    )

    @Argument(help: "The input: a file, -, udp://, srt://, rtmp://, rtsp:// or an http(s) HLS playlist.")
    var input: String

    @OptionGroup var inputOptions: InputOptions

    @Option(help: "Folder of results documents (ODF 2 XML, with an optional manifest.json of receipt times).")
    var results: String

    @Option(help: "The enriched MPEG-TS file to write.")
    var out: String

    @Option(help: "The competition unit (RSC) to overlay, when the results hold several.")
    var unit: String?

    @Option(help: "SQLite database recording the job and its frames.")
    var database = "var/podium.sqlite"

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
            let cancellation = InputCancellation()
            StopSignals.cancel(cancellation)
            var job = EnrichmentJob(
                input: input, results: results, clock: try inputOptions.clockSettings(required: true), output: out, unit: unit, database: database
            )
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
            print(try job.run())
        }
    }
}

/// One enrichment, wired end to end: results → timeline → per-frame overlay → in band and in the store.
struct EnrichmentJob {
    let input: String
    let results: String
    let clock: ClockSettings
    let output: String
    let unit: String?
    let database: String
    var template: OverlayTemplate?
    var camera: CameraTrack?
    var lens: Lens?
    var policy = InputPolicy()
    var cancellation = InputCancellation()

    /// Frames are written to the store in batches, so a long file never holds all of them in memory.
    static let storeBatch = 250

    func run() throws -> String {
        let inputPath = URL(fileURLWithPath: input).standardizedFileURL.resolvingSymlinksInPath().path
        let outputPath = URL(fileURLWithPath: output).standardizedFileURL.resolvingSymlinksInPath().path
        guard inputPath != outputPath else { throw OperatorError("--out \(output) is the input itself; choose another file") }
        let folder = try ResultsFolder(path: results)
        let timeline = RaceTimeline(book: folder.book, unit: try selectUnit(folder.book))!
        let renderer = template.map { TemplateRenderer(template: $0, timeline: timeline, lens: lens) }

        let store = try SQLiteStore(path: database)
        let frameRateText = clock.frameRate?.description ?? "stream"
        let jobID = try store.startJob(
            JobDescription(
                createdUTC: UTCInstant.now().iso8601,
                input: input, output: output, unit: timeline.unit.rawValue, clockSource: clock.source?.rawValue ?? "auto", frameRate: frameRateText
            ),
            documents: folder.documents
        )
        var pending: [StoredFrame] = []
        do {
            let enricher = Enricher(inputURL: input, outputURL: output, policy: policy, cancellation: cancellation)
            let report = try enricher.run(clock: clock, tagFrame: { timing, _ in
                let pose = camera?.pose(forCaptureAt: timing.captureStart)
                let overlay = renderer?.render(timing, camera: pose) ?? timeline.overlay(for: timing, camera: pose)
                pending.append(StoredFrame(
                    seq: overlay.seq, pts: overlay.pts, captureUTC: overlay.captureUTC, overlayJSON: overlay.canonicalJSON()
                ))
                if pending.count >= EnrichmentJob.storeBatch {
                    try store.appendFrames(pending, toJob: jobID)
                    pending.removeAll(keepingCapacity: true)
                }
                // A templated job carries the compact elements in band; the full state is in the store and the API.
                return try renderer == nil ? OverlayPayload.id3Tag(for: overlay) : CompactPayload.id3Tag(for: overlay)
            }, gap: { gap in
                FileHandle.standardError.write(Data("gap after frame \(gap.afterFrame): \(gap.framesMissing) frames missing\(gap.reconnected ? " (input reopened)" : "")\n".utf8))
            })
            try store.appendFrames(pending, toJob: jobID)
            try store.finishJob(jobID, failure: nil)
            var lines = [
                "job \(jobID): \(report.frames) frames tagged (\(report.frameRate) fps, clock: \(report.ingest.clockSource?.rawValue ?? "none")), unit \(timeline.unit)"
                    + (template.map { ", template \($0.name)" } ?? "") + (camera.map { ", \($0.samples.count) camera samples" } ?? ""),
                "wrote \(output); recorded in \(database)",
            ]
            let ingest = report.ingest
            if ingest.epochs > 1 || ingest.corruptPackets > 0 || !ingest.gaps.isEmpty || ingest.reconnects > 0 {
                lines.append("epochs: \(ingest.epochs); corrupt packets skipped: \(ingest.corruptPackets); gaps: \(ingest.gaps.count); reconnects: \(ingest.reconnects)")
            }
            if ingest.stopped { lines.append("stopped before the end of the input") }
            lines += report.droppedStreams.map { "not carried: \($0)" }
            if report.untimedVideoPackets > 0 {
                lines.append("\(report.untimedVideoPackets) video packets had no timestamp and carry no overlay")
            }
            return lines.joined(separator: "\n")
        } catch {
            try? store.finishJob(jobID, failure: "\(error)")
            try? FileManager.default.removeItem(atPath: output)
            throw error
        }
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
