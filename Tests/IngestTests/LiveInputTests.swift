import Foundation
import MediaFormats
import MediaIO
import Overlay
import Pipeline
import Synchronization
import TestSupport
import Testing

/// Live inputs on loopback, with real senders (`ffmpeg -re`) and a real HTTP server.
@Suite(.serialized)
struct LiveInputTests {
    /// A session read on its own thread, collecting frames and gaps.
    final class Reader: @unchecked Sendable {
        let lock = NSLock()
        private(set) var frames: [IngestFrame] = []
        private(set) var gaps: [InputGap] = []
        private(set) var result: Result<IngestStats, any Error>?
        let cancellation = InputCancellation()
        private let done = DispatchSemaphore(value: 0)

        init(url: String, policy: InputPolicy, clock: ClockSettings = ClockSettings(latency: 0.1)) {
            Thread.detachNewThread { [self] in
                let outcome = Result<IngestStats, any Error> {
                    let session = try IngestSession(url: url, policy: policy, clock: clock, cancellation: cancellation)
                    return try session.run(
                        frame: { frame in self.lock.withLock { self.frames.append(frame) } },
                        gap: { gap in self.lock.withLock { self.gaps.append(gap) } }
                    )
                }
                lock.withLock { result = outcome }
                done.signal()
            }
        }

        var frameCount: Int { lock.withLock { frames.count } }

        /// Waits until `count` frames arrived (at most `timeout` seconds).
        func waitForFrames(_ count: Int, timeout: Double) async {
            let deadline = Date().addingTimeInterval(timeout)
            while frameCount < count && Date() < deadline { try? await Task.sleep(for: .milliseconds(20)) }
        }

        /// Cancels and waits for the run to end; returns how long that took.
        func stop() -> (stats: IngestStats?, error: (any Error)?, seconds: Double) {
            let started = Date()
            cancellation.cancel()
            _ = done.wait(timeout: .now() + 10)
            let seconds = Date().timeIntervalSince(started)
            return lock.withLock {
                switch result {
                case .success(let stats): (stats, nil, seconds)
                case .failure(let error): (nil, error, seconds)
                case nil: (nil, nil, seconds)
                }
            }
        }
    }

    /// A fresh 3 s clip for a sender and a free loopback port to send it on.
    static func clipAndPort() async throws -> (clip: URL, port: UInt16) {
        let clip = try Fixtures.scratchFolder().appendingPathComponent("live.ts")
        try await Clips.transportStream(at: clip, seconds: 3)
        return (clip, Loopback.freePort())
    }

    static func sender(_ clip: URL, to url: String) throws -> BackgroundProcess {
        try BackgroundProcess("ffmpeg", ["-hide_banner", "-v", "error", "-re", "-i", clip.path, "-map", "0", "-c", "copy", "-f", "mpegts", url])
    }

    @Test func aUDPSenderKilledAndRestartedIsOneGapAndTheFrameIndexesContinue() async throws {
        let (clip, port) = try await Self.clipAndPort()
        let url = "udp://127.0.0.1:\(port)"
        let policy = InputPolicy(readTimeout: 0.5, reconnect: ReconnectPolicy(initialDelay: 0.1, maximumDelay: 0.5))
        let reader = Reader(url: url, policy: policy)
        try #require(await Loopback.waitForUDPListener(on: port), "the reader did not bind its port")
        let first = try Self.sender(clip, to: url + "?pkt_size=1316")
        await reader.waitForFrames(60, timeout: 10)
        first.kill()
        try await Task.sleep(for: .milliseconds(1500))
        let second = try Self.sender(clip, to: url + "?pkt_size=1316")
        await second.wait(timeout: 15)
        try await Task.sleep(for: .milliseconds(500))
        let (stats, error, _) = reader.stop()
        #expect(error == nil, "\(String(describing: error))")
        let frames = reader.lock.withLock { reader.frames }
        let gaps = reader.lock.withLock { reader.gaps }
        #expect(stats?.reconnects == 1)
        #expect(gaps.filter(\.reconnected).count == 1, "gaps: \(gaps)")
        #expect(frames.map(\.index) == Array(0..<frames.count))
        // The second sender's whole clip arrived after the gap.
        #expect(frames.filter { $0.video.epoch == frames.last!.video.epoch }.count >= 148)
        let reconnectGap = try #require(gaps.first { $0.reconnected })
        #expect(reconnectGap.framesMissing >= 50, "the sender was away for more than a second")
        let utc = frames.compactMap { $0.timing?.captureStart }
        #expect(utc.count == frames.count && zip(utc, utc.dropFirst()).allSatisfy { $0 < $1 })
    }

