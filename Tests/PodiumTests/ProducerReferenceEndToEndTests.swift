import Foundation
import TestSupport
import Testing

/// `--clock-source prft` against a real RTSP camera: GStreamer's RTSP server library
/// (`scripts/rtsp-sender.py`, no Podium code) serves a clip in real time with RTCP sender reports
/// on a clock an hour ahead of this machine's, and writes down every report it sends and every
/// frame's RTP timestamp. Each frame `podium probe` places by PRFT must sit where the sender's
/// own report puts that frame, not where it arrived.
struct ProducerReferenceEndToEndTests {
    /// The sender's statements: its frames' RTP timestamps in sending order, and its reports.
    struct SenderRecord {
        var frames: [UInt32] = []
        var reports: [(rtp: UInt32, utc: Double)] = []

        init(_ file: URL) throws {
            for line in try String(contentsOf: file, encoding: .utf8).split(separator: "\n") {
                let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: [String: Any]])
                if let frame = object["frame"], let rtp = frame["rtp"] as? Int { frames.append(UInt32(rtp)) }
                if let report = object["report"], let rtp = report["rtp"] as? Int, let utc = report["utc"] as? Double {
                    reports.append((UInt32(rtp), utc))
                }
            }
        }

        /// The instant the sender's report states for RTP timestamp `rtp`.
        func stated(_ rtp: UInt32) -> Double? {
            reports.first.map { $0.utc + Double(Int32(bitPattern: rtp &- $0.rtp)) / 90000 }
        }
    }

    @Test func framesSitOnTheSendersReportedTimeNotOnTheirArrival() async throws {
        let folder = try Fixtures.scratchFolder()
        let clip = folder.appendingPathComponent("camera.ts")
        // 50 fps, no B-frames, with one frame left out after frame 150: the gap in the RTP
        // timestamps and in Podium's PTS ties the two numberings together without trusting either.
        try await Clips.ffmpeg([
            "-f", "lavfi", "-i", "testsrc2=size=320x180:rate=50:duration=12", "-vf", "setpts='(N+gte(N,150))/(50*TB)'",
            "-fps_mode", "passthrough", "-c:v", "libx264", "-preset", "ultrafast", "-bf", "0", "-g", "50", "-f", "mpegts", clip.path,
        ])
        let port = Loopback.freePort()
        let truthFile = folder.appendingPathComponent("sender.jsonl")
        let sender = try BackgroundProcess("/usr/bin/python3", [
            Fixtures.root.appendingPathComponent("scripts/rtsp-sender.py").path, clip.path, "--port", "\(port)",
            "--offset", "3600", "--truth", truthFile.path,
        ], captureError: true)
        defer { sender.kill() }
        try #require(await Loopback.waitForTCPListenerUntouched(on: port), "the RTSP sender did not start: \(sender.errorOutput)")

        let probe = try await Fixtures.run(PodiumBinary.path, ["probe", "--frames", "--clock-source", "prft", "--limit", "450", "rtsp://127.0.0.1:\(port)/clip"])
        try #require(probe.status == 0, "\(probe.err)")
        let record = try SenderRecord(truthFile)
        try #require(!record.reports.isEmpty, "the sender sent no report\n\(probe.err)")
        let frames = try probe.out.split(separator: "\n").map { line in
            try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        }
        let pts = try frames.map { try #require($0["pts"] as? Int) }
        let podiumGap = try #require(pts.indices.dropFirst().first { pts[$0] - pts[$0 - 1] == 3600 })
        let senderGap = try #require(record.frames.indices.dropFirst().first { record.frames[$0] &- record.frames[$0 - 1] == 3600 })
        // Nothing is lost at the start: FFmpeg hands the session's first access unit (the
        // keyframe) out without timestamps, and Podium dates it one frame before the next.
        #expect(podiumGap == senderGap, "Podium's frame \(podiumGap) is the sender's \(senderGap)")
        #expect(frames.first?["keyframe"] as? Bool == true)

        let now = Date().timeIntervalSince1970
        var placed = 0
        for (index, frame) in frames.enumerated() where frame["clockSource"] as? String == "prft" {
            let rtp = record.frames[senderGap] &+ UInt32(truncatingIfNeeded: pts[index] - pts[podiumGap])
            let stated = try #require(record.stated(rtp))
            let capture = try #require((frame["captureUTC"] as? String).flatMap(ArrivalClockEndToEndTests.seconds))
            #expect(abs(capture - stated) <= 0.001, "frame \(index) at \(capture), the sender says \(stated)")
            placed += 1
        }
        #expect(placed >= 150, "\(placed) frames placed by PRFT\n\(probe.err)")
        // The sender's clock is an hour ahead: frames placed by arrival would be at about now.
        let lastText = try #require(frames.last?["captureUTC"] as? String)
        let last = try #require(ArrivalClockEndToEndTests.seconds(lastText))
        #expect(abs(last - now - 3600) < 30)
        #expect(probe.err.contains("clock: prft"), "\(probe.err)")
    }
}
