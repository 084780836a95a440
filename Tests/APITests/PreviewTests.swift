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

/// Previews of frames with their overlays (libavcodec, libswscale, Cairo with a real font),
/// served by the API, judged as pictures.
@Suite(.serialized)
struct PreviewTests {
    let server: ServerUnderTest
    let key: HTTPFields
    var store: SQLiteStore { server.store }

    init() throws {
        server = try ServerUnderTest("previews")
        key = [.authorization: "Bearer \(try server.store.createKey(scope: .admin, owner: "ops", createdUTC: "2026-07-31T19:40:00.000000Z").secret)"]
    }

    func withServer(_ body: @Sendable (any TestClientProtocol) async throws -> Void) async throws {
        try await server.serve(body)
    }

    func preview(_ client: any TestClientProtocol, frame: Int, template: String? = "swimming", width: Int = 640) async throws -> Pixels {
        let query = [template.map { "template=\($0)" }, "width=\(width)"].compactMap { $0 }.joined(separator: "&")
        let response = try await client.execute(uri: "/v1/fixtures/swim-100-free/frames/\(frame)/preview.png?\(query)", method: .get, headers: key)
        try #require(response.status == .ok, "\(String(buffer: response.body))")
        #expect(response.headers[.contentType] == "image/png")
        return try Pixels(png: Data(response.body.readableBytesView))
    }

    /// A normalised rectangle in pixels of a picture.
    static func area(_ rect: [Double], in picture: Pixels) -> (x: Int, y: Int, width: Int, height: Int) {
        (Int(rect[0] * Double(picture.width)), Int(rect[1] * Double(picture.height)), Int(rect[2] * Double(picture.width)), Int(rect[3] * Double(picture.height)))
    }

    @Test func aChosenFrameLooksLikeItsReferenceImage() async throws {
        try await withServer { client in
            let drawn = try await preview(client, frame: 312)
            let reference = try Pixels(png: try Data(contentsOf: Fixtures.swim.appendingPathComponent("expected/preview-312.swimming.png")))
            #expect(drawn.width == 640 && drawn.height == 360)
            // Another FreeType or Cairo may place a glyph's edge a little differently: a perceptual tolerance, not byte equality.
            #expect(drawn.meanDifference(from: reference) < 2, "mean difference \(drawn.meanDifference(from: reference))")
            // And it is not simply any frame: frame 240 is far from the reference.
            #expect(try await preview(client, frame: 240).meanDifference(from: reference) > 10)
        }
    }

    @Test func anElementAppearsWhereItsGeometrySaysAndNotBeforeItsTrigger() async throws {
        try await withServer { client in
            // The clock's plate fades in from frame 75; the result board from frame 546.
            for (rect, before, after) in [([0.82, 0.04, 0.14, 0.06], 74, 100), ([0.25, 0.2, 0.5, 0.6], 545, 580)] {
                let bareBefore = try await preview(client, frame: before, template: nil)
                let withBefore = try await preview(client, frame: before)
                let area = Self.area(rect, in: bareBefore)
                #expect(withBefore.meanDifference(from: bareBefore, in: area) < 0.5, "frame \(before) already shows something at \(rect)")
                let bareAfter = try await preview(client, frame: after, template: nil)
                let withAfter = try await preview(client, frame: after)
                // The plate (dark, 78 % opaque, white text) changes its area whatever lies under it: the dark stands or the bright pool.
                let change = withAfter.meanDifference(from: bareAfter, in: area)
                #expect(change > 15, "frame \(after) shows no plate at \(rect): mean change \(change)")
                // Outside the element (and away from the others) the picture is untouched.
                #expect(withAfter.meanDifference(from: bareAfter, in: (0, 0, 60, 60)) < 0.5)
            }
        }
    }

    @Test(arguments: [640, 1920]) func textIsDrawnLegiblyAt360pAnd1080p(width: Int) async throws {
        try await withServer { client in
            let drawn = try await preview(client, frame: 312, width: width)
            let plate = Self.area([0.82, 0.04, 0.14, 0.06], in: drawn)
            var white = 0
            for row in plate.y..<(plate.y + plate.height) {
                for column in plate.x..<(plate.x + plate.width) {
                    let offset = (row * drawn.width + column) * 3
                    if drawn.rgb[offset] > 200, drawn.rgb[offset + 1] > 200, drawn.rgb[offset + 2] > 200 { white += 1 }
                }
            }
            // The clock's digits ("4.74"): solid glyph strokes on the dark plate, scaled with the picture.
            let share = Double(white) / Double(plate.width * plate.height)
            #expect(share > 0.02 && share < 0.5, "white share \(share) at \(width)")
        }
    }

    @Test func aJobsPreviewIsItsFrameAsCarriedAndRecordingsOnly() async throws {
        try await withServer { client in
            var headers = key
            headers[.contentType] = "application/json"
            let created = try await client.execute(uri: "/v1/jobs", method: .post, headers: headers, body: ByteBuffer(string: #"{"input": "fixture:swim-100-free", "hls": {}}"#))
            try #require(created.status == .created)
            let id = try #require(try JSONSerialization.jsonObject(with: Data(created.body.readableBytesView)) as? [String: Any])["id"] as! Int
            var state = "running"
            while state == "running" {
                try await Task.sleep(for: .milliseconds(100))
                state = try await store.job(id: Int64(id))?.state ?? ""
            }
            // With every correction, the job's frame is the fixture's render: the very same picture.
            let job = try await client.execute(uri: "/v1/jobs/\(id)/frames/490/preview.png?asOf=latest", method: .get, headers: key)
            let fixture = try await client.execute(uri: "/v1/fixtures/swim-100-free/frames/490/preview.png", method: .get, headers: key)
            #expect(job.status == .ok && Array(job.body.readableBytesView) == Array(fixture.body.readableBytesView))
            #expect(job.headers[.cacheControl] == "public, max-age=31536000, immutable")
            #expect(try await client.execute(uri: "/v1/jobs/\(id)/frames/600/preview.png", method: .get, headers: key).status == .notFound)
            #expect(try await client.execute(uri: "/v1/jobs/\(id)/frames/1/preview.png?width=5", method: .get, headers: key).status == .badRequest)

            // A live job's pictures are not kept.
            let live = try store.startJob(
                JobDescription(createdUTC: "2026-07-31T19:40:00.000000Z", input: "udp://127.0.0.1:5000", output: "udp://127.0.0.1:6000", unit: nil, clockSource: "arrival", frameRate: "50"),
                documents: []
            )
            let refused = try await client.execute(uri: "/v1/jobs/\(live)/frames/0/preview.png", method: .get, headers: key)
            #expect(refused.status == .notFound && String(buffer: refused.body).contains("does not keep"))
        }
    }
}