    /// The machine's clock moved by a fixed amount: a node whose clock is corrected, or a replay.
    struct ShiftedClock: WallClock {
        let seconds: Int64
        func microsecondsSinceEpoch() -> Int64 { SystemClock().microsecondsSinceEpoch() + seconds * 1_000_000 }
    }

    @Test func aLiveInputIsDatedByTheWallClockItsJobIsGiven() async throws {
        let (clip, port) = try await Self.clipAndPort()
        let url = "udp://127.0.0.1:\(port)"
        let shifted = ShiftedClock(seconds: 3600)
        let reader = Reader(
            url: url, policy: InputPolicy(readTimeout: 0.5, reconnect: ReconnectPolicy(initialDelay: 0.1, maximumDelay: 0.5)),
            clock: ClockSettings(source: .arrival, latency: 0.1, wallClock: shifted)
        )
        try #require(await Loopback.waitForUDPListener(on: port), "the reader did not bind its port")
        let before = shifted.now()
        let sender = try Self.sender(clip, to: url + "?pkt_size=1316")
        await sender.wait(timeout: 15)
        await reader.waitForFrames(150, timeout: 5)
        _ = reader.stop()
        let after = shifted.now()
        let frames = reader.lock.withLock { reader.frames }
        #expect(frames.count >= 148)
        // The bytes are dated in C, inside FFmpeg's read; those stamps come from the same clock.
        let arrivals = frames.compactMap(\.video.arrival)
        #expect(arrivals.count == frames.count)
        #expect(arrivals.allSatisfy { $0 >= before && $0 <= after }, "arrivals \(arrivals.first!) … \(arrivals.last!), sent \(before) … \(after)")
        let captures = frames.compactMap { $0.timing?.captureStart }
        #expect(captures.count == frames.count)
        #expect(captures.allSatisfy { $0 >= before.advanced(by: Rational(-1, 1)) && $0 <= after }, "capture \(captures.first!) … \(captures.last!)")
    }

    @Test func anSRTCallerDeliversEveryFrameToAListeningJob() async throws {
        let (clip, port) = try await Self.clipAndPort()
        let reader = Reader(url: "srt://127.0.0.1:\(port)?mode=listener", policy: InputPolicy(readTimeout: 1))
        try #require(await Loopback.waitForUDPListener(on: port), "the SRT listener did not bind its port")
        let sender = try Self.sender(clip, to: "srt://127.0.0.1:\(port)?mode=caller&pkt_size=1316&linger=1")
        await sender.wait(timeout: 15)
        await reader.waitForFrames(150, timeout: 5)
        let (stats, error, _) = reader.stop()
        #expect(error == nil, "\(String(describing: error))")
        let frames = reader.lock.withLock { reader.frames }
        #expect(frames.count == 150)
        #expect(stats?.clockSource == .arrival)
        let pts = frames.map(\.video.pts)
        #expect(zip(pts, pts.dropFirst()).allSatisfy { $1 - $0 == 1800 })
    }

    @Test func anRTMPServerIsPulledWithFLVTimestamps() async throws {
        let (clip, port) = try await Self.clipAndPort()
        let url = "rtmp://127.0.0.1:\(port)/live/race"
        // FFmpeg as the RTMP server a venue encoder would publish to; Podium plays from it.
        let server = try BackgroundProcess("ffmpeg", ["-hide_banner", "-v", "error", "-re", "-i", clip.path, "-map", "0", "-c", "copy", "-f", "flv", "-listen", "1", url])
        defer { server.kill() }
        try #require(await Loopback.waitForTCPListenerUntouched(on: port), "the RTMP server did not start")
        let reader = Reader(url: url, policy: InputPolicy(readTimeout: 1, reconnect: ReconnectPolicy(maximumAttempts: 1)))
        await reader.waitForFrames(100, timeout: 10)
        let (_, error, _) = reader.stop()
        #expect(error == nil, "\(String(describing: error))")
        let frames = reader.lock.withLock { reader.frames }
        #expect(frames.count >= 100)
        #expect(frames.first?.timeBase == Rational(1, 1000))
        let pts = frames.prefix(90).map(\.video.pts)
        #expect(zip(pts, pts.dropFirst()).allSatisfy { $1 - $0 == 20 })
    }

