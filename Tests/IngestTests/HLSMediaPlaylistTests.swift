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
        playlist.end()
        let lines = playlist.text.split(separator: "\n")
        #expect(lines.filter { $0 == "#EXT-X-DISCONTINUITY" }.count == 2)
        #expect(!lines.contains { $0.hasPrefix("#EXT-X-DISCONTINUITY-SEQUENCE") })
        #expect(lines.last == "#EXT-X-ENDLIST")
    }
}
