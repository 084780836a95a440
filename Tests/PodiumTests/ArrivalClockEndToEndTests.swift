#if canImport(Glibc)
import Glibc
#endif
import Foundation
import TestSupport
import Testing

/// The arrival clock as a venue network tries it: an independent sender
/// (`scripts/paced-ts-sender.py`, which shares no code with Podium) paces a 50 fps transport
/// stream over UDP at its PCR rate with a rate error and queueing delay, and writes down when
/// each frame truly left; `podium probe --clock-source arrival` must place them. Timed, so
/// `scripts/test.sh` runs it on its own after the parallel suite.
struct ArrivalClockEndToEndTests {
    struct Case: Sendable, CustomTestStringConvertible {
        let ppm: Double
        /// Most milliseconds each frame is held up by the path.
        let delay: Double
        let pause: (at: Double, for: Double)?
        var testDescription: String {
            "\(Int(ppm)) ppm, up to \(Int(delay)) ms held" + (pause.map { ", paused \(Int($0.for)) s at \(Int($0.at)) s" } ?? "")
        }
    }

    /// After 10 s at least 99 % of frames are within half a frame (10 ms) of when the sender's
    /// clock says they were made; with a pause, every frame is within again at most 2 s after
    /// the sender comes back (the time is printed), and the frames until then are not judged.
    @Test(.serialized, arguments: [
        Case(ppm: 0, delay: 0, pause: nil),
        Case(ppm: 100, delay: 40, pause: nil),
        Case(ppm: 500, delay: 40, pause: nil),
        Case(ppm: 100, delay: 40, pause: (at: 6, for: 3)),
    ])
    func anIndependentSendersFramesArePlacedWithinHalfAFrame(_ trial: Case) async throws {
        let folder = try Fixtures.scratchFolder()
        let clip = folder.appendingPathComponent("venue.ts")
        // 720p50 at 4 Mb/s, no B-frames: each frame's first byte leaves in presentation order.
        try await Clips.transportStream(at: clip, seconds: 14, size: "1280x720", extra: ["-bf", "0", "-g", "50", "-b:v", "4M", "-maxrate", "4M", "-bufsize", "2M"])
        let port = Loopback.freePort()
        let framesFile = folder.appendingPathComponent("frames.jsonl")
        FileManager.default.createFile(atPath: framesFile.path, contents: nil)
        let probe = Process()
        probe.executableURL = URL(fileURLWithPath: PodiumBinary.path)
        probe.arguments = ["probe", "--frames", "--clock-source", "arrival", "--limit", "700", "udp://127.0.0.1:\(port)"]
        probe.standardOutput = try FileHandle(forWritingTo: framesFile)
        let summaryFile = folder.appendingPathComponent("summary.txt")
        FileManager.default.createFile(atPath: summaryFile.path, contents: nil)
        probe.standardError = try FileHandle(forWritingTo: summaryFile)
        try probe.run()
        defer { if probe.isRunning { kill(probe.processIdentifier, SIGKILL) } }
        #expect(await Loopback.waitForUDPListener(on: port))

        let truthFile = folder.appendingPathComponent("truth.jsonl")
        var arguments = [Fixtures.root.appendingPathComponent("scripts/paced-ts-sender.py").path, clip.path, "--port", "\(port)",
                         "--ppm", "\(trial.ppm)", "--delay", "\(trial.delay)", "--seed", "4242", "--truth", truthFile.path]
        if let pause = trial.pause { arguments += ["--pause-at", "\(pause.at)", "--pause-for", "\(pause.for)"] }
        let sent = try await Fixtures.run("python3", arguments)
        try #require(sent.status == 0, "\(sent.err)")
        let deadline = Date().addingTimeInterval(3)
        while probe.isRunning, Date() < deadline { try await Task.sleep(for: .milliseconds(20)) }
        if probe.isRunning { kill(probe.processIdentifier, SIGINT); probe.waitUntilExit() }
        let summary = try String(contentsOf: summaryFile, encoding: .utf8)

        var truth: [Int: Double] = [:]
        for line in try String(contentsOf: truthFile, encoding: .utf8).split(separator: "\n") {
            let frame = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            let pts = try #require(frame["pts"] as? Int)
            truth[pts] = try #require(frame["clock"] as? Double)
        }
        let placed = try String(contentsOf: framesFile, encoding: .utf8).split(separator: "\n").map { line in
            let frame = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            let capture = try #require((frame["captureUTC"] as? String).flatMap(Self.seconds))
            let pts = try #require(frame["pts"] as? Int)
            let made = try #require(truth[pts % (1 << 33)], "frame \(pts) was never sent")
            return (made: made, error: capture - made)
        }
        try #require(placed.count >= 650, "\(placed.count) frames placed\n\(summary)")
        let first = placed[0].made
        // After a pause: how long from the sender's return until every frame is within again
        // (a second of frames tells a pause from a hold-up; then the line settles).
        var settled = 0.0
        if let pause = trial.pause {
            let resumed = first + pause.at + pause.for
            settled = placed.filter { $0.made >= resumed && $0.made < resumed + 5 && abs($0.error) > 0.010 }.map { $0.made - resumed }.max() ?? 0
            print(String(format: "%@: within half a frame again %.2f s after the sender came back", trial.testDescription, settled))
            #expect(settled <= 2, "\(settled) s to settle after the pause")
        }
        let judged = placed.filter { frame in
            let since = frame.made - first
            guard since >= 10 else { return false }
            if let pause = trial.pause, since >= pause.at + pause.for, since <= pause.at + pause.for + settled { return false }
            return true
        }
        let errors = judged.map { abs($0.error) }.sorted()
        let within = errors.filter { $0 <= 0.010 }.count
        let p99 = errors[min(errors.count - 1, errors.count * 99 / 100)]
        let median = judged.map(\.error).sorted()[judged.count / 2]
        let report = String(format: "%@: %d of %d frames within half a frame after 10 s, median %+.1f ms, p99 |error| %.1f ms",
                            trial.testDescription, within, judged.count, median * 1000, p99 * 1000)
        print(report)
        #expect(Double(within) / Double(judged.count) >= 0.99, "\(report)\n\(summary)")
        #expect(summary.contains("arrival clock: delay "), "\(summary)")
        if trial.pause != nil { #expect(summary.contains("steps followed: 1"), "\(summary)") }
    }

    /// Seconds since the epoch of an ISO 8601 instant with microseconds (`…:10.123456Z`).
    static func seconds(_ text: String) -> Double? {
        guard let dot = text.firstIndex(of: "."), let whole = ISO8601DateFormatter().date(from: text[..<dot] + "Z"),
              let fraction = Double("0" + text[dot...].dropLast()) else { return nil }
        return whole.timeIntervalSince1970 + fraction
    }
}
