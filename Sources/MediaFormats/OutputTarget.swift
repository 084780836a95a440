import Foundation

/// The containers Podium writes.
public enum OutputContainer: String, Sendable, Hashable {
    /// MPEG-TS: carries timed ID3 and SEI.
    case mpegts
    /// MP4 with the index at the end (written when the job finishes): SEI only.
    case mp4
    /// Fragmented MP4, one fragment per keyframe, readable while it is written: SEI only.
    case fragmentedMP4 = "fmp4"
    /// FLV (files and RTMP): SEI only.
    case flv

    /// FFmpeg's muxer name.
    package var muxerName: String {
        switch self {
        case .mpegts: "mpegts"
        case .mp4, .fragmentedMP4: "mp4"
        case .flv: "flv"
        }
    }

    /// Whether the container can hold a timed-ID3 stream.
    public var carriesTimedID3: Bool { self == .mpegts }
}

/// The in-band carriers of a job.
public struct Carriers: OptionSet, Sendable, Hashable {
    public let rawValue: Int
    public init(rawValue: Int) { self.rawValue = rawValue }

    /// One timed-ID3 tag per frame on its own PID (MPEG-TS outputs).
    public static let id3 = Carriers(rawValue: 1)
    /// One `user_data_unregistered` SEI in every video access unit (all outputs).
    public static let sei = Carriers(rawValue: 2)

    /// Parses `id3`, `sei` or `id3,sei`.
    public init(list: String) throws(MediaError) {
        var carriers: Carriers = []
        for name in list.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) {
            switch name {
            case "id3": carriers.insert(.id3)
            case "sei": carriers.insert(.sei)
            default: throw .unsupportedOutput(url: list, detail: "unknown carrier \"\(name)\"; carriers are id3 and sei")
            }
        }
        guard !carriers.isEmpty else { throw .unsupportedOutput(url: list, detail: "no carrier named; carriers are id3 and sei") }
        self = carriers
    }
}

/// Which frames get a timed-ID3 cue on an output.
public enum CueMode: String, Sendable, Hashable, CaseIterable {
    /// One cue per frame: for frame-exact apps that read every frame's payload.
    case everyFrame = "every-frame"
    /// A cue when what the payload shows changes (a running clock's reading aside: the payload
    /// says when it started), and one on every video keyframe, so a player that joins at any
    /// segment or random access point has the state at once. For consumer players, which
    /// deliver each cue to the app and overlap cues that come faster than a quarter second.
    case onChange = "on-change"

    /// The mode an output gets when the job names none: on change for an HLS playlist (read by
    /// consumer players), every frame for the rest (MPEG-TS files and streams read by
    /// broadcast equipment and frame-exact apps).
    public static func standard(for target: OutputTarget) -> CueMode { target.kind == .hls ? .onChange : .everyFrame }

    /// The modes, as a list for an error message: `every-frame, on-change`.
    public static var names: String { allCases.map(\.rawValue).joined(separator: ", ") }
}

/// Where an enriched copy goes, checked before anything is opened.
///
/// Outputs are local files (`.ts`, `.mp4`, `fmp4:NAME.mp4`, `.flv`), `-` (MPEG-TS on standard
/// output), an HLS playlist written by Podium (`.m3u8`), or a stream pushed to `udp://`,
/// `srt://` (caller or listener) or `rtmp://`. Nothing else is opened: an output URL never
/// reaches another protocol, and only the query options listed per scheme pass through.
public struct OutputTarget: Sendable, Hashable, CustomStringConvertible {
    /// How the output is reached.
    public enum Kind: String, Sendable, Hashable {
        case file, standardOutput, hls, udp, srt, rtmp
    }

    /// The output as the operator wrote it.
    public let text: String
    /// How it is reached.
    public let kind: Kind
    /// The container written.
    public let container: OutputContainer
    /// The path (files, HLS playlists) or the URL handed to FFmpeg (network outputs).
    package let location: String
    /// FFmpeg protocols the output may use.
    package let protocolWhitelist: String

