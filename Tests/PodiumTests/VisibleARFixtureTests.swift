import Foundation
import Overlay
import TestSupport
import Testing

/// The swimming fixture's picture is a pool drawn from the same camera track and lens Podium
/// reads (by `generate.py`, its own implementation of the projection): so whether an AR anchor
/// sits on its lane can be measured in the decoded video, not only believed.
struct VisibleARFixtureTests {
    /// How far (pixels at 640×360) a tag's point may lie from a centre-line pixel.
    static let radius = 2

    /// Whether a centre-line pixel lies within `radius` of the normalised point. `generate.py`
    /// paints the lines dark navy (12, 22, 70) on water of (40, 120, 200); far lines are a pixel
    /// or two thin and a pan smears them, so a line pixel is one darker than the water around it
    /// (the median of a 21×21 window) in every channel, by 70 over the three: more than the ringing
    /// x264 leaves beside a rope. Ropes (red, yellow, white), the coping and the deck are
    /// brighter in red than the water, so they never count.
    static func onCentreLine(_ picture: [UInt8], x: Double, y: Double) -> Bool {
        let (column, row) = (Int((x * 640).rounded(.down)), Int((y * 360).rounded(.down)))
        func pixel(_ c: Int, _ r: Int) -> [Int]? {
            guard (0..<640).contains(c), (0..<360).contains(r) else { return nil }
            let at = (r * 640 + c) * 3
            return [Int(picture[at]), Int(picture[at + 1]), Int(picture[at + 2])]
        }
        var window: [[Int]] = []
        for dy in -10...10 { for dx in -10...10 { if let around = pixel(column + dx, row + dy) { window.append(around) } } }
        let water = (0..<3).map { channel in window.map { $0[channel] }.sorted()[window.count / 2] }
        for dy in -radius...radius {
            for dx in -radius...radius {
                if let candidate = pixel(column + dx, row + dy), (0..<3).allSatisfy({ candidate[$0] <= water[$0] - 10 }), (0..<3).reduce(0, { $0 + water[$1] - candidate[$1] }) >= 70 { return true }
            }
        }
        return false
    }

    @Test func everyVisibleLaneTagPointsAtItsLanesCentreLineInThePicture() async throws {
        let golden = try Fixtures.swimGolden("frames.swimming").map { try JSONDecoder().decode(FrameOverlay.self, from: Data($0.utf8)) }
        let lens = try Lens(json: try Data(contentsOf: Fixtures.swim.appendingPathComponent("lens.json")))
        // Every fifth frame while the tags are up (the start at frame 75 to the last touch at 521).
        let sampled = Array(stride(from: 80, through: 520, by: 5))
        // Decoded by FFmpeg's command line, not by Podium's decoder.
        let pictures = try await Pixels.rawFrames(
            of: Fixtures.swim.appendingPathComponent("clip.ts").path, sampled, pixelFormat: "rgb24", width: 640, height: 360, bytesPerPixel: 3
        )
        var measured = 0, lanesSeen = Set<Int>(), offLine: [String] = [], controlsOnLine: [String] = [], controls = 0
        for frame in sampled {
            let overlay = golden[frame], picture = try #require(pictures[frame])
            let camera = try #require(overlay.camera, "frame \(frame) has no camera pose")
            let projection = Projection(pose: camera, lens: lens)
            for tag in overlay.elements where tag.kind == "laneTag" && tag.visible {
                let point = try #require(tag.screen?.first)
                measured += 1
                lanesSeen.insert(Int(tag.id.split(separator: ".").last!)!)
                if !Self.onCentreLine(picture, x: point[0], y: point[1]) { offLine.append("frame \(frame) \(tag.id) at \(point)") }
                // The control: half a lane across, on the lane rope, there is no centre line to
                // find. Only where half a lane is at least 8 pixels on screen: far lanes lie closer
                // than that, within the reach of the search around the point.
                // Towards the middle of the pool, so the control lands on a rope, never the side wall.
                let world = try #require(tag.world?.points.first)
                let across = world[0] < 10 ? 1.25 : -1.25
                if let rope = projection.project(SIMD3(world[0] + across, world[1], world[2])),
                   hypot((rope.x - point[0]) * 640, (rope.y - point[1]) * 360) >= 8 {
                    controls += 1
                    if Self.onCentreLine(picture, x: rope.x, y: rope.y) { controlsOnLine.append("frame \(frame) \(tag.id) at \([rope.x, rope.y])") }
                }
            }
        }
        #expect(offLine.isEmpty, "\(offLine.count) of \(measured) tags off their centre line: \(offLine.prefix(5))")
        #expect(measured > 100, "the sampled frames show \(measured) tags")
        #expect(lanesSeen == Set(1...8), "every lane's tag is measured, the edge lanes too: \(lanesSeen.sorted())")
        #expect(controls > 100, "\(controls) controls")
        // On a fast pan x264 leaves dark ringing beside a white rope that can pass for a line:
        // one control in fifty may; more would mean the measure does not discriminate.
        #expect(controlsOnLine.count * 50 <= controls, "\(controlsOnLine.count) of \(controls) points half a lane off found a centre line: \(controlsOnLine)")
    }
}
