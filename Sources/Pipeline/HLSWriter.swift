import Foundation
import MediaFormats
import MediaIO
import Overlay

/// One media segment of Podium's HLS output.
struct HLSSegment: Sendable, Equatable {
    /// Media sequence number.
    let sequence: Int
    /// File name, relative to the playlist.
    let uri: String
    /// Seconds, from the first frame's PTS to the next segment's.
    let duration: Double
    /// Capture UTC of the segment's first frame (lowest PTS).
    let programDateTime: UTCInstant
    /// Race moments that first show in this segment.
    let markers: [RaceMarker]
    /// Race windows that open in this segment.
    var opens: [RaceWindow] = []
    /// Whether it starts a new input epoch (a splice or a reconnection): `EXT-X-DISCONTINUITY`.
    var discontinuity = false
}

/// A media playlist as Podium writes it: `EXT-X-PROGRAM-DATE-TIME` from the frames' capture
/// UTC (not the wall clock of the machine writing it), `EXT-X-DATERANGE` for race moments, a
/// sliding window while live, and the whole list with `EXT-X-ENDLIST` when the job is over.
struct HLSMediaPlaylist: Sendable {
    /// The smallest target duration declared, in seconds.
    let targetDuration: Int
    /// Segments kept in a live playlist; nil keeps them all.
    let window: Int?
    private(set) var segments: [HLSSegment] = []
    private(set) var ended = false
    /// Where each closed race window ends, by id.
    private(set) var windowEnds: [String: UTCInstant] = [:]

    init(targetDuration: Int, window: Int?) {
        self.targetDuration = targetDuration
        self.window = window
    }

    /// Adds a segment, with the ends of the windows that closed in it.
    mutating func append(_ segment: HLSSegment, closing: [(id: String, at: UTCInstant)] = []) {
        segments.append(segment)
        for (id, at) in closing { windowEnds[id] = at }
    }

    /// Ends the list; windows still open end at `end`, the end of the last frame.
    mutating func end(at end: UTCInstant?) {
        ended = true
        guard let end else { return }
        for segment in segments {
            for window in segment.opens where windowEnds[window.id] == nil { windowEnds[window.id] = end }
        }
    }

    /// The segments listed now.
    var listed: ArraySlice<HLSSegment> {
        guard let window else { return segments[...] }
        return segments.suffix(window)
    }

    /// Segments that left the window and can be deleted (a grace of two more segments for players still fetching them).
    var expired: [HLSSegment] {
        guard let window else { return [] }
        return Array(segments.dropLast(window + 2))
    }

    /// The playlist text.
    var text: String {
        let shown = listed
        let longest = shown.map(\.duration).max() ?? 0
        var lines = [
            "#EXTM3U",
            "#EXT-X-VERSION:3",
            // The target must bound every segment; a GOP longer than the target makes its segment longer.
            "#EXT-X-TARGETDURATION:\(max(targetDuration, Int(longest.rounded(.up))))",
            "#EXT-X-MEDIA-SEQUENCE:\(shown.first?.sequence ?? 0)",
        ]
        // Discontinuities that slid out of the window still count (RFC 8216, 4.3.3.3).
        let slid = segments.count - shown.count
        let earlier = segments.prefix(slid).filter(\.discontinuity).count
        if earlier > 0 { lines.append("#EXT-X-DISCONTINUITY-SEQUENCE:\(earlier)") }
        if window == nil { lines.append(ended ? "#EXT-X-PLAYLIST-TYPE:VOD" : "#EXT-X-PLAYLIST-TYPE:EVENT") }
        // Windows that opened before the listed segments and reach into them are stated with the first.
        let slidOut = segments.prefix(slid).flatMap(\.opens).filter { window in
            guard let first = shown.first else { return false }
            return windowEnds[window.id].map { $0 > first.programDateTime } ?? true
        }
        for (index, segment) in shown.enumerated() {
            if segment.discontinuity { lines.append("#EXT-X-DISCONTINUITY") }
            lines.append("#EXT-X-PROGRAM-DATE-TIME:\(HLSMediaPlaylist.date(segment.programDateTime))")
            for marker in segment.markers { lines.append(HLSMediaPlaylist.dateRange(marker)) }
            for window in (index == 0 ? slidOut : []) + segment.opens { lines.append(dateRange(window)) }
            lines.append("#EXTINF:\(String(format: "%.6f", segment.duration)),")
            lines.append(segment.uri)
        }
        if ended { lines.append("#EXT-X-ENDLIST") }
        return lines.joined(separator: "\n") + "\n"
    }

    /// ISO 8601 with milliseconds, as players parse it.
    static func date(_ instant: UTCInstant) -> String {
        let iso = instant.iso8601 // microseconds
        guard let dot = iso.firstIndex(of: ".") else { return iso }
        return String(iso[..<dot]) + "." + iso[iso.index(after: dot)...].prefix(3) + "Z"
    }