    public var description: String { text }

    /// Whether the output is a network stream (dropped packets on a slow peer; reopened when lost).
    public var isNetwork: Bool { [.udp, .srt, .rtmp].contains(kind) }

    /// SRT in listener mode: the output waits for a receiver to call.
    public var isListener: Bool { kind == .srt && SRTMode(url: location) == .listener }

    /// The path of a file output or HLS playlist.
    public var path: String? { kind == .file || kind == .hls ? location : nil }

    /// Query options each scheme passes to FFmpeg; anything else is refused by name.
    static let allowedOptions: [Kind: Set<String>] = [
        .udp: ["ttl", "pkt_size", "buffer_size", "localaddr"],
        .srt: ["mode", "latency", "passphrase", "pbkeylen", "streamid", "connect_timeout"],
        .rtmp: [],
    ]

    private init(text: String, kind: Kind, container: OutputContainer, location: String, protocolWhitelist: String) {
        self.text = text
        self.kind = kind
        self.container = container
        self.location = location
        self.protocolWhitelist = protocolWhitelist
    }

    /// Parses and checks an output.
    public init(_ text: String) throws(MediaError) {
        self = try OutputTarget.parse(text)
    }

    private static func parse(_ text: String) throws(MediaError) -> OutputTarget {
        guard !text.isEmpty, !text.contains("\0") else { throw .refusedURL(url: text, rule: "an output needs a path or URL") }
        if text == "-" {
            return OutputTarget(text: text, kind: .standardOutput, container: .mpegts, location: "pipe:1", protocolWhitelist: "pipe")
        }
        let lowered = text.lowercased()
        if let schemeEnd = lowered.range(of: "://") {
            let scheme = String(lowered[..<schemeEnd.lowerBound])
            guard let url = URLComponents(string: text), let host = url.host else {
                throw .refusedURL(url: text, rule: "not a well-formed URL")
            }
            let kind: Kind
            switch scheme {
            case "udp": kind = .udp
            case "srt": kind = .srt
            case "rtmp": kind = .rtmp
            case "file": return try file(url.path, text: text)
            default: throw .refusedURL(url: text, rule: "outputs are files, -, an .m3u8 playlist, udp://, srt:// or rtmp://")
            }
            var options: [URLQueryItem] = []
            for item in url.queryItems ?? [] {
                guard allowedOptions[kind]!.contains(item.name) else {
                    throw .refusedURL(url: text, rule: "option \"\(item.name)\" is not one Podium passes to \(scheme) outputs (allowed: \(allowedOptions[kind]!.sorted().joined(separator: ", ")))")
                }
                options.append(item)
            }
            let mode = options.first { $0.name == "mode" }?.value ?? "caller"
            if kind == .srt, !["caller", "listener"].contains(mode) {
                throw .refusedURL(url: text, rule: "SRT mode is caller or listener")
            }
            guard url.port != nil || kind == .rtmp else { throw .refusedURL(url: text, rule: "\(scheme) outputs need a port") }
            if host.isEmpty, !(kind == .srt && mode == "listener") {
                throw .refusedURL(url: text, rule: "\(scheme) outputs need a destination host")
            }
            if kind == .rtmp, url.path.split(separator: "/").count < 2 {
                throw .refusedURL(url: text, rule: "RTMP outputs need an application and a stream name (rtmp://host/app/stream)")
            }
            switch kind {
            case .udp:
                // One datagram of seven TS packets: what receivers and switches expect.
                if !options.contains(where: { $0.name == "pkt_size" }) { options.append(URLQueryItem(name: "pkt_size", value: "1316")) }
            case .srt:
                options.append(URLQueryItem(name: "transtype", value: "live"))
                if !options.contains(where: { $0.name == "mode" }) { options.append(URLQueryItem(name: "mode", value: "caller")) }
            default: break
            }
            var rebuilt = URLComponents()
            rebuilt.scheme = scheme
            rebuilt.host = host
            rebuilt.port = url.port
            rebuilt.path = url.path
            rebuilt.queryItems = options.isEmpty ? nil : options
            guard let location = rebuilt.string else { throw .refusedURL(url: text, rule: "not a well-formed URL") }
            return OutputTarget(
                text: text, kind: kind, container: kind == .rtmp ? .flv : .mpegts, location: location,
                protocolWhitelist: kind == .rtmp ? "rtmp,tcp" : kind.rawValue
            )
        }
        if lowered.hasPrefix("fmp4:") {
            return try file(String(text.dropFirst(5)), text: text, fragmented: true)
        }
        if let colon = text.firstIndex(of: ":"), !text[..<colon].contains("/"), text[..<colon].count > 1 {
            throw .refusedURL(url: text, rule: "\(text[..<colon]): is not an output Podium writes; outputs are files, -, an .m3u8 playlist, udp://, srt:// or rtmp://")
        }
        return try file(text, text: text)
    }