    @Test func hlsProgramDateTimesPlaceEachSegmentsFirstFrame() async throws {
        let folder = try Fixtures.scratchFolder()
        let clip = folder.appendingPathComponent("source.ts")
        try await Clips.transportStream(at: clip, seconds: 6)
        // A packager's playlist: 2 s segments cut at keyframes, each with its program date-time.
        try await Clips.ffmpeg([
            "-i", clip.path, "-map", "0", "-c", "copy", "-f", "hls", "-hls_time", "2", "-hls_list_size", "0",
            "-hls_flags", "program_date_time", "-hls_playlist_type", "vod", folder.appendingPathComponent("index.m3u8").path,
        ])
        let (server, port) = try await Loopback.httpServer(serving: folder)
        defer { server.kill() }
        let url = "http://127.0.0.1:\(port)/index.m3u8"
        let session = try IngestSession(url: url, clock: ClockSettings())
        #expect(session.clockSource == .programDateTime)
        var frames: [IngestFrame] = []
        let stats = try session.run(frame: { frames.append($0) })
        #expect(frames.count == 300)
        #expect(stats.placedBy == [.programDateTime: 300])

        let playlist = HLSPlaylist(text: try String(contentsOf: folder.appendingPathComponent("index.m3u8"), encoding: .utf8), baseURL: url)
        #expect(playlist.ended && playlist.segments.count == 3)
        var firstFrame = 0
        for segment in playlist.segments {
            // Each segment's frames, counted independently with ffprobe.
            let probe = try await Fixtures.run("ffprobe", ["-v", "error", "-select_streams", "v", "-count_packets", "-show_entries", "stream=nb_read_packets", "-of", "csv=p=0",
                                                     folder.appendingPathComponent(URL(string: segment.url)!.lastPathComponent).path])
            let count = try #require(probe.out.split(whereSeparator: { !$0.isNumber }).first.flatMap { Int($0) })
            let frame = frames[firstFrame]
            #expect(frame.video.keyframe)
            let stated = try #require(segment.programDateTime)
            let difference = frame.timing!.captureStart.seconds(since: stated)
            #expect(difference < Rational(1, 1000) && Rational(-1, 1000) < difference, "segment \(segment.url)")
            firstFrame += count
        }
        #expect(firstFrame == 300)
    }

    @Test func hostilePlaylistsAreRefusedBeforeAnythingIsOpened() async throws {
        let folder = try Fixtures.scratchFolder()
        let clip = folder.appendingPathComponent("seg.ts")
        try await Clips.transportStream(at: clip, seconds: 1)
        let secret = folder.appendingPathComponent("secret.ts")
        try Data(contentsOf: clip).write(to: secret)
        let playlists = [
            "local-file.m3u8": "file://\(secret.path)",
            "other-host.m3u8": "http://media.example.net/seg.ts",
            "loopback-by-name.m3u8": "http://localhost:1/seg.ts",
            "concat.m3u8": "concat:\(secret.path)|\(secret.path)",
            "subfile.m3u8": "subfile,,start,0,end,0,,:\(secret.path)",
            "data.m3u8": "data:video/mp2t;base64,R0lGODlh",
            "crypto.m3u8": "crypto+file://\(secret.path)",
        ]
        for (name, segment) in playlists {
            try "#EXTM3U\n#EXT-X-TARGETDURATION:1\n#EXTINF:1.0,\n\(segment)\n#EXT-X-ENDLIST\n".write(
                to: folder.appendingPathComponent(name), atomically: true, encoding: .utf8
            )
        }
        let (server, port) = try await Loopback.httpServer(serving: folder)
        defer { server.kill() }
        for (name, segment) in playlists.sorted(by: { $0.key < $1.key }) {
            #expect("\(name) is refused") {
                let session = try IngestSession(url: "http://127.0.0.1:\(port)/\(name)", clock: ClockSettings(required: false))
                _ = try session.run(frame: { _ in })
            } throws: { error in
                guard case let .refusedURL(url, rule) = error as? MediaError else { return false }
                return url.hasSuffix(String(segment.suffix(8))) && !rule.isEmpty
            }
        }
    }

    @Test func stoppingASilentInputReturnsWithinASecond() async throws {
        let port = Loopback.freePort()
        let reader = Reader(url: "udp://127.0.0.1:\(port)", policy: InputPolicy(readTimeout: 30))
        try await Task.sleep(for: .milliseconds(500))
        let (_, _, seconds) = reader.stop()
        #expect(seconds < 1, "stopped after \(seconds) s")
        let listener = Reader(url: "srt://127.0.0.1:\(Loopback.freePort())?mode=listener", policy: InputPolicy(readTimeout: 30))
        try await Task.sleep(for: .milliseconds(500))
        #expect(listener.stop().seconds < 1)
    }
}
