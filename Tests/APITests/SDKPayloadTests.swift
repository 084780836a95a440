import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Overlay
import Store
import TestSupport
import Testing

/// The SDK reads Podium's in-band payloads as a player hands them to an app, in Debian's Chromium:
/// the timed-ID3 tags of a job's HLS (on change, Podium's default there) read from the segments by
/// the tests' own MPEG-TS reader, given to `readID3` as hls.js gives them; for sampled frames,
/// `stateAt` on the last tag at or before the frame must give exactly the compact payload that
/// frame aired with.
struct SDKPayloadTests {
    let server: ServerUnderTest
    let admin: String

    init() throws {
        server = try ServerUnderTest("sdk-payloads")
        admin = try server.store.createKey(scope: .admin, owner: "ops", createdUTC: "2026-07-31T19:40:00.000000Z").secret
    }

    /// The evaluation the page runs: imports the SDK once, then reports `window.sdkResult`.
    static func probe(_ script: String) -> String {
        """
        (window.sdkRun ??= import('/sdk/podium.js').then(async (sdk) => { \(script) }).then((value) => { window.sdkResult = JSON.stringify(value) },
            (error) => { window.sdkResult = JSON.stringify({ error: String(error) }) }), window.sdkResult ?? '')
        """
    }

    @Test func theLastTagAtOrBeforeAFrameGivesThatFramesPayload() async throws {
        let (admin, store) = (admin, server.store)
        let chromium = try await HeadlessChromium.launch()
        try await server.serve { client in
            defer { chromium.close() }
            let port = try #require(client.port)
            let id = try await OGrafTests.finishedJob(client, store: store, key: admin)
            let job = try #require(try await store.job(id: Int64(id)))
            let playlist = try #require(job.description.output.split(separator: " ").first { $0.hasSuffix(".m3u8") }.map { URL(fileURLWithPath: String($0)) })
            let stream = try TransportStream(playlist: playlist)
            let metadataPID = try #require(stream.pid(ofStreamType: 0x15))
            let tags = try #require(stream.packets[metadataPID])
            let aired = try await store.frames(jobID: Int64(id), from: 0, to: 599, limit: 600, asOf: .aired)
                .map { try JSONDecoder().decode(FrameOverlay.self, from: $0.overlayJSON) }
            try #require(aired.count == 600)
            // On change, though the fixture's tracked camera moves the lane tags on many frames.
            #expect(tags.count > 12 && tags.count < 600, "on change: \(tags.count) tags")

            // Every 13th frame, and each frame just after a tag.
            let tagFrames = tags.compactMap { tag in aired.firstIndex { $0.pts % (1 << 33) == tag.pts } }
            try #require(tagFrames.count == tags.count)
            let samples = Array(Set(Array(stride(from: 0, to: 600, by: 13)) + tagFrames.map { min(599, $0 + 1) })).sorted()
            let cases = samples.map { frame in
                let tag = tags[tagFrames.lastIndex { $0 <= frame }!]
                return ["tag": Data(tag.payload).base64EncodedString(), "at": aired[frame].captureUTC]
            }
            let input = String(decoding: try JSONSerialization.data(withJSONObject: cases), as: UTF8.self)
            let full = String(decoding: aired[300].canonicalJSON(), as: UTF8.self)
            let visit = try await chromium.visit("http://127.0.0.1:\(port)/healthz", probe: Self.probe("""
                const bytes = (text) => Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
                const states = \(input).map(({ tag, at }) => {
                  const read = sdk.readID3(bytes(tag));
                  return read && read.kind === "elements" ? sdk.stateAt(read.payload, at) : read;
                });
                const full = sdk.stateAt(\(full), "\(aired[350].captureUTC)");
                const cue = sdk.readCue({ value: { key: "TXXX", info: "com.podium.elements", data: '{"e":[],"f":7,"p":1,"s":7,"u":"x"}' } });
                const other = sdk.readCue({ value: { key: "TXXX", info: "com.example.other", data: "{}" } });
                return { states, fullClock: full.clock, fullCapture: full.captureUTC, cue, other };
            """)) { !$0.isEmpty }
            #expect(visit.errors.allSatisfy { $0.contains("favicon.ico") }, "\(visit.errors)")
            let page = try #require(try JSONSerialization.jsonObject(with: Data(visit.value.utf8)) as? [String: Any], "\(visit.value)")
            #expect(page["error"] == nil, "\(page)")
            let states = try #require(page["states"] as? [[String: Any]])
            try #require(states.count == samples.count)
            var differing: [Int] = []
            for (frame, state) in zip(samples, states) {
                var expected = try #require(try JSONSerialization.jsonObject(with: CompactPayload.json(for: aired[frame])) as? [String: Any])
                var got = state
                // The frame keys other than the capture time are the tag's.
                for key in ["s", "f", "p", "v"] {
                    expected[key] = nil
                    got[key] = nil
                }
                if try JSONSerialization.data(withJSONObject: got, options: .sortedKeys) != JSONSerialization.data(withJSONObject: expected, options: .sortedKeys) {
                    differing.append(frame)
                }
            }
            #expect(differing.isEmpty, "frames whose state the SDK did not give: \(differing.prefix(8))")
            // A full payload's running clock, read 50 frames on.
            let clock = try #require(page["fullClock"] as? [String: Any])
            #expect(aired[350].clock.state == .running)
            #expect(clock["hundredths"] as? Int == Int(aired[350].clock.hundredths) && clock["display"] as? String == aired[350].clock.display, "\(clock)")
            #expect(page["fullCapture"] as? String == aired[350].captureUTC)
            #expect(((page["cue"] as? [String: Any])?["payload"] as? [String: Any])?["f"] as? Int == 7)
            #expect(page["other"] is NSNull, "\(page)")

            // The declarations are served beside the module.
            let types = try await client.execute(uri: "/sdk/podium.d.ts", method: .get)
            #expect(types.status == .ok && String(buffer: types.body).contains("export function stateAt"))
        }
    }
}
