import API
import Feeds
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Jobs
import NIOCore
import Store
import TestSupport
import Testing

/// The web viewer in a real browser (Debian's Chromium, headless) against a live server on
/// loopback, and the previews it is compared with.
@Suite(.serialized)
struct ViewerTests {
    let server: ServerUnderTest
    let designer: String

    init() throws {
        server = try ServerUnderTest("viewer")
        designer = try server.store.createKey(scope: .designer, owner: "studio", createdUTC: "2026-07-31T19:40:00.000000Z").secret
    }

    func withServer(_ body: @Sendable (any TestClientProtocol) async throws -> Void) async throws {
        try await server.serve(body)
    }

    /// The state the page publishes.
    static func pageState(_ text: String) -> [String: Any]? {
        try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any]
    }

    @Test func theViewerSeeksToAFrameAndDrawsThatFramesElementsWithoutErrors() async throws {
        let golden = try Fixtures.swimGolden("frames.swimming")
        let frame312 = try #require(try JSONSerialization.jsonObject(with: Data(golden[312].utf8)) as? [String: Any])
        let expected = (frame312["elements"] as? [[String: Any]] ?? []).filter { element in
            (element["opacity"] as? Double ?? 0) > 0 && (element["rect"] != nil || element["visible"] as? Bool == true && element["screen"] != nil)
        }.compactMap { $0["id"] as? String }
        #expect(!expected.isEmpty)
        let chromium = try HeadlessChromium()
        let key = designer
        try await withServer { client in
            let port = try #require(client.port)
            let page = try await client.execute(uri: "/viewer", method: .get, headers: [:])
            #expect(page.status == .ok && page.headers[.contentType] == "text/html; charset=utf-8")
            defer { chromium.close() }
            let visit = try await chromium.visit(
                "http://127.0.0.1:\(port)/viewer#key=\(key)&fixture=swim-100-free&template=swimming&frame=312",
                probe: "document.getElementById('state').textContent"
            ) { text in
                guard let state = Self.pageState(text) else { return false }
                return state["ready"] as? Bool == true || !((state["errors"] as? [Any])?.isEmpty ?? true)
            }
            let state = try #require(Self.pageState(visit.value), "\(visit.value)")
            #expect(visit.errors.isEmpty, "\(visit.errors)")
            #expect((state["errors"] as? [Any])?.isEmpty == true, "\(state)")
            #expect(state["frame"] as? Int == 312, "\(state)")
            #expect(state["ready"] as? Bool == true, "\(visit.value)")
            #expect(state["elements"] as? [String] == expected)

            // The picture under the overlay is frame 312 too: of the server's previews of nearby
            // frames (FFmpeg's decoding, Cairo's drawing), the screenshot's video is nearest 312's.
            // Compared where the frames differ: the burned-in counter, and the picture above the player's controls.
            let shown = try Pixels(png: visit.screenshot, crop: (0, 0, 640, 300))
            var distances: [Int: (counter: Double, picture: Double)] = [:]
            for frame in [240, 311, 312, 313] {
                let preview = try await client.execute(uri: "/v1/fixtures/swim-100-free/frames/\(frame)/preview.png?template=swimming", method: .get, headers: [.authorization: "Bearer \(key)"])
                #expect(preview.status == .ok)
                let drawn = try Pixels(png: Data(preview.body.readableBytesView), crop: (0, 0, 640, 300))
                distances[frame] = (shown.meanDifference(from: drawn, in: (0, 0, 104, 36)), shown.meanDifference(from: drawn))
            }
            let nearest = distances.min { $0.value.picture < $1.value.picture }?.key
            #expect(nearest == 312 && distances[312]!.picture < 12, "\(distances.sorted { $0.key < $1.key })")
            #expect(distances[312]!.counter < distances[240]!.counter / 4, "\(distances.sorted { $0.key < $1.key })")
        }
    }
}
