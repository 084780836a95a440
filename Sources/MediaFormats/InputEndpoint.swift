import Foundation

/// The kinds of input Podium opens, each with its own protocol and format whitelists.
public enum InputKind: String, Sendable, Equatable, CaseIterable {
    case file, stdin, udp, srt, rtmp, rtsp, hls

    /// Whether the input is a live feed: it may stall or end and is then reopened, and frames
    /// have a meaningful arrival time.
    public var isLive: Bool {
        switch self {
        case .file, .stdin: false
        case .udp, .srt, .rtmp, .rtsp, .hls: true
        }
    }
}

/// How Podium may reach the network on behalf of an input, and how it behaves when a live input fails.
public struct InputPolicy: Sendable, Equatable {
    /// Hosts an input, an HLS segment or key, or a redirect may name, besides the input's own
    /// host. Exact names or addresses; a leading `*.` allows a domain's subdomains. An input
    /// typed on loopback is allowed; loopback reached from a playlist is not, unless listed.
    /// Link-local and cloud-metadata addresses are refused unless the address itself is listed.
    public var allowedHosts: [String]
    /// Seconds a read may wait for data before the input counts as stalled.
    public var readTimeout: Double
    /// Reopening of a live input that stalled, failed or ended.
    public var reconnect: ReconnectPolicy
    /// Turns names into the addresses that are checked and then connected to.
    public var resolver: any HostResolving

    /// Creates a policy; by default only loopback is reachable, reads time out after 5 s.
    public init(
        allowedHosts: [String] = [], readTimeout: Double = 5, reconnect: ReconnectPolicy = ReconnectPolicy(),
        resolver: any HostResolving = SystemResolver()
    ) {
        self.allowedHosts = allowedHosts
        self.readTimeout = readTimeout
        self.reconnect = reconnect
        self.resolver = resolver
    }

    public static func == (left: InputPolicy, right: InputPolicy) -> Bool {
        left.allowedHosts == right.allowedHosts && left.readTimeout == right.readTimeout && left.reconnect == right.reconnect
    }

    /// Whether `host` may be contacted, by its name or address as listed.
    public func allows(host: String) -> Bool {
        let host = InputPolicy.normalize(host)
        return allowedHosts.contains { pattern in
            let pattern = pattern.lowercased()
            if pattern.hasPrefix("*.") { return host.hasSuffix(pattern.dropFirst(1)) }
            return host == pattern
        }
    }

    /// Whether `host` names this machine: an address in 127.0.0.0/8, `::1`, or `localhost`.
    /// Decided on the address, never on the text: `127.evil.example` is a name like any other.
    public static func isLoopback(_ host: String) -> Bool {
        let host = normalize(host)
        if host == "localhost" || host == "localhost." { return true }
        return NetworkAddress(literal: host)?.isLoopback == true
    }

    /// The address Podium connects to for `host`, resolved once and checked: every address the
    /// name resolves to must lie outside the link-local, metadata and unspecified ranges unless
    /// that address is listed itself. The caller connects to the returned address, so a second
    /// resolution (DNS rebinding) cannot lead elsewhere.
    public func pinnedAddress(for host: String, in url: String) throws(MediaError) -> NetworkAddress {
        let name = InputPolicy.normalize(host)
        let addresses: [NetworkAddress]
        if let literal = NetworkAddress(literal: name) {
            addresses = [literal]
        } else {
            addresses = resolver.addresses(of: name)
            // Not a refusal: a venue name that does not resolve yet is retried like a dead connection.
            guard !addresses.isEmpty else {
                throw .ffmpeg(operation: "resolving \(host)", target: url, code: -Int32(EHOSTUNREACH), message: "the name does not resolve")
            }
        }
        for address in addresses {
            guard let range = address.guardedRange, !lists(address) else { continue }
            let named = name == address.description ? "host \(host)" : "host \(host) resolves to \(address), which"
            throw .refusedURL(url: url, rule: "\(named) is \(range); list the address itself to allow it")
        }
        return addresses[0]
    }

    /// Whether the allowed hosts name `address` itself.
    private func lists(_ address: NetworkAddress) -> Bool {
        allowedHosts.contains { NetworkAddress(literal: InputPolicy.normalize($0)) == address }
    }

    package static func normalize(_ host: String) -> String {
        host.lowercased().trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
    }
}

/// Bounded exponential backoff for reopening a live input.
public struct ReconnectPolicy: Sendable, Equatable {
    /// Wait before the first reopening attempt, in seconds.
    public var initialDelay: Double
    /// The longest wait between attempts, in seconds.
    public var maximumDelay: Double
    /// Attempts in a row before the job gives up; nil tries for as long as the job runs.
    public var maximumAttempts: Int?