    private static func file(_ path: String, text: String, fragmented: Bool = false) throws(MediaError) -> OutputTarget {
        guard !path.isEmpty else { throw .refusedURL(url: text, rule: "an output file needs a name") }
        let absolute = URL(fileURLWithPath: path).standardizedFileURL.path
        let suffix = OutputTarget.fileExtension(path).lowercased()
        let kind: Kind
        let container: OutputContainer
        switch (suffix, fragmented) {
        case ("mp4", true), ("m4v", true): (kind, container) = (.file, .fragmentedMP4)
        case (_, true): throw .unsupportedOutput(url: text, detail: "fmp4: names an .mp4 file")
        case ("ts", _), ("m2ts", _), ("mts", _): (kind, container) = (.file, .mpegts)
        case ("mp4", _), ("m4v", _), ("mov", _): (kind, container) = (.file, .mp4)
        case ("flv", _): (kind, container) = (.file, .flv)
        case ("m3u8", _): (kind, container) = (.hls, .mpegts)
        default:
            throw .unsupportedOutput(url: text, detail: "the container is chosen by the name: .ts, .mp4 (fmp4:NAME.mp4 for fragmented), .flv or .m3u8 (HLS)")
        }
        return OutputTarget(text: text, kind: kind, container: container, location: absolute, protocolWhitelist: "file")
    }

    /// What follows the last dot of the last path component (nothing for a name that starts with
    /// its only dot). Worked out here: Foundation's `pathExtension` trapped on some strings a
    /// client may send as an output (found by the `job-request` fuzz target).
    static func fileExtension(_ path: String) -> String {
        guard let name = path.split(separator: "/").last, let dot = name.lastIndex(of: "."), dot != name.startIndex else { return "" }
        return String(name[name.index(after: dot)...])
    }

    /// The host a network output sends to (empty for an SRT listener bound on every address).
    public var host: String? {
        guard isNetwork, let range = URLAuthority.hostRange(in: location) else { return isNetwork ? "" : nil }
        return String(location[range])
    }

    /// The same output, sent to `address`: the one that was checked, whatever the name resolves to later.
    public func pinned(to address: NetworkAddress) -> OutputTarget {
        OutputTarget(text: text, kind: kind, container: container, location: URLAuthority.pinning(location, to: address), protocolWhitelist: protocolWhitelist)
    }

    /// Checks that the output can take the job's carriers: timed ID3 needs MPEG-TS.
    public func check(carriers: Carriers) throws(MediaError) {
        if carriers == .id3, !container.carriesTimedID3 {
            throw .unsupportedOutput(
                url: text, detail: "timed ID3 needs an MPEG-TS output (.ts, .m3u8, udp://, srt://); \(container.rawValue) carries the overlay as SEI only: add --carrier sei"
            )
        }
    }
}