    /// A race window: `CLASS="tv.podium.race"`, its start, its end once it has closed.
    func dateRange(_ window: RaceWindow) -> String {
        var attributes = ["ID=\"\(window.id)\"", "CLASS=\"tv.podium.race\"", "START-DATE=\"\(Self.date(window.start))\""]
        if let end = windowEnds[window.id] { attributes.append("END-DATE=\"\(Self.date(end))\"") }
        attributes.append("X-STATUS=\"\(window.kind.rawValue)\"")
        if let unit = window.unit { attributes.append("X-UNIT=\"\(unit)\"") }
        if let lane = window.lane { attributes.append("X-LANE=\(lane)") }
        if !window.records.isEmpty { attributes.append("X-RECORDS=\"\(window.records.joined(separator: ","))\"") }
        return "#EXT-X-DATERANGE:" + attributes.joined(separator: ",")
    }

    static func dateRange(_ marker: RaceMarker) -> String {
        var attributes = [
            "ID=\"\(marker.id)\"", "CLASS=\"com.podium.race\"", "START-DATE=\"\(date(marker.at))\"",
            "X-PODIUM-KIND=\"\(marker.kind.rawValue)\"",
        ]
        if let unit = marker.unit { attributes.append("X-PODIUM-UNIT=\"\(unit)\"") }
        if let lane = marker.lane { attributes.append("X-PODIUM-LANE=\(lane)") }
        if !marker.records.isEmpty { attributes.append("X-PODIUM-RECORDS=\"\(marker.records.joined(separator: ","))\"") }
        return "#EXT-X-DATERANGE:" + attributes.joined(separator: ",")
    }
}

/// Podium's HLS output: MPEG-TS segments cut at video keyframes once the target duration is
/// reached, each with Podium's timed ID3, and a media playlist rewritten atomically after every
/// segment.
final class HLSWriter: OutputSink {
    private let playlistPath: String
    private let folder: URL
    private let stem: String
    private let layout: StreamLayout
    private let withMetadata: Bool
    private let cancellation: InputCancellation
    private let targetDuration: Double
    private var playlist: HLSMediaPlaylist
    /// The capture UTC at which the last closed segment's last frame ends: where windows still open at the end close.
    private var lastFrameEnd: UTCInstant?
    private var muxer: StreamMuxer?
    /// The segment being written.
    private struct OpenSegment {
        let sequence: Int
        /// The lowest video PTS so far (durations count from it).
        var firstPTS: Int64
        /// The end of the latest picture it holds: its PTS plus its duration.
        var endPTS: Int64
        /// The highest video PTS it holds: tags up to it travel in this segment.
        var lastPTS: Int64
        /// The PTS and capture UTC of the earliest placed frame (the segment's date).
        var capturePTS: Int64?
        var capture: UTCInstant?
        var markers: [RaceMarker] = []
        var opens: [RaceWindow] = []
        var closes: [(id: String, at: UTCInstant)] = []
        let timeBase: Rational
        /// The input epoch of its frames, once one is known.
        var epoch: Int?
        /// Whether it starts a new epoch.
        let discontinuity: Bool
    }

    private var current: OpenSegment?
    private var nextSequence = 0
    /// The duration of a picture whose packet states none: the latest one stated.
    private var pictureTicks: Int64 = 0
    /// Podium's tags, in presentation order, waiting for their frame: a frame's tag reaches the
    /// writer before its (held) video packet, and goes into the segment that frame goes into.
    private var heldTags: [OutputPacket] = []

    /// - Parameters:
    ///   - live: keep a sliding window of `window` segments and delete older ones; otherwise list every segment.
    init(playlistPath: String, layout: StreamLayout, withMetadata: Bool, live: Bool, targetDuration: Double = 2, window: Int = 6, cancellation: InputCancellation) throws(MediaError) {
        self.playlistPath = playlistPath
        let url = URL(fileURLWithPath: playlistPath)
        folder = url.deletingLastPathComponent()
        stem = url.deletingPathExtension().lastPathComponent
        self.layout = layout
        self.withMetadata = withMetadata
        self.cancellation = cancellation
        self.targetDuration = targetDuration
        playlist = HLSMediaPlaylist(targetDuration: Int(targetDuration.rounded(.up)), window: live ? window : nil)
        do {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        } catch {
            throw .unsupportedOutput(url: playlistPath, detail: "cannot create its folder: \(error.localizedDescription)")
        }
        guard FileManager.default.isWritableFile(atPath: folder.path) else {
            throw .unsupportedOutput(url: playlistPath, detail: "its folder is not writable")
        }
    }