    /// Creates a policy (defaults: 0.25 s doubling up to 5 s, unbounded attempts).
    public init(initialDelay: Double = 0.25, maximumDelay: Double = 5, maximumAttempts: Int? = nil) {
        self.initialDelay = initialDelay
        self.maximumDelay = maximumDelay
        self.maximumAttempts = maximumAttempts
    }

    /// The time from the start of one attempt to the start of attempt `attempt` (1-based).
    public func delay(beforeAttempt attempt: Int) -> Double {
        min(maximumDelay, initialDelay * pow(2, Double(max(0, attempt - 1))))
    }

    /// How long to sleep before attempt `attempt` when the attempt before it took `elapsed`
    /// seconds. The backoff spaces the starts of attempts: an input that listens (UDP, an SRT
    /// listener) spends its read timeout inside a failed attempt with its socket open, so it
    /// reopens at once and a sender that comes back is read within a probe; an attempt that fails
    /// at once (a refused connection, a port in use) still waits the whole delay.
    public func sleep(beforeAttempt attempt: Int, afterAnAttemptOf elapsed: Double) -> Double {
        max(0, delay(beforeAttempt: attempt) - elapsed)
    }
}

/// An input URL checked against Podium's rules and resolved to what FFmpeg is allowed to do with it.
///
/// Pure: no FFmpeg and no I/O. Every URL FFmpeg later opens on the input's behalf (HLS segments
/// and keys, redirect targets) is checked with `check(nested:)` before it is opened.
public struct InputEndpoint: Sendable, Equatable {
    /// The URL as given (a path for files, `-` for standard input).
    public let url: String
    /// What FFmpeg opens: the URL, with `pipe:0` for standard input.
    public let openURL: String
    /// The kind of input.
    public let kind: InputKind
    /// FFmpeg protocols the input may use, nested ones included.
    public let protocolWhitelist: String
    /// FFmpeg demuxers the input may be probed with.
    public let formatWhitelist: String
    /// The host the URL names, if any.
    public let host: String?

    /// Demuxers for recorded files.
    static let fileFormats = "mpegts,mov,mp4,m4a,3gp,3g2,mj2,matroska,webm,flv,h264,hevc"

    /// Checks `url` against `policy` and resolves its kind.
    public init(_ url: String, policy: InputPolicy) throws(MediaError) {
        self.url = url
        try InputEndpoint.refuseNestingProtocols(url)
        if url == "-" || url == "pipe:" || url == "pipe:0" {
            (openURL, kind, host) = ("pipe:0", .stdin, nil)
            (protocolWhitelist, formatWhitelist) = ("pipe", "mpegts,flv,h264,hevc,matroska,webm")
            return
        }
        guard let scheme = InputEndpoint.scheme(of: url) else {
            (openURL, kind, host) = (url, .file, nil)
            (protocolWhitelist, formatWhitelist) = ("file", InputEndpoint.fileFormats)
            return
        }
        let components = URLComponents(string: url)
        // `udp://@:1234` and `srt://:9000` receive on every local address.
        let host = components?.host.flatMap { $0.isEmpty ? nil : $0 }
            ?? (url.contains("://@") || url.contains("://:") ? "0.0.0.0" : nil)
        switch scheme {
        case "file":
            let path = components?.path ?? String(url.dropFirst("file:".count))
            (openURL, kind, self.host) = (path, .file, nil)
            (protocolWhitelist, formatWhitelist) = ("file", InputEndpoint.fileFormats)
            return
        case "udp":
            (kind, protocolWhitelist, formatWhitelist) = (.udp, "udp", "mpegts")
        case "srt":
            (kind, protocolWhitelist, formatWhitelist) = (.srt, "srt", "mpegts")
        case "rtmp":
            (kind, protocolWhitelist, formatWhitelist) = (.rtmp, "rtmp,tcp", "flv,live_flv")
        case "rtsp":
            (kind, protocolWhitelist, formatWhitelist) = (.rtsp, "rtp,srtp,udp,tcp", "rtsp")
        case "http", "https":
            guard components?.path.lowercased().hasSuffix(".m3u8") == true else {
                throw .refusedURL(url: url, rule: "an http(s) input must be an HLS playlist (*.m3u8)")
            }
            (kind, protocolWhitelist, formatWhitelist) = (.hls, "http,https,tcp,tls,crypto,hls", "hls,mpegts,mov,mp4,aac,mp3,webvtt")
        default:
            throw .refusedURL(url: url, rule: "scheme \(scheme): is not an input Podium opens (file, -, udp, srt, rtmp, rtsp, http(s) HLS)")
        }
        guard let host else { throw .refusedURL(url: url, rule: "a \(scheme) input must name a host") }
        guard InputEndpoint.receivesLocally(kind: kind, host: host, url: url) || InputPolicy.isLoopback(host) || policy.allows(host: host) else {
            throw .refusedURL(url: url, rule: "host \(host) is not in the allowed hosts")
        }
        (openURL, self.host) = (url, host)
    }

