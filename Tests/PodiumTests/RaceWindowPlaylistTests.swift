import Foundation
import TestSupport
import Testing

/// The race windows of Podium's HLS, checked against the frames themselves: the fixture enriched
/// to a TS (a tag on every frame, the full state) and to HLS in one run; the spans worked out
/// here from each frame's clock, result status and lanes; the playlist read as text, and its
/// segments by the tests' own MPEG-TS reader to know which frames each holds.
struct RaceWindowPlaylistTests {
    /// A DATERANGE's attributes, quoted values unquoted.
    static func attributes(_ line: Substring) -> [String: String] {
        var found: [String: String] = [:]
        let pattern = try! NSRegularExpression(pattern: #"([A-Z0-9-]+)=("[^"]*"|[^,]*)"#)
        let text = String(line.dropFirst("#EXT-X-DATERANGE:".count))
        for match in pattern.matches(in: text, range: NSRange(text.startIndex..., in: text)) {
            let key = String(text[Range(match.range(at: 1), in: text)!])
            found[key] = String(text[Range(match.range(at: 2), in: text)!]).trimmingCharacters(in: CharacterSet(charactersIn: "\""))
        }
        return found
    }

    /// An ISO 8601 instant to the millisecond, as a playlist writes it.
    static func milliseconds(_ captureUTC: String) -> String { String(captureUTC.prefix(23)) + "Z" }

    /// The span a frame shows, by the rule wire-format.md states.
    static func phase(_ payload: [String: Any]) -> String? {
        let clock = payload["clock"] as? [String: Any]
        return switch clock?["state"] as? String {
        case "notStarted": ((payload["lanes"] as? [[String: Any]]) ?? []).contains { $0["athlete"] != nil } ? "start-list" : nil
        case "running": "running"
        default: payload["resultStatus"] as? String == "OFFICIAL" ? "official" : "unofficial"
        }
    }

    @Test func eachWindowStartsOnThePDTOfItsFirstFrameAndEndsWhereItsStateEnds() async throws {
        let folder = try Fixtures.scratchFolder()
        _ = try await CueModeTests.enrich(into: folder, outputs: ["every.ts", "hls/index.m3u8"], cues: nil, extra: ["--hls-segment", "1"])
        let frames = try CueModeTests.cues(in: folder.appendingPathComponent("every.ts")).map(\.payload)
        try #require(frames.count == 600)
        let capture = { (index: Int) in frames[index]["captureUTC"] as? String ?? "" }
        let unit = try #require(frames[0]["unit"] as? String)

        // The spans, from the frames: (status, lane, records, first frame, first frame after).
        var expected: [(status: String, lane: Int?, records: String?, first: Int, end: Int?)] = []
        var previous: String?
        for index in frames.indices {
            let now = Self.phase(frames[index])
            if now != previous {
                if let open = expected.lastIndex(where: { $0.lane == nil && $0.end == nil }) { expected[open].end = index }
                if let now { expected.append((now, nil, nil, index, nil)) }
                previous = now
            }
            for lane in frames[index]["lanes"] as? [[String: Any]] ?? [] {
                guard let records = (lane["finish"] as? [String: Any])?["records"] as? [String], !records.isEmpty, let number = lane["lane"] as? Int,
                      !expected.contains(where: { $0.lane == number }) else { continue }
                expected.append(("record", number, records.joined(separator: ","), index, nil))
            }
        }
        #expect(expected.map(\.status) == ["start-list", "running", "official", "record"], "as aired, the touch and the official result come together")

        // The playlist's windows, each stated once here (a recording lists every segment).
        let playlistURL = folder.appendingPathComponent("hls/index.m3u8")
        let lines = try String(contentsOf: playlistURL, encoding: .utf8).split(separator: "\n")
        let windows = lines.filter { $0.hasPrefix("#EXT-X-DATERANGE:") }.map(Self.attributes).filter { $0["CLASS"] == "tv.podium.race" }
        #expect(windows.count == expected.count)
        #expect(Set(lines.filter { $0.hasPrefix("#EXT-X-DATERANGE:") }.compactMap { Self.attributes($0)["ID"] }).count
            == lines.filter { $0.hasPrefix("#EXT-X-DATERANGE:") }.count, "every ID once: moments and windows apart")
        let lastFrameEnd = try CueModeTests.microseconds(capture(599)) + 20_000
        for window in expected {
            let id = "status/\(window.status)/\(unit)" + (window.lane.map { "/\($0)" } ?? "")
            let stated = try #require(windows.first { $0["ID"] == id }, "no window \(id)")
            #expect(stated["START-DATE"] == Self.milliseconds(capture(window.first)), "\(id)")
            let end = window.end.map { Self.milliseconds(capture($0)) }
            if let end {
                #expect(stated["END-DATE"] == end, "\(id)")
            } else {
                // Open at the end of the job: it ends with the last frame.
                let stamp = try #require(stated["END-DATE"], "\(id) has no end")
                #expect(try CueModeTests.microseconds(String(stamp.dropLast()) + "000Z") == lastFrameEnd / 1000 * 1000, "\(id) ends at \(stamp)")
            }
            #expect(stated["X-STATUS"] == window.status && stated["X-UNIT"] == unit)
            #expect(stated["X-LANE"] == window.lane.map(String.init) && stated["X-RECORDS"] == window.records)
        }

        // Each window stands before the segment that holds its first frame, whose PDT plus the
        // frame's offset into it is the window's START-DATE.
        var segment: (pdt: Int64, firstPTS: Int64, pts: Set<Int64>)?
        var pendingWindows: [String] = []
        var checked = 0
        for line in lines {
            if line.hasPrefix("#EXT-X-PROGRAM-DATE-TIME:") {
                let stamp = String(line.dropFirst("#EXT-X-PROGRAM-DATE-TIME:".count))
                segment = (try CueModeTests.microseconds(String(stamp.dropLast()) + "000Z"), 0, [])
            } else if line.hasPrefix("#EXT-X-DATERANGE:"), Self.attributes(line)["CLASS"] == "tv.podium.race" {
                pendingWindows.append(Self.attributes(line)["ID"]!)
            } else if !line.hasPrefix("#"), var held = segment {
                let stream = try TransportStream(bytes: Array(try Data(contentsOf: playlistURL.deletingLastPathComponent().appendingPathComponent(String(line)))))
                let videoPID = try #require(stream.pid(ofStreamType: 0x1B))
                let video = try #require(stream.packets[videoPID])
                held.pts = Set(video.compactMap(\.pts))
                held.firstPTS = try #require(held.pts.min())
                for id in pendingWindows {
                    let window = try #require(expected.first { "status/\($0.status)/\(unit)" + ($0.lane.map { "/\($0)" } ?? "") == id })
                    let pts = try #require(frames[window.first]["pts"] as? Int64)
                    #expect(held.pts.contains(pts % (1 << 33)), "\(id) stands before the segment of frame \(window.first)")
                    let offset = (pts % (1 << 33) - held.firstPTS) * 1_000_000 / 90_000
                    let date = held.pdt + offset
                    #expect(Self.milliseconds(capture(window.first)) == Self.milliseconds(try Self.iso(microseconds: date)), "\(id)")
                    checked += 1
                }
                pendingWindows = []
                segment = nil
            }
        }
        #expect(checked == expected.count)
    }

    /// An instant in microseconds since the epoch as ISO 8601 with six digits.
    static func iso(microseconds: Int64) throws -> String {
        let formatter = ISO8601DateFormatter()
        let whole = formatter.string(from: Date(timeIntervalSince1970: TimeInterval(microseconds / 1_000_000)))
        return String(whole.dropLast()) + "." + String(format: "%06d", microseconds % 1_000_000) + "Z"
    }
}
