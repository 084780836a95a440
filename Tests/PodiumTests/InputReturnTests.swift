#if canImport(Glibc)
import Glibc
#endif
import Foundation
import TestSupport
import Testing

/// A live job's input killed and, past the read timeout, back again: the job reads the returning
/// sender within a second of its first packet, reports the gap, and its frame numbering and
/// capture clock go on across it. Timed as a follower sees it, so `scripts/test.sh` runs it on
/// its own after the parallel suite.
struct InputReturnTests {
    /// What a follower received, with when each read arrived.
    struct TimedStream: Sendable {
        var bytes: [UInt8] = []
        /// The offset in `bytes` where each read began, and when it arrived.
        var reads: [(offset: Int, at: Date)] = []

        /// When the bytes at `offset` arrived.
        func arrival(of offset: Int) -> Date? { reads.last { $0.offset <= offset }?.at }
    }

    /// Follows `path` on a thread from the moment it connects until the server closes or `limit` passes.
    static func follow(port: Int, path: String, key: String, waitingAtMost limit: Double) async throws -> TimedStream {
        try await OwnThread.run {
            let socket = try BlockingSocket(port: port)
            socket.send(Array("GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer \(key)\r\nConnection: close\r\n\r\n".utf8))
            var stream = TimedStream()
            let start = Date()
            reading: while Date().timeIntervalSince(start) < limit {
                switch socket.receive() {
                case .bytes(let bytes):
                    stream.reads.append((stream.bytes.count, Date()))
                    stream.bytes += bytes
                case .nothing: continue
                case .closed: break reading
                }
            }
            return stream
        }
    }

    /// A frame event as followed: its `seq`, capture UTC, and when it reached the follower.
    struct Followed {
        let seq: Int
        let capture: Date
        let received: Date
    }

    static func frames(in stream: TimedStream) throws -> [Followed] {
        let text = String(decoding: stream.bytes, as: UTF8.self)
        // Capture times carry microseconds, which ISO8601DateFormatter would cut to milliseconds.
        let seconds = ISO8601DateFormatter()
        func instant(_ text: String) -> Date? {
            guard let dot = text.firstIndex(of: "."), let whole = seconds.date(from: text[..<dot] + "Z"),
                  let fraction = Double("0" + text[dot...].dropLast()) else { return nil }
            return whole.addingTimeInterval(fraction)
        }
        var frames: [Followed] = []
        // Each event is written whole in one chunk: "id: N\nevent: frame\ndata: {…}\n\n".
        for match in text.matches(of: /id: (\d+)\nevent: frame\ndata: (\{[^\n]*\})\n/) {
            let offset = text.utf8.distance(from: text.utf8.startIndex, to: match.range.lowerBound.samePosition(in: text.utf8) ?? text.utf8.startIndex)
            let overlay = try #require(try JSONSerialization.jsonObject(with: Data(match.2.utf8)) as? [String: Any])
            let capture = try #require((overlay["captureUTC"] as? String).flatMap(instant), "\(overlay)")
            frames.append(Followed(seq: Int(match.1)!, capture: capture, received: try #require(stream.arrival(of: offset))))
        }
        return frames
    }

    @Test func aLiveInputThatComesBackIsReadWithinASecondWithTheGapReported() async throws {
        let served = try await FaultSuiteTests.Served()
        defer { served.stop() }
        let clip = served.folder.appendingPathComponent("live.ts")
        try await Clips.transportStream(at: clip, seconds: 4)
        let input = Loopback.freePort()
        let startList = Array(try Data(contentsOf: Fixtures.swim.appendingPathComponent("results/02-DT_RESULT-START_LIST.xml")))
        #expect(try await served.call("POST", "/v1/feeds/odf", body: startList).status == 200)
        let request = #"{"input": "udp://127.0.0.1:\#(input)", "clock": {"source": "arrival"}, "results": {"source": "feeds", "unit": "SWMM100MFR------------FNL-000100--"}, "hls": {"segmentSeconds": 1}}"#
        let created = try await served.call("POST", "/v1/jobs", body: Array(request.utf8))
        try #require(created.status == 201, "\(created.json)")
        #expect(await Loopback.waitForUDPListener(on: input))
        let (port, key) = (served.port, served.key)
        let follower = Task { try await Self.follow(port: port, path: "/v1/jobs/1/events?after=-1", key: key, waitingAtMost: 90) }

        // The sender is Podium's test's own, paced evenly: the return is timed from its first
        // datagram, not from a program starting up.
        let first = try PacedUDPStream(file: clip, toPort: input, over: 4)
        try await Task.sleep(for: .seconds(2))
        await first.stop()
        let killed = Date()
        // Away for longer than the job's read timeout (5 s): the job reopens its input and waits.
        try await Task.sleep(for: .seconds(7))
        let second = try PacedUDPStream(file: clip, toPort: input, over: 4)
        try await OwnThread.run { second.wait(timeout: 30) }
        let returned = try #require(second.firstSent)
        try await Task.sleep(for: .seconds(1))
        #expect(try await served.call("DELETE", "/v1/jobs/1").status == 200)
        let frames = try Self.frames(in: try await follower.value)
        let job = try await served.ended(job: 1, within: 30)

        // The frame numbering goes on: every frame once, in order, none missing.
        #expect(frames.map(\.seq) == Array(0..<frames.count), "\(frames.map(\.seq))")
        #expect(frames.count == job["frames"] as? Int)
        let stats = try #require(job["stats"] as? [String: Any], "\(job)")
        #expect((stats["gaps"] as? Int ?? 0) >= 1 && (stats["reconnects"] as? Int ?? 0) >= 1, "the gap is reported: \(stats)")
        // Where the arrival clock stood: a loopback path delays a frame by milliseconds at most.
        let arrivalClock = try #require(stats["arrivalClock"] as? [String: Any], "\(stats)")
        #expect((arrivalClock["delaySeconds"] as? Double).map { $0 >= 0 && $0 < 0.2 } == true, "\(arrivalClock)")

        // The returning sender is read at once: its first frame reaches a follower within a
        // second of its first packet, and its whole clip is there.
        let afterGap = try #require(frames.firstIndex { $0.capture > killed.addingTimeInterval(1) }, "no frame after the return")
        let resumed = frames[afterGap]
        #expect(resumed.received.timeIntervalSince(returned) <= 1.0, "the first frame after the return reached the follower \(resumed.received.timeIntervalSince(returned)) s after the sender's first datagram")
        #expect(frames.count - afterGap >= 195, "\(frames.count - afterGap) of the returning clip's 200 frames")

        // The capture clock is continuous: it never goes back, and it jumps by the time away.
        #expect(zip(frames, frames.dropFirst()).allSatisfy { $0.capture < $1.capture })
        let jump = resumed.capture.timeIntervalSince(frames[afterGap - 1].capture)
        let away = returned.timeIntervalSince(killed)
        #expect(jump >= away - 0.5 && jump <= away + 1.5, "the clock jumped \(jump) s over \(away) s away")
        print("input return: first new frame at a follower \(resumed.received.timeIntervalSince(returned)) s after the sender's first datagram; clock jumped \(jump) s over \(away) s away")
    }
}