    /// Checks a URL that FFmpeg is about to open on this input's behalf.
    ///
    /// A file input may only open files; a network input only http(s) (HLS segments, keys,
    /// redirects) to allowed hosts: never `file:` (a network playlist reaching into the disk),
    /// never the nesting protocols.
    public func check(nested nestedURL: String, policy: InputPolicy) throws(MediaError) {
        try InputEndpoint.refuseNestingProtocols(nestedURL)
        let target = InputEndpoint.decrypting(nestedURL).inner
        let scheme = InputEndpoint.scheme(of: target)
        switch kind {
        case .file:
            guard scheme == nil || scheme == "file" else {
                throw .refusedURL(url: nestedURL, rule: "a file input may not open \(scheme!): URLs")
            }
        case .stdin:
            guard target == openURL else { throw .refusedURL(url: nestedURL, rule: "standard input opens nothing else") }
        case .udp, .srt, .rtmp, .rtsp, .hls:
            if target == openURL { return }
            guard let scheme, scheme == "http" || scheme == "https" else {
                let rule = scheme == nil || scheme == "file"
                    ? "a network input may not open local files" : "a network input may open only http(s) URLs, not \(scheme!):"
                throw .refusedURL(url: nestedURL, rule: rule)
            }
            guard let host = URLComponents(string: target)?.host, !host.isEmpty else {
                throw .refusedURL(url: nestedURL, rule: "the URL names no host")
            }
            // The input's own host serves its segments; any other host must be allowed by name.
            guard InputPolicy.normalize(host) == self.host.map(InputPolicy.normalize) || policy.allows(host: host) else {
                throw .refusedURL(url: nestedURL, rule: "host \(host) is not the input's host nor in the allowed hosts")
            }
        }
    }

    /// A URL split into FFmpeg's decryption prefix (`crypto+`, `crypto:`; empty when none) and
    /// the URL the crypto protocol opens inside itself.
    package static func decrypting(_ url: String) -> (prefix: String, inner: String) {
        for prefix in ["crypto+", "crypto:"] where url.lowercased().hasPrefix(prefix) {
            return (String(url.prefix(prefix.count)), String(url.dropFirst(prefix.count)))
        }
        return ("", url)
    }

    /// Whether `url` is fetched over HTTP(S).
    package static func isHTTP(_ url: String) -> Bool {
        let scheme = scheme(of: url)
        return scheme == "http" || scheme == "https"
    }

    /// FFmpeg protocols that open other resources inside themselves, out of reach of any check.
    private static func refuseNestingProtocols(_ url: String) throws(MediaError) {
        let lowered = url.lowercased()
        for (prefix, name) in [("concat:", "concat"), ("concatf:", "concatf"), ("subfile,", "subfile"), ("subfile:", "subfile"), ("data:", "data")]
        where lowered.hasPrefix(prefix) || lowered.hasPrefix("crypto+" + prefix) || lowered.hasPrefix("crypto:" + prefix) {
            throw .refusedURL(url: url, rule: "the \(name) protocol is never opened")
        }
    }

    /// The scheme of `url`, lowercased, or nil for a plain path.
    static func scheme(of url: String) -> String? {
        guard let colon = url.firstIndex(of: ":") else { return nil }
        let scheme = url[..<colon]
        guard let first = scheme.first, first.isLetter,
              scheme.allSatisfy({ $0.isLetter || $0.isNumber || "+-.".contains($0) }) else { return nil }
        return scheme.lowercased()
    }

    /// Inputs that receive on a local address contact no host: a UDP bind to a wildcard or
    /// multicast group, an SRT or RTSP listener.
    private static func receivesLocally(kind: InputKind, host: String, url: String) -> Bool {
        let wildcard = ["0.0.0.0", "::", "[::]", "@"].contains(host)
        switch kind {
        case .udp:
            let first = host.split(separator: ".").first.flatMap { Int($0) } ?? 0
            return wildcard || (224...239).contains(first)
        case .srt:
            return wildcard || SRTMode(url: url) == .listener
        default:
            return false
        }
    }
}

/// The connection mode of an SRT URL, read as FFmpeg reads it: from the query parameter named
/// `mode` (the first one), never from text elsewhere in the URL (`?streamid=mode=listener` is a
/// caller with a stream id).
public enum SRTMode: String, Sendable, Equatable {
    case caller, listener, rendezvous

    /// The mode of `url`; nil when its `mode` parameter names no SRT mode.
    public init?(url: String) {
        guard let query = url.split(separator: "?", maxSplits: 1).dropFirst().first else { self = .caller; return }
        for item in query.split(separator: "&") {
            let parts = item.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard parts.first == "mode" else { continue }
            self.init(rawValue: parts.count > 1 ? String(parts[1]) : "")
            return
        }
        self = .caller
    }
}
