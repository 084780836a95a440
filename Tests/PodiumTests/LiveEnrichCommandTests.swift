import Foundation
import Store
import TestSupport
import Testing

/// `podium enrich` on a live UDP input while the timing system writes into the results folder.
@Suite(.serialized)
struct LiveEnrichCommandTests {
    @Test func aDocumentWrittenDuringALiveJobLandsOnFramesWithinTheLookAhead() async throws {
        let folder = try Fixtures.scratchFolder()
        let results = folder.appendingPathComponent("results")
        try FileManager.default.createDirectory(at: results, withIntermediateDirectories: true)
        let fixtureResults = Fixtures.swim.appendingPathComponent("results")
        for name in ["00-DT_RECORD.xml", "01-DT_PARTIC.xml", "02-DT_RESULT-START_LIST.xml"] {
            try FileManager.default.copyItem(at: fixtureResults.appendingPathComponent(name), to: results.appendingPathComponent(name))
        }
        let port = Loopback.freePort()
        let database = folder.appendingPathComponent("podium.sqlite").path
        let job = try BackgroundProcess(PodiumBinary.path, [
            "enrich", "udp://127.0.0.1:\(port)", "--results", results.path, "--clock-source", "arrival", "--lookahead", "1s",
            "--out", folder.appendingPathComponent("out.ts").path, "--database", database, "--read-timeout", "1",
        ])
        // The feed starts once the job listens, so no frame goes before anyone reads it.
        try #require(await Loopback.waitForUDPListener(on: port), "podium enrich did not listen on \(port)")
        let sender = try BackgroundProcess("ffmpeg", [
            "-hide_banner", "-v", "error", "-re", "-i", Fixtures.swim.appendingPathComponent("clip.ts").path,
            "-map", "0", "-c", "copy", "-f", "mpegts", "udp://127.0.0.1:\(port)?pkt_size=1316",
        ])
        // Halfway through, the official result arrives (its touches lie in the past of every frame).
        try await Task.sleep(for: .seconds(5))
        let arrived = Date()
        let official = try Data(contentsOf: fixtureResults.appendingPathComponent("05-DT_RESULT-OFFICIAL.xml"))
        try official.write(to: results.appendingPathComponent("05-DT_RESULT-OFFICIAL.xml"))
        await sender.wait(timeout: 20)
        // The operator stops the job once it has aired what was sent: on a machine busy with other
        // work the job may trail the feed by seconds, and a stop drops what it has not read yet.
        let store = try SQLiteStore(path: database)
        try await Self.waitUntilFramesSettle(of: store, atLeast: 600, within: 20)
        await job.interrupt(timeout: 10)

        let record = try #require(try await store.jobs().first)
        // Stopped by its operator (SIGINT), as a live job ends.
        #expect(record.state == "stopped", "\(record.failure ?? "")")
        let aired = try await store.frames(jobID: record.id, from: 0, to: 10_000, limit: 10_000, asOf: .aired)
        #expect(aired.count >= 590)
        let showsFinish = { (frame: StoredFrame) in String(decoding: frame.overlayJSON, as: UTF8.self).contains(#""finish":"#) }
        let first = try #require(aired.firstIndex(where: showsFinish), "no frame ever showed the official result")
        #expect(aired[first...].allSatisfy(showsFinish))
        // It landed on frames captured before it arrived: the look-ahead held them for it.
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        let landed = try #require(formatter.date(from: aired[first].captureUTC))
        #expect(landed < arrived, "first shown on a frame captured at \(landed), the document arrived at \(arrived)")
        #expect(landed > arrived.addingTimeInterval(-2))
        // The frames before it are corrected: with every document known they show the touches.
        #expect(record.corrections == first, "corrections \(record.corrections), frames before the document \(first)")
        let latest = try await store.frames(jobID: record.id, from: 0, to: 10_000, limit: 10_000, asOf: .latest)
        #expect(latest.allSatisfy(showsFinish))
    }

    /// Waits until the store's only job holds `count` frames, or its count has not grown for 2 s
    /// (at most `seconds` in all).
    static func waitUntilFramesSettle(of store: SQLiteStore, atLeast count: Int, within seconds: Double) async throws {
        let deadline = Date().addingTimeInterval(seconds)
        var last = -1
        var lastGrew = Date()
        while Date() < deadline {
            let frames = try await store.jobs().first?.frames ?? 0
            if frames >= count { return }
            if frames != last { (last, lastGrew) = (frames, Date()) }
            if Date().timeIntervalSince(lastGrew) > 2 { return }
            try await Task.sleep(for: .milliseconds(200))
        }
    }
}

/// A store that fails mid-job (its disk full) ends the job with that reason and leaves the
/// enriched recording on its healthy disk, finished and playable.
@Suite(.serialized)
struct StoreFaultTests {
    @Test func aFullDatabaseDiskKeepsTheRecordingFinishedAndNamed() async throws {
        let folder = try Fixtures.scratchFolder()
        let disk = try SmallDisk()
        let output = folder.appendingPathComponent("out.ts")
        let port = Loopback.freePort()
        let job = try BackgroundProcess(PodiumBinary.path, [
            "enrich", "udp://127.0.0.1:\(port)", "--results", Fixtures.swim.appendingPathComponent("results").path,
            "--clock-source", "arrival", "--out", output.path, "--database", disk.folder.appendingPathComponent("podium.sqlite").path,
            "--read-timeout", "2",
        ], captureError: true)
        try #require(await Loopback.waitForUDPListener(on: port), "podium enrich did not listen on \(port)")
        let sender = try BackgroundProcess("ffmpeg", [
            "-hide_banner", "-v", "error", "-re", "-i", Fixtures.swim.appendingPathComponent("clip.ts").path,
            "-map", "0", "-c", "copy", "-f", "mpegts", "udp://127.0.0.1:\(port)?pkt_size=1316",
        ])
        defer { sender.kill() }
        try await Task.sleep(for: .seconds(3))
        // The disk fills up under the running job.
        try disk.fill()
        await job.wait(timeout: 20)
        #expect(!job.isRunning, "the job did not end on a full disk")
        job.kill()
        let errors = job.errorOutput
        #expect(errors.contains("database or disk is full"), "\(errors)")
        #expect(errors.contains("outputs kept as written: \(output.path)"), "\(errors)")
        // The recording is there, and an independent reader finds whole frames in it.
        let probe = try await Fixtures.run("ffprobe", ["-v", "error", "-select_streams", "v", "-count_frames", "-show_entries", "stream=nb_read_frames", "-of", "csv=p=0", output.path])
        let frames = probe.out.split(whereSeparator: { !$0.isNumber }).first.flatMap { Int($0) } ?? 0
        #expect(frames >= 50, "\(probe.out) \(probe.err)")
        #expect(!probe.err.contains("error"), "\(probe.err)")
    }
}