    @discardableResult
    func write(_ packet: OutputPacket) throws(MediaError) -> Bool {
        if packet.role == .podiumMetadata, packet.pts != nil {
            heldTags.append(packet)
            return false
        }
        if packet.isVideo, let pts = packet.pts {
            if packet.duration > 0 { pictureTicks = packet.duration }
            // A new input epoch starts a new segment at its first keyframe, whatever its length.
            let newEpoch = packet.epoch.map { epoch in current?.epoch.map { $0 != epoch } ?? false } ?? false
            if packet.isKeyframe, let current, newEpoch || reachesTarget(pts, in: current) {
                // Segments are cut in decode order. The pictures the ending segment holds run up
                // to its highest PTS; an open GOP's leading pictures, which come after this
                // keyframe but show before it, go with the keyframe into the next segment.
                try writeHeldTags { $0 <= current.lastPTS }
                try closeSegment()
            }
            if current == nil {
                // A segment starts only on a keyframe: before the first one there is nothing a player could decode.
                guard packet.isKeyframe else { return false }
                try openSegment(firstPTS: pts, timeBase: packet.timeBase, discontinuity: newEpoch)
            }
            if current!.epoch == nil { current!.epoch = packet.epoch }
            current!.firstPTS = min(current!.firstPTS, pts)
            current!.lastPTS = max(current!.lastPTS, pts)
            current!.endPTS = max(current!.endPTS, pts + max(packet.duration > 0 ? packet.duration : pictureTicks, 0))
            if let capture = packet.frameCapture, current!.capturePTS.map({ pts < $0 }) ?? true {
                current!.capturePTS = pts
                current!.capture = capture
            }
            current!.markers += packet.markers
            for edge in packet.windows {
                switch edge {
                case .opens(let window): current!.opens.append(window)
                case .closes(let id, let at): current!.closes.append((id, at))
                }
            }
        }
        guard let muxer else { return false }
        let repaired = try muxer.write(packet)
        // Every picture presented by this packet's decode time has been written, in this segment
        // (the ones of earlier segments took their tags with them): its tag follows it.
        if packet.isVideo, let dts = packet.dts { try writeHeldTags { $0 <= dts } }
        return repaired
    }

    private func reachesTarget(_ pts: Int64, in segment: OpenSegment) -> Bool {
        Rational(Int128(pts - segment.firstPTS)) * segment.timeBase >= Rational(Int128((targetDuration * 1000).rounded()), 1000)
    }

    private func writeHeldTags(where belongs: (Int64) -> Bool) throws(MediaError) {
        guard let muxer else { return }
        while let first = heldTags.first, belongs(first.pts ?? .min) {
            try muxer.write(first)
            heldTags.removeFirst()
        }
    }

    func finish() throws(MediaError) {
        try writeHeldTags { _ in true }
        try closeSegment()
        playlist.end(at: lastFrameEnd)
        try writePlaylist()
    }

    private func openSegment(firstPTS: Int64, timeBase: Rational, discontinuity: Bool) throws(MediaError) {
        let sequence = nextSequence
        nextSequence += 1
        let path = folder.appendingPathComponent(segmentName(sequence)).path
        muxer = try StreamMuxer(
            location: "file:" + path, protocolWhitelist: "file", container: .mpegts, layout: layout,
            withMetadata: withMetadata, interleaved: true, cancellation: cancellation, displayName: path
        )
        current = OpenSegment(sequence: sequence, firstPTS: firstPTS, endPTS: firstPTS, lastPTS: firstPTS, capturePTS: nil, capture: nil, timeBase: timeBase, discontinuity: discontinuity)
    }

    private func segmentName(_ sequence: Int) -> String { "\(stem)-\(sequence).ts" }

    /// Ends the open segment. Its EXTINF is the presentation span of the pictures it holds, from
    /// the lowest PTS to the end of the latest picture, so each segment's date plus its EXTINF is
    /// the next segment's date.
    private func closeSegment() throws(MediaError) {
        guard let segment = current, let muxer else { return }
        try muxer.finish()
        self.muxer = nil
        current = nil
        let seconds = Rational(Int128(segment.endPTS - segment.firstPTS)) * segment.timeBase
        let duration = Double(seconds)
        // A segment none of whose frames the clock could place (a stating source not yet heard)
        // is dated from the end of the one before.
        let date = segment.capture ?? playlist.segments.last.map { $0.programDateTime.advanced(by: Rational(Int128(($0.duration * 1_000_000).rounded()), 1_000_000)) }
            ?? UTCInstant(secondsSinceEpoch: .zero)
        playlist.append(
            HLSSegment(
                sequence: segment.sequence, uri: segmentName(segment.sequence), duration: duration, programDateTime: date, markers: segment.markers,
                opens: segment.opens, discontinuity: segment.discontinuity
            ),
            closing: segment.closes
        )
        lastFrameEnd = date.advanced(by: seconds)
        try writePlaylist()
        for old in playlist.expired {
            try? FileManager.default.removeItem(at: folder.appendingPathComponent(old.uri))
        }
    }

    /// Written next to the playlist and renamed over it, so a player never reads half a playlist.
    private func writePlaylist() throws(MediaError) {
        let temporary = playlistPath + ".tmp"
        do {
            try Data(playlist.text.utf8).write(to: URL(fileURLWithPath: temporary))
        } catch {
            throw .unsupportedOutput(url: playlistPath, detail: "cannot write the playlist: \(error.localizedDescription)")
        }
        guard rename(temporary, playlistPath) == 0 else {
            throw .unsupportedOutput(url: playlistPath, detail: "cannot replace the playlist: \(String(cString: strerror(errno)))")
        }
    }
}
