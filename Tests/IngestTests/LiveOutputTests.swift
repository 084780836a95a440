import Foundation
import MediaFormats
import Overlay
import Pipeline
import Synchronization
import TestSupport
import Testing

/// A live job on loopback: `ffmpeg -re` pushes a clip over UDP into Podium, which sends the
/// enriched stream to a UDP receiver (a capture of every datagram) and an SRT receiver (`ffmpeg`
/// writing what it gets).
@Suite(.serialized)
struct LiveOutputTests {
    /// An enrichment running on its own thread.
    final class Job: @unchecked Sendable {
        let cancellation = InputCancellation()
        private let lock = NSLock()
        private var outcome: Result<EnrichmentReport, any Error>?
        private let done = DispatchSemaphore(value: 0)

        init(enricher: Enricher) {
            var configured = enricher
            configured.cancellation = cancellation
            let enricher = configured
            Thread.detachNewThread { [self] in
                let result = Result<EnrichmentReport, any Error> {
                    try enricher.run(clock: ClockSettings(latency: 0.1)) { timing, frame, _ in
                        let json = Array(#"{"frame":\#(frame.index),"pts":\#(frame.outputPTS)}"#.utf8)
                        return FrameCarriage(
                            id3Tag: try ID3Tag(frames: [.userText(description: "com.podium.test", value: String(decoding: json, as: UTF8.self))]).encoded(),
                            seiPayload: json
                        )
                    }
                }
                lock.withLock { outcome = result }
                done.signal()
            }
        }

        func stop() throws -> EnrichmentReport {
            cancellation.cancel()
            _ = done.wait(timeout: .now() + 15)
            return try #require(lock.withLock { outcome }).get()
        }
    }

    /// A scratch folder and a generated clip of `seconds` in it, for a sender.
    static func liveClip(seconds: Int, function: String = #function) async throws -> (folder: URL, clip: URL) {
        let folder = try Fixtures.scratchFolder(function)
        let clip = folder.appendingPathComponent("live.ts")
        try await Clips.transportStream(at: clip, seconds: seconds)
        return (folder, clip)
    }

    /// A live input that gives up reading after a second and reopens quickly.
    static let livePolicy = InputPolicy(readTimeout: 1, reconnect: ReconnectPolicy(initialDelay: 0.1, maximumDelay: 0.5))

    static func receiver(listening url: String, into file: URL) throws -> BackgroundProcess {
        try BackgroundProcess("ffmpeg", [
            "-hide_banner", "-v", "error", "-analyzeduration", "500000", "-i", url, "-map", "0", "-c", "copy", "-f", "mpegts", file.path,
        ])
    }

    /// The video and Podium tag PES of a received transport stream.
    static func received(_ file: URL) throws -> (video: [TransportStream.PES], tags: [TransportStream.PES]) {
        try received(Array(try Data(contentsOf: file)))
    }

    static func received(_ bytes: [UInt8]) throws -> (video: [TransportStream.PES], tags: [TransportStream.PES]) {
        let stream = try TransportStream(bytes: Array(bytes.prefix(bytes.count / 188 * 188)))
        let videoPID = try #require(stream.pid(ofStreamType: 0x1B))
        let tagPID = try #require(stream.pid(ofStreamType: 0x15))
        return (stream.packets[videoPID] ?? [], stream.packets[tagPID] ?? [])
    }

