import Foundation
@testable import MediaFormats
import TestSupport
import Testing

/// Inputs the `hls` and `job-request` fuzz targets found to stop the process (Fuzz/regressions),
/// read again as those targets read them: each must give a value or an error.
struct FuzzRegressionTests {
    static let folder = Fixtures.root.appendingPathComponent("Fuzz/regressions")

    static func named(_ prefix: String) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasPrefix(prefix) }.sorted()
    }

    @Test(arguments: try named("hls-"))
    func playlistsThatOnceStoppedTheProcessAreRead(name: String) throws {
        let text = String(decoding: try Data(contentsOf: Self.folder.appendingPathComponent(name)), as: UTF8.self)
        let playlist = HLSPlaylist(text: text, baseURL: "http://127.0.0.1:8080/live/index.m3u8")
        #expect(playlist.segments.count >= 0)
    }

    @Test func aSegmentDurationPastAnyClockIsNotTaken() {
        #expect(HLSPlaylist.decimal("166666666666666666666666666666666666666.960") == nil)
        #expect(HLSPlaylist.decimal("1.0000000001") == nil)
        #expect(HLSPlaylist.decimal("-1.5") == nil)
        #expect(HLSPlaylist.decimal("1.960") != nil)
        #expect(HLSPlaylist.decimal("999999999.999999999") != nil)
    }

    @Test(arguments: try named("job-request-"))
    func jobRequestsThatOnceStoppedTheProcessAreAnswered(name: String) throws {
        let body = try JSONSerialization.jsonObject(with: Data(contentsOf: Self.folder.appendingPathComponent(name)))
        var strings: [String] = []
        func collect(_ value: Any) {
            if let text = value as? String { strings.append(text) }
            if let items = value as? [Any] { items.forEach(collect) }
            if let fields = value as? [String: Any] { fields.values.forEach(collect) }
        }
        collect(body)
        #expect(!strings.isEmpty)
        for text in strings {
            _ = try? OutputTarget(text)
            _ = try? InputEndpoint(text, policy: InputPolicy())
        }
    }

    @Test(arguments: [
        ("out.ts", "ts"), ("dir.v2/out.TS", "TS"), ("/a/b/.hidden", ""), ("noext", ""), ("rehearsal/////////////////////'////////////", ""),
        ("anchort.721/:/0.@.1QU", "1QU"), ("a/b.c/", "c"), ("", ""),
    ])
    func aFileExtensionIsWhatFollowsTheLastDotOfTheName(path: String, suffix: String) {
        #expect(OutputTarget.fileExtension(path) == suffix)
    }
}
