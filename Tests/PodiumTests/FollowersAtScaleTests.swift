import Foundation
import Store
import TestSupport
import Testing

/// A thousand followers of one live job on one `podium serve`: Server-Sent Events and WebSocket
/// followers that read get every frame in order and the end; followers that stop reading are let
/// go; the server's memory stays bounded meanwhile. The followers are `scripts/followers.py`, a
/// process of their own; the job's frames are written to the store as a running job writes them,
/// 50 a second. `scripts/test.sh` runs it on its own, after the parallel suite, with the server
/// as deployed: the release build, named by `PODIUM_SERVE_BINARY` (without it, the debug build
/// beside the tests, which on 2 cores falls behind the job).
@Suite(.serialized)
struct FollowersAtScaleTests {
    static let readingSSE = 400
    static let readingWebSocket = 400
    static let stalled = 200
    static let frames = 1000
    /// The bound docs/reliability.md states for a thousand followers.
    static let rssBoundMiB = 300.0

    @Test func aThousandFollowersOfALiveJobInBoundedMemory() async throws {
        let folder = try Fixtures.scratchFolder()
        let database = folder.appendingPathComponent("podium.sqlite").path
        let store = try SQLiteStore(path: database)
        let key = try store.createKey(scope: .viewer, owner: "viewer-app", createdUTC: "2026-07-31T19:40:00.000000Z").secret
        let job = try store.startJob(
            JobDescription(createdUTC: "2026-07-31T19:40:00.000000Z", input: "udp://venue", output: "out.ts", unit: nil, clockSource: "arrival", frameRate: "50"),
            documents: []
        )
        let overlays = try Fixtures.swimGolden()
        let (server, port) = try ServedProcess.start(
            database: database, log: folder.appendingPathComponent("serve.log"), extra: ["--rate-limit", "100000", "--rate-burst", "100000"]
        )
        defer { if server.isRunning { server.terminate() } }
        let baselineMiB = try #require(ServedProcess.residentMiB(server.processIdentifier))

        let ready = folder.appendingPathComponent("ready")
        let followers = Process()
        followers.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        followers.arguments = [
            "python3", Fixtures.root.appendingPathComponent("scripts/followers.py").path, "\(port)", key, "\(job)",
            "--sse", "\(Self.readingSSE)", "--ws", "\(Self.readingWebSocket)", "--stalled", "\(Self.stalled)", "--seconds", "240",
            "--ready", ready.path,
        ]
        let output = Pipe()
        followers.standardOutput = output
        try followers.run()
        defer { if followers.isRunning { followers.terminate() } }
        let connectDeadline = Date().addingTimeInterval(60)
        while !FileManager.default.fileExists(atPath: ready.path), Date() < connectDeadline, followers.isRunning {
            try await Task.sleep(for: .milliseconds(100))
        }
        try #require(FileManager.default.fileExists(atPath: ready.path), "the followers did not connect")

        // The job runs: 50 frames a second, as a running job writes them; RSS sampled meanwhile.
        var peakMiB = baselineMiB
        let start = ContinuousClock.now
        for seq in 0..<Self.frames {
            try await Task.sleep(until: start + .milliseconds(20 * seq))
            let frame = StoredFrame(seq: seq, pts: 129_600 + Int64(seq) * 1800, captureUTC: "", overlayJSON: Data(overlays[seq % overlays.count].utf8))
            try store.appendFrames([frame], toJob: job)
            if seq % 25 == 0, let resident = ServedProcess.residentMiB(server.processIdentifier) { peakMiB = max(peakMiB, resident) }
        }
        try store.finishJob(job, failure: nil)
        while followers.isRunning {
            if let resident = ServedProcess.residentMiB(server.processIdentifier) { peakMiB = max(peakMiB, resident) }
            try await Task.sleep(for: .milliseconds(500))
        }
        let report = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let summary = try #require(try JSONSerialization.jsonObject(with: Data(report.utf8)) as? [String: Any], "\(report)")
        print("followers: \(report)peak RSS \(peakMiB) MiB (baseline \(baselineMiB) MiB)")

        for (kind, count) in [("sse", Self.readingSSE), ("ws", Self.readingWebSocket)] {
            let group = try #require(summary[kind] as? [String: Any], "\(kind): \(report)")
            #expect(group["inOrder"] as? Int == count, "\(kind): \(group)")
            #expect(group["ended"] as? Int == count, "\(kind): \(group)")
            #expect(group["fewestFrames"] as? Int == Self.frames, "\(kind): \(group)")
        }
        for kind in ["stalled-sse", "stalled-ws"] {
            let group = try #require(summary[kind] as? [String: Any], "\(kind): \(report)")
            // Let go: the server closed each one, and what each got was in order, and not the whole job.
            #expect(group["closedByServer"] as? Int == Self.stalled / 2, "\(kind): \(group)")
            #expect(group["inOrder"] as? Int == Self.stalled / 2, "\(kind): \(group)")
            #expect((group["mostFrames"] as? Int ?? .max) < Self.frames, "\(kind): \(group)")
        }
        #expect(summary["exceptions"] == nil, "\(report)")
        #expect(peakMiB < Self.rssBoundMiB, "peak RSS \(peakMiB) MiB with \(Self.readingSSE + Self.readingWebSocket + Self.stalled) followers")
    }
}

/// `podium serve` as its own process, its log in a file (a pipe nobody reads would stop it): the
/// binary `PODIUM_SERVE_BINARY` names (`scripts/test.sh` sets it for the followers' test only),
/// or the debug build beside the tests.
enum ServedProcess {
    static func start(database: String, log: URL, extra: [String]) throws -> (Process, Int) {
        FileManager.default.createFile(atPath: log.path, contents: nil)
        let handle = try FileHandle(forWritingTo: log)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: ProcessInfo.processInfo.environment["PODIUM_SERVE_BINARY"].flatMap { $0.isEmpty ? nil : $0 } ?? PodiumBinary.path)
        process.arguments = ["serve", "--hostname", "127.0.0.1", "--port", "0", "--database", database] + extra
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline, process.isRunning {
            let seen = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
            if let match = seen.firstMatch(of: /listening on 127\.0\.0\.1:(\d+)/) { return (process, Int(match.1)!) }
            Thread.sleep(forTimeInterval: 0.05)
        }
        process.terminate()
        throw CocoaError(.fileReadUnknown, userInfo: [NSLocalizedDescriptionKey: "server did not start: \((try? String(contentsOf: log, encoding: .utf8)) ?? "")"])
    }

    /// The process's resident set, from /proc.
    static func residentMiB(_ pid: Int32) -> Double? {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }),
              let kilobytes = Double(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "")
        else { return nil }
        return kilobytes / 1024
    }
}