    @Test func killingOneReceiverLeavesTheOtherCompleteAndEveryFrameTagged() async throws {
        let (folder, clip) = try await Self.liveClip(seconds: 8)
        let ports = Loopback.freePorts(3)
        let (inputPort, udpPort, srtPort) = (ports[0], ports[1], ports[2])
        let srtFile = folder.appendingPathComponent("srt.ts")
        let udpReceiver = try UDPCapture(port: udpPort)
        let srtReceiver = try Self.receiver(listening: "srt://127.0.0.1:\(srtPort)?mode=listener", into: srtFile)
        try #require(await Loopback.waitForUDPListener(on: srtPort), "the SRT receiver did not start")

        let job = Job(enricher: Enricher(
            inputURL: "udp://127.0.0.1:\(inputPort)",
            outputs: [try OutputTarget("udp://127.0.0.1:\(udpPort)"), try OutputTarget("srt://127.0.0.1:\(srtPort)?connect_timeout=500")],
            settings: EnrichmentSettings(carriers: [.id3, .sei]), policy: Self.livePolicy
        ))
        try #require(await Loopback.waitForUDPListener(on: inputPort), "the job did not bind its input port")
        let sender = try LiveInputTests.sender(clip, to: "udp://127.0.0.1:\(inputPort)?pkt_size=1316")
        try await Task.sleep(for: .seconds(4))
        srtReceiver.kill()
        await sender.wait(timeout: 15)
        try await Task.sleep(for: .seconds(1))
        let report = try job.stop()
        try await Task.sleep(for: .milliseconds(300))
        let udpBytes = udpReceiver.stop()

        #expect(report.frames >= 398, "Podium read \(report.frames) of 400 frames")
        let udp = try #require(report.outputs.first { $0.target.hasPrefix("udp://") })
        #expect(udp.dropped == 0 && udp.failure == nil, "\(udp)")
        // The dead receiver never held the job up: the other output's queue stayed short.
        #expect(udp.deepestQueue < 400, "\(udp)")

        // The receiver that stayed got every frame, each with one Podium SEI and one tag at its PTS.
        let (video, tags) = try Self.received(udpBytes)
        #expect(video.count == report.frames)
        for pes in video {
            let messages = SEIReader.userData(in: pes.payload, uuid: SEICarrier.uuid)
            #expect(messages.count == 1)
        }
        #expect(Set(tags.compactMap(\.pts)) == Set(video.compactMap(\.pts)))
        #expect(tags.count == video.count)

        // What the killed receiver got before it died is tagged too.
        let (srtVideo, srtTags) = try Self.received(srtFile)
        #expect(srtVideo.count > 50)
        #expect(srtVideo.allSatisfy { SEIReader.userData(in: $0.payload, uuid: SEICarrier.uuid).count == 1 })
        #expect(Set(srtVideo.compactMap(\.pts)).isSubset(of: Set(srtTags.compactMap(\.pts)).union(srtVideo.suffix(4).compactMap(\.pts))))
    }
}

extension LiveOutputTests {
    @Test func anRTMPOutputCarriesTheSEIToAServer() async throws {
        let folder = try Fixtures.scratchFolder()
        let port = Loopback.freePort()
        let received = folder.appendingPathComponent("received.flv")
        let server = try BackgroundProcess("ffmpeg", [
            "-hide_banner", "-v", "error", "-listen", "1", "-i", "rtmp://127.0.0.1:\(port)/live/final", "-c", "copy", "-f", "flv", received.path,
        ])
        try #require(await Loopback.waitForTCPListenerUntouched(on: port), "the RTMP server did not start")
        let clock = try ClockFile(json: try Data(contentsOf: Fixtures.swim.appendingPathComponent("clock.json")))
        let report = try Enricher(
            inputURL: Fixtures.swim.appendingPathComponent("clip.ts").path, outputs: [try OutputTarget("rtmp://127.0.0.1:\(port)/live/final")],
            settings: EnrichmentSettings(carriers: .sei)
        ).run(clock: ClockSettings(source: .anchor, anchor: clock.anchor, frameRate: clock.frameRate)) { _, frame, _ in
            FrameCarriage(seiPayload: Array(#"{"frame":\#(frame.index)}"#.utf8))
        }
        await server.wait(timeout: 10)
        await server.interrupt()
        let output = try #require(report.outputs.first)
        #expect(output.failure == nil && output.dropped == 0, "\(output)")
        let payloads = try await EnrichedOutputs.seiPayloads(ofContainer: received)
        #expect(payloads.count == 600)
        #expect(payloads.map { $0.map { String(decoding: $0, as: UTF8.self) } }.allSatisfy { $0.count == 1 && $0[0].hasPrefix(#"{"frame":"#) })
    }

    @Test func anSRTListenerOutputServesACallerThatComesLate() async throws {
        let (folder, clip) = try await Self.liveClip(seconds: 6)
        let ports = Loopback.freePorts(2)
        let (inputPort, listenPort) = (ports[0], ports[1])
        let job = Job(enricher: Enricher(
            inputURL: "udp://127.0.0.1:\(inputPort)", outputs: [try OutputTarget("srt://:\(listenPort)?mode=listener")],
            settings: EnrichmentSettings(carriers: [.id3, .sei]), policy: Self.livePolicy
        ))
        try #require(await Loopback.waitForUDPListener(on: inputPort), "the job did not bind its input port")
        let sender = try LiveInputTests.sender(clip, to: "udp://127.0.0.1:\(inputPort)?pkt_size=1316")
        // The receiver calls two seconds into the stream: it starts on a keyframe, every frame tagged.
        try await Task.sleep(for: .seconds(2))
        let received = folder.appendingPathComponent("late.ts")
        let caller = try Self.receiver(listening: "srt://127.0.0.1:\(listenPort)?mode=caller", into: received)
        await sender.wait(timeout: 15)
        try await Task.sleep(for: .seconds(1))
        let report = try job.stop()
        await caller.interrupt()
        let output = try #require(report.outputs.first)
        #expect(output.skippedToKeyframe > 0, "\(output)")
        let (video, tags) = try Self.received(received)
        #expect(video.count > 100 && video.count < report.frames, "\(video.count) of \(report.frames)")
        #expect(SEIReader.nalTypes(in: video[0].payload).contains(5), "the late receiver starts on an IDR picture")
        #expect(video.allSatisfy { SEIReader.userData(in: $0.payload, uuid: SEICarrier.uuid).count == 1 })
        #expect(Set(video.compactMap(\.pts)).subtracting(tags.compactMap(\.pts)).count <= 2)
    }
}
