internal import CFFmpeg
import Foundation
import Overlay
import Synchronization

/// Stops a running input from another thread. FFmpeg polls it during every blocking call
/// (through `AVIOInterruptCB`), so a job stops within a fraction of a second even when its
/// input is silent.
public final class InputCancellation: Sendable {
    private let flag = Atomic<Bool>(false)

    /// Creates a cancellation not yet raised.
    public init() {}

    /// Asks the input to stop.
    public func cancel() { flag.store(true, ordering: .relaxed) }

    /// Whether `cancel()` was called.
    public var isCancelled: Bool { flag.load(ordering: .relaxed) }
}

/// Podium's hand on everything FFmpeg opens for one input: every URL passes `InputEndpoint`'s
/// check before FFmpeg's own `io_open`, redirects are checked where they lead, and HLS media
/// playlists are read a second time for the segment dates FFmpeg 5.1 ignores.
///
/// Used only on the thread reading the input (FFmpeg calls back on it), apart from the
/// cancellation, which is atomic.
final class InputGuard: @unchecked Sendable {
    let endpoint: InputEndpoint
    let policy: InputPolicy
    let cancellation: InputCancellation
    private var refusal: MediaError?
    private var defaultOpen: (@convention(c) (
        UnsafeMutablePointer<AVFormatContext>?, UnsafeMutablePointer<UnsafeMutablePointer<AVIOContext>?>?,
        UnsafePointer<CChar>?, Int32, UnsafeMutablePointer<OpaquePointer?>?
    ) -> Int32)?
    /// Segment URL → program date-time, from the media playlists read so far.
    private var segmentDates: [String: UTCInstant] = [:]
    /// The date of the segment opened last, until its first keyframe claims it.
    private var pendingSegmentDate: UTCInstant?
    /// Every media playlist read so far is complete (VOD): its end is the input's end.
    private(set) var playlistEnded = false

    init(endpoint: InputEndpoint, policy: InputPolicy, cancellation: InputCancellation) {
        self.endpoint = endpoint
        self.policy = policy
        self.cancellation = cancellation
    }

    /// Installs the guard on a freshly allocated context, before `avformat_open_input`.
    func install(on context: UnsafeMutablePointer<AVFormatContext>) {
        let opaque = Unmanaged.passUnretained(self).toOpaque()
        context.pointee.opaque = opaque
        defaultOpen = context.pointee.io_open
        context.pointee.io_open = guardedOpen
        context.pointee.interrupt_callback = AVIOInterruptCB(callback: interruptRequested, opaque: opaque)
    }

    /// The refusal recorded by a nested open, once: FFmpeg only passes on an error code.
    func takeRefusal() -> MediaError? {
        defer { refusal = nil }
        return refusal
    }

    /// The program date-time of the segment opened last, handed out once.
    func takeSegmentDate() -> UTCInstant? {
        defer { pendingSegmentDate = nil }
        return pendingSegmentDate
    }

    fileprivate func open(
        _ context: UnsafeMutablePointer<AVFormatContext>, _ io: UnsafeMutablePointer<UnsafeMutablePointer<AVIOContext>?>?,
        _ url: String, _ flags: Int32, _ options: UnsafeMutablePointer<OpaquePointer?>?
    ) -> Int32 {
        do {
            try endpoint.check(nested: url, policy: policy)
        } catch {
            refusal = error
            return podium_averror(EPERM)
        }
        // A playlist is read and every URI in it checked before FFmpeg sees it: one hostile
        // segment and nothing of the playlist is opened.
        if endpoint.kind == .hls, InputGuard.isPlaylist(url) {
            do {
                // Unread means unchecked: fail closed, as a read error a live input retries.
                guard try admitPlaylist(url) else { return podium_averror(EIO) }
            } catch {
                refusal = error
                return podium_averror(EPERM)
            }
        }
        guard let defaultOpen else { return podium_averror(EPERM) }
        let code = defaultOpen(context, io, url, flags, options)
        guard code >= 0, let pb = io?.pointee else { return code }
        // HTTP follows redirects inside the protocol; where it ended up is checked before any byte is read.
        var location: UnsafeMutablePointer<UInt8>?
        if av_opt_get(UnsafeMutableRawPointer(pb), "location", AV_OPT_SEARCH_CHILDREN, &location) >= 0, let location {
            let target = String(cString: location)
            av_free(location)
            if target != url {
                do {
                    try endpoint.check(nested: target, policy: policy)
                } catch {
                    refusal = .refusedURL(url: target, rule: "redirected from \(url): \(error.ruleText)")
                    avio_closep(io)
                    return podium_averror(EPERM)
                }
            }
        }
        if endpoint.kind == .hls, !InputGuard.isPlaylist(url), let date = segmentDates[HLSKey.normalize(url)] {
            pendingSegmentDate = date
        }
        return code
    }

