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
        usleep(500_000)
        let sender = try BackgroundProcess("ffmpeg", [
            "-hide_banner", "-v", "error", "-re", "-i", Fixtures.swim.appendingPathComponent("clip.ts").path,
            "-map", "0", "-c", "copy", "-f", "mpegts", "udp://127.0.0.1:\(port)?pkt_size=1316",
        ])
        // Halfway through, the official result arrives (its touches lie in the past of every frame).
        usleep(5_000_000)
        let arrived = Date()
        let official = try Data(contentsOf: fixtureResults.appendingPathComponent("05-DT_RESULT-OFFICIAL.xml"))
        try official.write(to: results.appendingPathComponent("05-DT_RESULT-OFFICIAL.xml"))
        sender.wait(timeout: 20)
        usleep(1_500_000)
        job.interrupt(timeout: 10)

        let store = try SQLiteStore(path: database)
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
}
