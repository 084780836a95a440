import Foundation
public import Overlay

/// The parts of an HLS media playlist Podium needs and FFmpeg 5.1 drops: each segment's
/// `EXT-X-PROGRAM-DATE-TIME`. Pure: the playlist's text is given.
public struct HLSPlaylist: Sendable {
    /// A segment with its absolute URL.
    public struct Segment: Sendable, Equatable {
        /// The segment URI as the playlist writes it.
        public let uri: String
        /// The segment URL, resolved against the playlist's.
        public let url: String
        /// The capture UTC of the segment's first frame, when the playlist states it (directly,
        /// or as a previous segment's date plus the durations in between).
        public let programDateTime: UTCInstant?
        /// Whether the date was stated on this segment rather than carried forward.
        public let stated: Bool
    }

    /// Segments in playlist order.
    public let segments: [Segment]
    /// Variant playlists, when this is a multivariant (master) playlist: as written, and resolved.
    public let variants: [(uri: String, url: String)]
    /// The playlist is complete (`EXT-X-ENDLIST`): when its last segment has been read, the input has ended for good.
    public let ended: Bool

    /// Parses `text`, resolving relative URIs against `baseURL`.
    public init(text: String, baseURL: String) {
        let base = URL(string: baseURL)
        func resolve(_ uri: String) -> String {
            guard let base, let url = URL(string: uri, relativeTo: base) else { return uri }
            return url.absoluteURL.absoluteString
        }
        var segments: [Segment] = []
        var variants: [(uri: String, url: String)] = []
        var pendingDate: UTCInstant?
        var carried: UTCInstant?
        var duration: Rational?
        var expectVariant = false
        var ended = false
        for rawLine in text.split(omittingEmptySubsequences: true, whereSeparator: \.isNewline) {
            let line = rawLine.trimmingCharacters(in: .whitespaces)
            if line.hasPrefix("#EXT-X-PROGRAM-DATE-TIME:") {
                pendingDate = HLSPlaylist.date(String(line.dropFirst("#EXT-X-PROGRAM-DATE-TIME:".count)))
            } else if line.hasPrefix("#EXT-X-ENDLIST") {
                ended = true
            } else if line.hasPrefix("#EXTINF:") {
                let value = line.dropFirst("#EXTINF:".count).split(separator: ",", maxSplits: 1).first.map(String.init) ?? ""
                duration = HLSPlaylist.decimal(value)
            } else if line.hasPrefix("#EXT-X-STREAM-INF") {
                expectVariant = true
            } else if line.hasPrefix("#EXT-X-DISCONTINUITY") {
                carried = nil
            } else if !line.hasPrefix("#") {
                if expectVariant {
                    variants.append((line, resolve(line)))
                    expectVariant = false
                    continue
                }
                let date = pendingDate ?? carried
                segments.append(Segment(uri: line, url: resolve(line), programDateTime: date, stated: pendingDate != nil))
                carried = zip(date, duration).map { $0.advanced(by: $1) }
                pendingDate = nil
                duration = nil
            }
        }
        self.segments = segments
        self.variants = variants
        self.ended = ended
    }

    /// An ISO 8601 date-time as packagers write it: RFC 3339, or with a `±HHMM` offset (FFmpeg's own muxer).
    static func date(_ text: String) -> UTCInstant? {
        if let parsed = UTCInstant(iso8601: text) { return parsed }
        let bytes = Array(text)
        guard bytes.count >= 5 else { return nil }
        let offset = bytes.suffix(5)
        guard "+-".contains(offset.first!), offset.dropFirst().allSatisfy(\.isNumber) else { return nil }
        let digits = String(offset.dropFirst())
        return UTCInstant(iso8601: String(bytes.dropLast(5)) + String(offset.first!) + digits.prefix(2) + ":" + digits.suffix(2))
    }

    /// An exact decimal such as `2.000` or `1.96`: at most 9 digits either side of the point, so
    /// sums over any playlist stay far inside `Rational`'s range (a 39-digit duration once
    /// overflowed it and stopped the process; found by the `hls` fuzz target). A segment longer
    /// than 31 years is no segment.
    static func decimal(_ text: String) -> Rational? {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard (1...2).contains(parts.count), parts[0].count <= 9, parts[0].allSatisfy({ $0.isASCII && $0.isNumber }),
              let whole = Int128(parts[0])
        else { return nil }
        guard parts.count == 2, !parts[1].isEmpty else { return Rational(whole) }
        guard parts[1].count <= 9, parts[1].allSatisfy({ $0.isASCII && $0.isNumber }), let fraction = Int128(parts[1]) else { return nil }
        var scale: Int128 = 1
        for _ in 0..<parts[1].count { scale *= 10 }
        return Rational(whole) + Rational(fraction, scale)
    }
}

private func zip<A, B>(_ a: A?, _ b: B?) -> (A, B)? {
    guard let a, let b else { return nil }
    return (a, b)
}