    static func isPlaylist(_ url: String) -> Bool {
        (URLComponents(string: url)?.path.lowercased() ?? url.lowercased()).hasSuffix(".m3u8")
    }

    /// Reads a playlist, checks every variant and segment URI, and keeps the segments' dates.
    /// False when the playlist could not be read.
    private func admitPlaylist(_ url: String) throws(MediaError) -> Bool {
        guard let text = fetch(url) else { return false }
        let playlist = HLSPlaylist(text: text, baseURL: url)
        for (uri, resolved) in playlist.variants.map({ ($0.uri, $0.url) }) + playlist.segments.map({ ($0.uri, $0.url) }) {
            try endpoint.check(nested: uri.contains(":") ? uri : resolved, policy: policy)
            try endpoint.check(nested: resolved, policy: policy)
        }
        if playlist.variants.isEmpty { playlistEnded = playlist.ended }
        for segment in playlist.segments {
            if let date = segment.programDateTime { segmentDates[HLSKey.normalize(segment.url)] = date }
        }
        return true
    }

    /// Reads a playlist on Podium's own connection (same whitelist, same interrupt), at most 1 MB.
    private func fetch(_ url: String) -> String? {
        var io: UnsafeMutablePointer<AVIOContext>?
        var options: OpaquePointer?
        defer { av_dict_free(&options) }
        av_dict_set(&options, "protocol_whitelist", "http,https,tcp,tls", 0)
        var interrupt = AVIOInterruptCB(callback: interruptRequested, opaque: Unmanaged.passUnretained(self).toOpaque())
        guard avio_open2(&io, url, AVIO_FLAG_READ, &interrupt, &options) >= 0, let io else { return nil }
        defer { var closing: UnsafeMutablePointer<AVIOContext>? = io; avio_closep(&closing) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while bytes.count < 1_048_576 {
            let count = avio_read(io, &buffer, Int32(buffer.count))
            if count <= 0 { break }
            bytes += buffer[0..<Int(count)]
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}

private enum HLSKey {
    static func normalize(_ url: String) -> String { URL(string: url)?.absoluteURL.absoluteString ?? url }
}

extension MediaError {
    /// The rule of a refusal, or the whole description for other errors.
    var ruleText: String {
        if case let .refusedURL(_, rule) = self { return rule }
        return description
    }
}

private func guardedOpen(
    _ context: UnsafeMutablePointer<AVFormatContext>?, _ io: UnsafeMutablePointer<UnsafeMutablePointer<AVIOContext>?>?,
    _ url: UnsafePointer<CChar>?, _ flags: Int32, _ options: UnsafeMutablePointer<OpaquePointer?>?
) -> Int32 {
    guard let context, let url, let opaque = context.pointee.opaque else { return podium_averror(EPERM) }
    return Unmanaged<InputGuard>.fromOpaque(opaque).takeUnretainedValue().open(context, io, String(cString: url), flags, options)
}

private func interruptRequested(_ opaque: UnsafeMutableRawPointer?) -> Int32 {
    guard let opaque else { return 0 }
    return Unmanaged<InputGuard>.fromOpaque(opaque).takeUnretainedValue().cancellation.isCancelled ? 1 : 0
}
