import ArgumentParser
import Foundation
import Jobs
import Logging
import MediaFormats
import Overlay
import Pipeline
import Store
import Synchronization

/// `podium enrich`: tags every video frame of an input with its overlay, delivers the enriched
/// copies, and records the job.
struct Enrich: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "enrich",
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

    @Option(help: "Which frames get a timed-ID3 cue: every-frame, or on-change (when what the payload shows changes, and on every keyframe). Default: on-change for HLS, every-frame for the other outputs. SEI goes in every frame.")
    var cues: String?

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

    @Option(help: "This process's name as a node of the store (PODIUM_NODE_NAME; the host name by default).")
    var nodeName = ProcessInfo.processInfo.environment["PODIUM_NODE_NAME"]

    func run() throws {
        try reportingErrors("enrich") {
            guard !outputs.isEmpty else { throw OperatorError("give at least one --out") }
            let cancellation = InputCancellation()
            StopSignals.cancel(cancellation)
            let showProgress = isatty(STDERR_FILENO) == 1 && !input.contains("://") && input != "-"
            let clock = try inputOptions.clockSettings(required: true)
            let outputTargets = try outputs.map { try OutputTarget($0) }
            // A recording starts opening now, while the store opens and the results are read.
            let opening = InputOpening.start(url: input, policy: inputOptions.policy, clock: clock, cancellation: cancellation)
            let store = try SQLiteStore(path: database)
            // This process is a node while it runs the job: killed, its job is settled as
            // interrupted by the next node that beats, never left running.
            let node = try NodeHeartbeat.start(store: store, name: nodeName, logger: Logger(label: "podium.enrich", factory: { _ in OperatorLines() }))
            defer { node.stop() }
            var job = EnrichmentJob(input: input, results: .folder(results), clock: clock, outputs: outputTargets, unit: unit, store: store)
            job.node = node.node.id
            job.inputOpening = opening
            job.logger = Logger(label: "podium.enrich", factory: { _ in OperatorLines() })
            if showProgress {
                let lastShown = Mutex(-1)
                job.progress = { [input] done in
                    let percent = Int(done * 100)
                    guard lastShown.withLock({ shown in defer { shown = percent }; return shown != percent }) else { return }
                    FileHandle.standardError.write(Data("\renriching \(input): \(percent)%".utf8))
                }
            }
            job.settings = EnrichmentSettings(
                carriers: try Carriers(list: carrier), lookahead: try Enrich.seconds(lookahead, option: "--lookahead"),
                queueCapacity: queue, hlsTargetDuration: hlsSegment, hlsWindow: hlsWindow
            )
            if let cues {
                guard let mode = CueMode(rawValue: cues) else { throw OperatorError("--cues \(cues): not a cue mode; the modes are \(CueMode.names)") }
                job.settings.cues = mode
            }
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
            if showProgress { FileHandle.standardError.write(Data("\n".utf8)) }
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
