import ArgumentParser
import Foundation
import MediaFormats
import Overlay
import Pipeline

/// `podium probe`: what an input holds and how its frames are timed.
struct Probe: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "probe",
        abstract: "Summarise an input: streams, frame rate, clock source, epochs, corrupt packets, gaps.",
        discussion: "With --frames, one JSON line per video frame: index, pts, dts, duration, keyframe, epoch, captureUTC, clockSource."
    )

    @Argument(help: "File, -, udp://, srt://, rtmp://, rtsp:// or an http(s) HLS playlist.")
    var input: String

    @OptionGroup var options: InputOptions

    @Flag(help: "Print one JSON line per frame.")
    var frames = false

    @Option(help: "Stop after this many frames (live inputs run until stopped otherwise).")
    var limit: Int?

    func run() throws {
        try reportingErrors("probe") {
            let cancellation = InputCancellation()
            StopSignals.cancel(cancellation)
            let session = try IngestSession(url: input, policy: options.policy, clock: try options.clockSettings(required: false), cancellation: cancellation)
            let output = FileHandle.standardOutput
            var buffer = ""
            var lastShown = -1
            let showProgress = session.endpoint.kind == .file && isatty(STDERR_FILENO) == 1
            // A live probe is watched as it runs: every line goes out at once.
            let flushEvery = session.endpoint.kind.isLive ? 0 : 65_536
            let stats = try session.run(
                frame: { frame in
                    if frames {
                        buffer += Probe.jsonLine(frame)
                        if buffer.utf8.count > flushEvery { output.write(Data(buffer.utf8)); buffer = "" }
                    }
                    if let limit, frame.index + 1 >= limit { cancellation.cancel() }
                },
                gap: { gap in
                    FileHandle.standardError.write(Data("gap after frame \(gap.afterFrame): \(gap.framesMissing) frames missing, \(gap.start) – \(gap.end)\(gap.reconnected ? " (reconnected)" : "")\n".utf8))
                },
                progress: showProgress ? { done in
                    let percent = Int(done * 100)
                    if percent != lastShown {
                        lastShown = percent
                        FileHandle.standardError.write(Data("\rprobing \(input): \(percent)%".utf8))
                    }
                } : nil
            )
            if showProgress { FileHandle.standardError.write(Data("\n".utf8)) }
            output.write(Data(buffer.utf8))
            let summary = Probe.summary(input: input, session: session, stats: stats)
            (frames ? FileHandle.standardError : output).write(Data(summary.utf8))
        }
    }

    static func summary(input: String, session: IngestSession, stats: IngestStats) -> String {
        var lines = ["\(input): \(stats.inputFormat), \(session.endpoint.kind.rawValue) input"]
        for stream in stats.streams {
            var line = "  stream \(stream.index) (id \(stream.containerID)): \(stream.kind.rawValue) \(stream.codecName), time base \(stream.timeBase)"
            if stream.kind == .video, let rate = stream.frameRate { line += ", \(rate) fps" }
            line += ", \(stats.packets[stream.index] ?? 0) packets"
            lines.append(line)
        }
        let placed = stats.placedBy.sorted { $0.key.rawValue < $1.key.rawValue }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
        lines.append("frames: \(stats.frames) at \(stats.frameRate) fps; clock: \(stats.clockSource?.rawValue ?? "none")" + (placed.isEmpty ? "" : " (placed by \(placed))"))
        if let own = stats.conflictingStreamRate {
            lines.append("WARNING: the clock was given \(stats.frameRate) fps but the video stream states \(own) fps; frame times follow the clock's rate")
        }
        lines.append("epochs: \(stats.epochs); corrupt packets: \(stats.corruptPackets); breaks between access units: \(stats.breaksBetweenAccessUnits); gaps: \(stats.gaps.count) (\(stats.gaps.reduce(0) { $0 + $1.framesMissing }) frames missing); reconnects: \(stats.reconnects)")
        if let state = stats.arrivalClock {
            let drift = state.driftPPM.map { String(format: "%+.0f ppm", $0) } ?? "not yet measured (under 20 s)"
            lines.append(String(format: "arrival clock: delay %.1f ms, jitter %.1f ms, drift %@, steps followed: %d", state.delaySeconds * 1000, state.jitterSeconds * 1000, drift, state.steps))
        }
        if stats.stopped { lines.append("stopped before the end of the input") }
        return lines.joined(separator: "\n") + "\n"
    }

    /// One frame as a JSON line, keys sorted (written by hand: this runs once per frame).
    static func jsonLine(_ frame: IngestFrame) -> String {
        let utc = frame.timing.map { "\"\($0.captureStart.iso8601)\"" } ?? "null"
        let source = frame.source.map { "\"\($0.rawValue)\"" } ?? "null"
        let video = frame.video
        return "{\"captureUTC\":\(utc),\"clockSource\":\(source),\"dts\":\(video.dts),\"duration\":\(video.duration),\"epoch\":\(video.epoch),"
            + "\"index\":\(frame.index),\"keyframe\":\(video.keyframe),\"pts\":\(video.pts),\"timeBase\":\"\(frame.timeBase)\"}\n"
    }
}
