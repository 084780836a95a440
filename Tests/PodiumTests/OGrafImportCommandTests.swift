import Foundation
import TestSupport
import Testing

/// A designer's own OGraf graphic driven by Podium's frames through a mapping file
/// (`podium ograf check`, `podium ograf render --graphic --mapping`; docs/ograf.md).
struct OGrafImportCommandTests {
    static let graphics = Fixtures.root.appendingPathComponent("fixtures/ograf-graphics")
    static let plate = graphics.appendingPathComponent("finish-plate").path
    static let mapping = graphics.appendingPathComponent("finish-plate.mapping.json").path

    /// The fixture through the finish plate, frame by frame. The plate loads its motion code and
    /// stylesheet from its own folder; it is played on frame 546, when the result board comes up,
    /// and slides in over 400 ms: transparent before and on 546, 5 % in on 547, half on 556, whole
    /// from 566 (50 fps). Its badge is gold (the stylesheet's colour for rank 1: the mapped rank).
    @Test func aThirdPartyGraphicIsRenderedFrameExactlyWithItsOwnFiles() async throws {
        let folder = try Fixtures.scratchFolder("ograf-import")
        let movie = folder.appendingPathComponent("plate.mov")
        let (width, height) = (320, 180)
        let rendered = try await Fixtures.run(PodiumBinary.path, [
            "ograf", "render", Fixtures.swim.path, "--template", "swimming", "--graphic", Self.plate, "--mapping", Self.mapping,
            "--out", movie.path, "--width", "\(width)", "--height", "\(height)",
        ])
        try #require(rendered.status == 0, "\(rendered.err)")
        #expect(rendered.out.contains("600 pictures of example.finish-plate"))
        #expect(!rendered.err.contains("warning"), "\(rendered.err)")
        #expect(try await OGrafCommandTests.presentationTimes(movie.path) == (try await OGrafCommandTests.presentationTimes(Fixtures.swim.appendingPathComponent("clip.ts").path)))

        let frames = [0, 300, 545, 546, 547, 556, 566, 599]
        let pictures = try await Pixels.rawFrames(of: movie.path, frames, pixelFormat: "rgba", width: width, height: height, bytesPerPixel: 4)
        func pixel(_ n: Int, _ x: Double, _ y: Double) throws -> [UInt8] {
            let (column, row) = (Int(x * Double(width)), Int(y * Double(height)))
            let offset = (row * width + column) * 4
            return Array(try #require(pictures[n])[offset..<(offset + 4)])
        }
        for n in [0, 300, 545, 546] {
            #expect(try #require(pictures[n]).enumerated().filter { $0.offset % 4 == 3 && $0.element > 0 }.isEmpty, "frame \(n) is clear")
        }
        // The plate's middle (its left is 10 %, width 45 %, top 78 %, height 12 %), where no text is.
        let (plateX, plateY) = (0.10 + 0.45 * 0.2, 0.78 + 0.12 * 0.1)
        for (n, presence) in [(547, 0.05), (556, 0.5), (566, 1.0), (599, 1.0)] {
            let alpha = Double(try pixel(n, plateX, plateY)[3])
            #expect(abs(alpha - presence * 255) <= 3, "frame \(n): alpha \(alpha), expected \(presence * 255)")
        }
        #expect(try pixel(599, plateX, plateY) == [20, 40, 90, 255], "the plate has the stylesheet's colour")
        #expect(try pixel(599, 0.10 + 0.45 * 0.06, plateY) == [255, 200, 0, 255], "the badge is gold: rank 1")
        // The texts (name, nation, time) are drawn in white on the plate.
        let plate = try #require(pictures[599])
        var white = 0
        for row in Int(0.78 * Double(height))..<Int(0.90 * Double(height)) {
            for column in Int(0.10 * Double(width))..<Int(0.55 * Double(width)) where plate[(row * width + column) * 4] > 200 && plate[(row * width + column) * 4 + 2] > 200 {
                white += 1
            }
        }
        #expect(white > 40, "\(white) white text pixels on the plate (77 at 320×180)")
    }

    @Test func aGraphicAndItsMappingAreCheckedBeforeUse() async throws {
        let checked = try await Fixtures.run(PodiumBinary.path, ["ograf", "check", Self.plate, "--mapping", Self.mapping])
        try #require(checked.status == 0, "\(checked.err)")
        #expect(checked.out.contains("example.finish-plate (Finish plate): module graphic.mjs, drives in real time and frame by frame"))
        #expect(checked.out.contains(#"time ← lanes[lane=4].finish.time.display (default "")"#), "\(checked.out)")
        #expect(checked.out.contains("shown while elements[id=results].visible"))

        let folder = try Fixtures.scratchFolder("ograf-import-refusals")
        let wrong = folder.appendingPathComponent("wrong.mapping.json")
        try Data(#"{"data": {"name": "lanes[lane=4].athlete.familyName", "time": "clock.display", "colour": "unit"}}"#.utf8).write(to: wrong)
        let refused = try await Fixtures.run(PodiumBinary.path, ["ograf", "check", Self.plate, "--mapping", wrong.path])
        #expect(refused.status == 1)
        #expect(refused.err.contains("\(wrong.path): the mapping fills `colour`, which the graphic example.finish-plate does not declare"), "\(refused.err)")

        // A real-time-only graphic (the EBU's minimal example's manifest) cannot be rendered frame by frame.
        let minimal = folder.appendingPathComponent("minimal")
        try FileManager.default.createDirectory(at: minimal, withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: Self.graphics.appendingPathComponent("ebu-manifests/minimal.ograf.json"), to: minimal.appendingPathComponent("minimal.ograf.json"))
        try Data("export default class extends HTMLElement {}\n".utf8).write(to: minimal.appendingPathComponent("graphic.mjs"))
        let messageOnly = folder.appendingPathComponent("message.mapping.json")
        try Data(#"{"data": {"message": "unit"}}"#.utf8).write(to: messageOnly)
        let realTimeOnly = try await Fixtures.run(PodiumBinary.path, [
            "ograf", "render", Fixtures.swim.path, "--template", "swimming", "--graphic", minimal.path, "--mapping", messageOnly.path, "--out", folder.appendingPathComponent("m.mov").path,
        ])
        #expect(realTimeOnly.status == 1)
        #expect(realTimeOnly.err.contains("does not support non-real-time rendering"), "\(realTimeOnly.err)")
        #expect(!FileManager.default.fileExists(atPath: folder.appendingPathComponent("m.mov").path))

        let alone = try await Fixtures.run(PodiumBinary.path, ["ograf", "render", Fixtures.swim.path, "--template", "swimming", "--graphic", Self.plate, "--out", folder.appendingPathComponent("x.mov").path])
        #expect(alone.status == 1 && alone.err.contains("--graphic and --mapping go together"), "\(alone.err)")
    }

    /// A server never starts with a graphic it could not drive: the reason names the mapping file.
    @Test func aServerRefusesToStartWithAGraphicItCannotDrive() async throws {
        let folder = try Fixtures.scratchFolder("ograf-serve-refusal")
        try FileManager.default.copyItem(at: URL(fileURLWithPath: Self.plate), to: folder.appendingPathComponent("finish-plate"))
        let mapping = folder.appendingPathComponent("finish-plate.mapping.json")
        try Data(#"{"data": {"name": "clock.display"}}"#.utf8).write(to: mapping)
        let database = folder.appendingPathComponent("podium.sqlite")
        let served = try await Fixtures.run(PodiumBinary.path, ["serve", "--ograf-graphics", folder.path, "--port", "0", "--database", database.path])
        #expect(served.status != 0)
        #expect(served.err.contains("--ograf-graphics: \(mapping.path): the graphic example.finish-plate requires time"), "\(served.err)")
        #expect(!FileManager.default.fileExists(atPath: database.path), "nothing was opened")
    }
}
