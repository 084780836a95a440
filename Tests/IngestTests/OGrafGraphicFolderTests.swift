import Foundation
import Overlay
import Pictures
import Testing
import TestSupport

/// A third-party graphic's folder as the browser is served it: its files with their media
/// types, nothing outside it.
struct OGrafGraphicFolderTests {
    static let plate = Fixtures.root.appendingPathComponent("fixtures/ograf-graphics/finish-plate")

    @Test func theFolderServesItsOwnFilesOnly() throws {
        let scratch = try Fixtures.scratchFolder()
        let folder = scratch.appendingPathComponent("graphic")
        try FileManager.default.copyItem(at: Self.plate, to: folder)
        try Data("secret".utf8).write(to: scratch.appendingPathComponent("outside.txt"))
        try FileManager.default.createSymbolicLink(atPath: folder.appendingPathComponent("link.txt").path, withDestinationPath: scratch.appendingPathComponent("outside.txt").path)
        let graphic = try OGrafGraphicFolder(path: folder.path)
        #expect(graphic.manifestFile == "finish-plate.ograf.json" && graphic.graphic.id == "example.finish-plate")
        #expect(graphic.file(at: "graphic.mjs")?.mediaType == "text/javascript; charset=utf-8")
        #expect(graphic.file(at: "lib/motion.mjs")?.contents == (try Data(contentsOf: folder.appendingPathComponent("lib/motion.mjs"))))
        #expect(graphic.file(at: "style.css")?.mediaType == "text/css; charset=utf-8")
        #expect(graphic.file(at: "finish%2Dplate.ograf.json")?.mediaType == "application/json", "percent-encoded as a browser may send it")
        for outside in ["../outside.txt", "%2e%2e/outside.txt", "lib/../../outside.txt", "/etc/passwd", "link.txt", "lib", "missing.mjs", ""] {
            #expect(graphic.file(at: outside) == nil, "\(outside)")
        }
        // The manifest file itself may be named; a folder must hold exactly one.
        #expect(try OGrafGraphicFolder(path: folder.appendingPathComponent("finish-plate.ograf.json").path).graphic.id == "example.finish-plate")
        try FileManager.default.copyItem(at: folder.appendingPathComponent("finish-plate.ograf.json"), to: folder.appendingPathComponent("second.ograf.json"))
        #expect(Self.refusal(folder.path).contains("holds 2 OGraf manifests (finish-plate.ograf.json, second.ograf.json)"))
        #expect(Self.refusal(scratch.path).contains("holds no OGraf manifest"))
        #expect(Self.refusal(scratch.appendingPathComponent("none").path).contains("no such file or folder"))
        try FileManager.default.removeItem(at: folder.appendingPathComponent("second.ograf.json"))
        try FileManager.default.removeItem(at: folder.appendingPathComponent("graphic.mjs"))
        #expect(Self.refusal(folder.path).contains("its module `graphic.mjs` is not a file in"))
    }

    static func refusal(_ path: String) -> String {
        do { _ = try OGrafGraphicFolder(path: path) } catch { return error.description }
        return "no error"
    }
}
