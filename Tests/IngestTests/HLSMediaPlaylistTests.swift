import Overlay
@testable import Pipeline
import Testing

/// The media playlist's discontinuity bookkeeping (RFC 8216, 4.3.2.3 and 4.3.3.3): a segment that
/// starts a new input epoch is preceded by `EXT-X-DISCONTINUITY`, and once such segments slide out
/// of a live window, `EXT-X-DISCONTINUITY-SEQUENCE` counts them, so a player keeps its place.
struct HLSMediaPlaylistTests {
    static let start = UTCInstant(iso8601: "2026-08-02T18:00:00Z")!

    static func segment(_ sequence: Int, discontinuity: Bool = false) -> HLSSegment {
        HLSSegment(
            sequence: sequence, uri: "index-\(sequence).ts", duration: 2,
            programDateTime: start.advanced(by: Rational(Int128(2 * sequence))), markers: [], discontinuity: discontinuity
        )
    }

    @Test func aDiscontinuityIsMarkedBeforeItsSegmentAndCountedOnceItLeavesTheWindow() {
        var playlist = HLSMediaPlaylist(targetDuration: 2, window: 3)
        for sequence in 0..<4 { playlist.append(Self.segment(sequence, discontinuity: sequence == 2)) }
        var lines = playlist.text.split(separator: "\n")
        #expect(!lines.contains { $0.hasPrefix("#EXT-X-DISCONTINUITY-SEQUENCE") })
        let marked = lines.firstIndex(of: "#EXT-X-DISCONTINUITY")
        #expect(marked.map { lines[$0...].first { !$0.hasPrefix("#") } } == "index-2.ts")

        for sequence in 4..<6 { playlist.append(Self.segment(sequence)) }
        lines = playlist.text.split(separator: "\n")
        #expect(lines.contains("#EXT-X-MEDIA-SEQUENCE:3"))
        #expect(lines.contains("#EXT-X-DISCONTINUITY-SEQUENCE:1"))
        #expect(!lines.contains("#EXT-X-DISCONTINUITY"))
    }

    @Test func aRecordingListsEveryDiscontinuityAndNeedsNoSequence() {
        var playlist = HLSMediaPlaylist(targetDuration: 2, window: nil)
        for sequence in 0..<5 { playlist.append(Self.segment(sequence, discontinuity: sequence % 2 == 1)) }
        playlist.end(at: nil)
        let lines = playlist.text.split(separator: "\n")
        #expect(lines.filter { $0 == "#EXT-X-DISCONTINUITY" }.count == 2)
        #expect(!lines.contains { $0.hasPrefix("#EXT-X-DISCONTINUITY-SEQUENCE") })
        #expect(lines.last == "#EXT-X-ENDLIST")
    }

    static func window(_ kind: RaceWindow.Kind, opensAt seconds: Int) -> RaceWindow {
        RaceWindow(
            id: "status/\(kind.rawValue)/U", kind: kind, unit: "U", lane: nil, records: [], start: start.advanced(by: Rational(Int128(seconds)))
        )
    }

    /// A window is stated before the segment it opens in, with its end once it has closed; in a
    /// live window, one that opened before the listed segments and reaches into them is stated
    /// with the first, and one over before them is not stated at all.
    @Test func raceWindowsAreStatedWithTheirEndOnceClosedAndFollowTheLiveWindow() {
        var playlist = HLSMediaPlaylist(targetDuration: 2, window: 2)
        var first = Self.segment(0)
        first.opens = [Self.window(.startList, opensAt: 1)]
        playlist.append(first)
        var second = Self.segment(1)
        second.opens = [Self.window(.running, opensAt: 3)]
        playlist.append(second, closing: [("status/start-list/U", Self.start.advanced(by: Rational(3)))])
        let running = #"#EXT-X-DATERANGE:ID="status/running/U",CLASS="tv.podium.race",START-DATE="2026-08-02T18:00:03.000Z",X-STATUS="running",X-UNIT="U""#
        var lines = playlist.text.split(separator: "\n").map(String.init)
        #expect(lines.contains(#"#EXT-X-DATERANGE:ID="status/start-list/U",CLASS="tv.podium.race",START-DATE="2026-08-02T18:00:01.000Z",END-DATE="2026-08-02T18:00:03.000Z",X-STATUS="start-list",X-UNIT="U""#))
        #expect(lines.firstIndex(of: running).map { lines[$0...].first { !$0.hasPrefix("#") } } == "index-1.ts")

        // Segments 2 and 3 listed: the start list is over before them, the race still runs.
        playlist.append(Self.segment(2))
        playlist.append(Self.segment(3))
        lines = playlist.text.split(separator: "\n").map(String.init)
        #expect(!lines.contains { $0.contains("start-list") })
        #expect(lines.firstIndex(of: running).map { lines[$0...].first { !$0.hasPrefix("#") } } == "index-2.ts")

        // The end closes what is still open at the end of the last frame.
        playlist.end(at: Self.start.advanced(by: Rational(8)))
        lines = playlist.text.split(separator: "\n").map(String.init)
        #expect(lines.contains(#"#EXT-X-DATERANGE:ID="status/running/U",CLASS="tv.podium.race",START-DATE="2026-08-02T18:00:03.000Z",END-DATE="2026-08-02T18:00:08.000Z",X-STATUS="running",X-UNIT="U""#))
    }
}
