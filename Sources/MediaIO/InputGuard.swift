internal import CFFmpeg
import Foundation
package import MediaFormats
package import Overlay
import Synchronization

/// Podium's hand on everything FFmpeg opens for one input: every URL passes `InputEndpoint`'s
/// check before FFmpeg's own `io_open`; network hosts are resolved once, checked by address and
/// connected to at that address; HTTP redirects are never followed by FFmpeg, only by Podium
/// after checking where they lead; HLS playlists are fetched by Podium (bounded in bytes and
/// time), checked line by line, and handed to FFmpeg as the very bytes that were checked.
///
/// Used only on the thread reading the input (FFmpeg calls back on it), apart from the
/// cancellation, which is atomic.
package final class InputGuard: @unchecked Sendable {
    let endpoint: InputEndpoint
    let policy: InputPolicy
    let cancellation: InputCancellation
    /// The clock a live input's bytes are dated by as they arrive.
    let wallClock: any WallClock
    /// The URL FFmpeg opens for the input itself: the endpoint's, with its host pinned.
    private(set) var openURL: String
    private var refusal: MediaError?
    private var defaultOpen: (@convention(c) (
        UnsafeMutablePointer<AVFormatContext>?, UnsafeMutablePointer<UnsafeMutablePointer<AVIOContext>?>?,
        UnsafePointer<CChar>?, Int32, UnsafeMutablePointer<OpaquePointer?>?
    ) -> Int32)?
    private var defaultClose: (@convention(c) (UnsafeMutablePointer<AVFormatContext>?, UnsafeMutablePointer<AVIOContext>?) -> Int32)?
    /// Segment URL → program date-time, from the media playlists read so far.
    private var segmentDates: [String: UTCInstant] = [:]
    /// The date of the segment opened last, until its first keyframe claims it.
    private var pendingSegmentDate: UTCInstant?
    /// Every media playlist read so far is complete (VOD): its end is the input's end.
    package private(set) var playlistEnded = false
    /// Monotonic nanoseconds after which Podium's own fetch is interrupted; 0 when none runs.
    private var fetchDeadline: UInt64 = 0

    /// The largest playlist Podium reads: a live event playlist of a whole day stays far below.
    static let playlistByteLimit = 4 << 20
    /// Redirects followed in a row, each checked before it is followed.
    static let redirectLimit = 5

    package init(endpoint: InputEndpoint, policy: InputPolicy, cancellation: InputCancellation, wallClock: any WallClock) {
        self.endpoint = endpoint
        self.policy = policy
        self.cancellation = cancellation
        self.wallClock = wallClock
        self.openURL = endpoint.openURL
    }

    /// Resolves and checks the input's own host and pins the URL FFmpeg opens to that address.
    /// HTTP(S) inputs are pinned per request instead (each carries its `Host` header).
    func pinInput() throws(MediaError) {
        guard let host = endpoint.host, endpoint.kind != .hls, endpoint.kind.isLive,
              URLAuthority.hostRange(in: endpoint.openURL) != nil,
              NetworkAddress(literal: InputPolicy.normalize(host)) == nil else { return }
        openURL = URLAuthority.pinning(endpoint.openURL, to: try policy.pinnedAddress(for: host, in: endpoint.url))
    }

    /// Installs the guard on a freshly allocated context, before `avformat_open_input`.
    func install(on context: UnsafeMutablePointer<AVFormatContext>) {
        let opaque = Unmanaged.passUnretained(self).toOpaque()
        context.pointee.opaque = opaque
        defaultOpen = context.pointee.io_open
        defaultClose = context.pointee.io_close2
        context.pointee.io_open = guardedOpen
        context.pointee.io_close2 = guardedClose
        context.pointee.interrupt_callback = AVIOInterruptCB(callback: interruptRequested, opaque: opaque)
    }

    /// The refusal recorded by a nested open, once: FFmpeg only passes on an error code.
    func takeRefusal() -> MediaError? {
        defer { refusal = nil }
        return refusal
    }

    /// The program date-time of the segment opened last, handed out once.
    package func takeSegmentDate() -> UTCInstant? {
        defer { pendingSegmentDate = nil }
        return pendingSegmentDate
    }

    /// Whether a blocking FFmpeg call should give up: the job stops, or Podium's own fetch ran out of time.
    fileprivate var shouldInterrupt: Bool {
        cancellation.isCancelled || (fetchDeadline != 0 && DispatchTime.now().uptimeNanoseconds > fetchDeadline)
    }

    fileprivate func open(
        _ context: UnsafeMutablePointer<AVFormatContext>, _ io: UnsafeMutablePointer<UnsafeMutablePointer<AVIOContext>?>?,
        _ url: String, _ flags: Int32, _ options: UnsafeMutablePointer<OpaquePointer?>?
    ) -> Int32 {
        do {
            if url == openURL, endpoint.kind != .hls { return defaultOpen?(context, io, url, flags, options) ?? podium_averror(EPERM) }
            try endpoint.check(nested: url, policy: policy)
            // A playlist is read and every URI in it checked before FFmpeg sees it, and FFmpeg
            // then reads those same bytes: one hostile segment and nothing of the playlist is opened.
            if endpoint.kind == .hls, InputGuard.isPlaylist(url) {
                // Unread means unchecked: fail closed, as a read error a live input retries.
                guard let held = try admitPlaylist(url) else { return podium_averror(EIO) }
                io?.pointee = held
                return 0
            }
            if endpoint.kind == .hls, let date = segmentDates[HLSKey.normalize(url)] { pendingSegmentDate = date }
            // Segments and keys, also through FFmpeg's decryption (which passes the options on to its inner open).
            let (decryption, inner) = InputEndpoint.decrypting(url)
            guard InputEndpoint.isHTTP(inner) else { return defaultOpen?(context, io, url, flags, options) ?? podium_averror(EPERM) }
            return try followingCheckedRedirects(from: inner) { request, extra in
                var attempt: OpaquePointer?
                av_dict_copy(&attempt, options?.pointee, 0)
                av_dict_copy(&attempt, extra, 0)
                let code = defaultOpen?(context, io, decryption + request.connectURL, flags, &attempt) ?? podium_averror(EPERM)
                av_dict_free(&attempt)
                return code
            }
        } catch {
            refusal = error
            return podium_averror(EPERM)
        }
    }

    fileprivate func close(_ context: UnsafeMutablePointer<AVFormatContext>, _ io: UnsafeMutablePointer<AVIOContext>?) -> Int32 {
        if podium_held_bytes_is(io) != 0 {
            podium_held_bytes_close(io)
            return 0
        }
        return defaultClose?(context, io) ?? 0
    }

    /// Opens an http(s) URL with `open`, FFmpeg told never to follow a redirect: where an open
    /// fails on a redirect, Podium asks the same server where it leads, checks that URL, and
    /// only then opens it. Returns `open`'s code.
    private func followingCheckedRedirects(
        from url: String, _ open: (PinnedRequest, OpaquePointer?) -> Int32
    ) throws(MediaError) -> Int32 {
        var target = url
        for hop in 0...InputGuard.redirectLimit {
            let request = try PinnedRequest(url: target, policy: policy)
            var extra = request.options(readTimeout: policy.readTimeout)
            defer { av_dict_free(&extra) }
            let code = open(request, extra)
            if code >= 0 || cancellation.isCancelled { return code }
            guard let location = redirect(of: request) else { return code }
            guard hop < InputGuard.redirectLimit else {
                throw .refusedURL(url: url, rule: "more than \(InputGuard.redirectLimit) redirects")
            }
            let next = URL(string: location, relativeTo: URL(string: target))?.absoluteString ?? location
            do {
                try endpoint.check(nested: next, policy: policy)
            } catch {
                throw .refusedURL(url: next, rule: "redirected from \(target): \(error.ruleText)")
            }
            target = next
        }
        return podium_averror(EIO)
    }

    /// Where a redirect answer to `request` leads, read from the response head alone; nil when
    /// the server does not answer with a redirect.
    private func redirect(of request: PinnedRequest) -> String? {
        // Within the read timeout, and within the playlist's own deadline when one is running.
        let deadline = DispatchTime.now().uptimeNanoseconds + UInt64(max(policy.readTimeout, 1) * 1e9)
        let outer = fetchDeadline
        fetchDeadline = outer == 0 ? deadline : min(outer, deadline)
        defer { fetchDeadline = outer }
        var io: UnsafeMutablePointer<AVIOContext>?
        var options = request.options(readTimeout: policy.readTimeout)
        defer { av_dict_free(&options) }
        var interrupt = AVIOInterruptCB(callback: interruptRequested, opaque: Unmanaged.passUnretained(self).toOpaque())
        av_dict_set(&options, "protocol_whitelist", "tcp,tls", 0)
        guard avio_open2(&io, request.transportURL, AVIO_FLAG_READ_WRITE, &interrupt, &options) >= 0, let io else { return nil }
        defer { var closing: UnsafeMutablePointer<AVIOContext>? = io; avio_closep(&closing) }
        let head = Array(request.headRequest.utf8)
        avio_write(io, head, Int32(head.count))
        avio_flush(io)
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while bytes.count < HTTPResponseHead.byteLimit, HTTPResponseHead.end(of: bytes) == nil {
            let count = avio_read_partial(io, &buffer, Int32(buffer.count))
            if count <= 0 { break }
            bytes += buffer[0..<Int(count)]
        }
        guard let head = HTTPResponseHead(bytes), head.isRedirect else { return nil }
        return head.location
    }

    /// Opens the input's own protocol (with `options`, which it consumes as FFmpeg does) under a
    /// context that dates every chunk of bytes by `wallClock` as it arrives, for the demuxer to
    /// read. The context calls back into this guard, which its `MediaInput` outlives.
    func openStampedInput(options: inout OpaquePointer?) throws(MediaError) -> UnsafeMutablePointer<AVIOContext> {
        let opaque = Unmanaged.passUnretained(self).toOpaque()
        var interrupt = AVIOInterruptCB(callback: interruptRequested, opaque: opaque)
        var code: Int32 = 0
        guard let io = podium_stamped_open(openURL, &interrupt, &options, wallMicroseconds, opaque, &code) else {
            if let refusal = takeRefusal() { throw refusal }
            try MediaError.check(code, "opening input", endpoint.url)
            throw .ffmpeg(operation: "opening input", target: endpoint.url, code: code, message: "the input could not be opened")
        }
        return io
    }

    static func isPlaylist(_ url: String) -> Bool {
        (URLComponents(string: url)?.path.lowercased() ?? url.lowercased()).hasSuffix(".m3u8")
    }

    /// Fetches a playlist, checks every variant and segment URI, and keeps the segments' dates;
    /// returns a reading context over the checked bytes, or nil when the playlist could not be read.
    func admitPlaylist(_ url: String) throws(MediaError) -> UnsafeMutablePointer<AVIOContext>? {
        guard let (bytes, location) = try fetch(url) else { return nil }
        let playlist = HLSPlaylist(text: String(decoding: bytes, as: UTF8.self), baseURL: location)
        for (uri, resolved) in playlist.variants.map({ ($0.uri, $0.url) }) + playlist.segments.map({ ($0.uri, $0.url) }) {
            try endpoint.check(nested: uri.contains(":") ? uri : resolved, policy: policy)
            try endpoint.check(nested: resolved, policy: policy)
        }
        if playlist.variants.isEmpty { playlistEnded = playlist.ended }
        for segment in playlist.segments {
            if let date = segment.programDateTime { segmentDates[HLSKey.normalize(segment.url)] = date }
        }
        return bytes.withUnsafeBufferPointer { podium_held_bytes_open($0.baseAddress, $0.count, location) }
    }

    /// How long a whole playlist may take to arrive: twice the read timeout, at least 2 s.
    private var playlistSeconds: Double { max(policy.readTimeout * 2, 2) }

    /// Reads a playlist on Podium's own connection: at most `playlistByteLimit` bytes, within a
    /// deadline, redirects checked before they are followed. Returns the bytes and the URL they
    /// came from; nil when it could not be read.
    private func fetch(_ url: String) throws(MediaError) -> (bytes: [UInt8], location: String)? {
        fetchDeadline = DispatchTime.now().uptimeNanoseconds + UInt64(playlistSeconds * 1e9)
        defer { fetchDeadline = 0 }
        var io: UnsafeMutablePointer<AVIOContext>?
        var location = url
        var interrupt = AVIOInterruptCB(callback: interruptRequested, opaque: Unmanaged.passUnretained(self).toOpaque())
        let code = try followingCheckedRedirects(from: url) { request, extra in
            var options: OpaquePointer?
            av_dict_copy(&options, extra, 0)
            av_dict_set(&options, "protocol_whitelist", "http,https,tcp,tls", 0)
            defer { av_dict_free(&options) }
            location = request.url
            return avio_open2(&io, request.connectURL, AVIO_FLAG_READ, &interrupt, &options)
        }
        guard code >= 0, let io else { return nil }
        defer { var closing: UnsafeMutablePointer<AVIOContext>? = io; avio_closep(&closing) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while true {
            let count = avio_read_partial(io, &buffer, Int32(buffer.count))
            if count <= 0 { break }
            bytes += buffer[0..<Int(count)]
            if bytes.count > InputGuard.playlistByteLimit {
                throw .refusedURL(url: url, rule: "the playlist is larger than \(InputGuard.playlistByteLimit >> 20) MiB")
            }
        }
        if shouldInterrupt, !cancellation.isCancelled {
            throw .refusedURL(url: url, rule: "the playlist did not arrive within \(playlistSeconds) s")
        }
        return (bytes, location)
    }
}

private enum HLSKey {
    static func normalize(_ url: String) -> String { URL(string: url)?.absoluteURL.absoluteString ?? url }
}

private func guardedOpen(
    _ context: UnsafeMutablePointer<AVFormatContext>?, _ io: UnsafeMutablePointer<UnsafeMutablePointer<AVIOContext>?>?,
    _ url: UnsafePointer<CChar>?, _ flags: Int32, _ options: UnsafeMutablePointer<OpaquePointer?>?
) -> Int32 {
    guard let context, let url, let opaque = context.pointee.opaque else { return podium_averror(EPERM) }
    return Unmanaged<InputGuard>.fromOpaque(opaque).takeUnretainedValue().open(context, io, String(cString: url), flags, options)
}

private func guardedClose(_ context: UnsafeMutablePointer<AVFormatContext>?, _ io: UnsafeMutablePointer<AVIOContext>?) -> Int32 {
    guard let context, let opaque = context.pointee.opaque else { return 0 }
    return Unmanaged<InputGuard>.fromOpaque(opaque).takeUnretainedValue().close(context, io)
}

private func wallMicroseconds(_ opaque: UnsafeMutableRawPointer?) -> Int64 {
    Unmanaged<InputGuard>.fromOpaque(opaque!).takeUnretainedValue().wallClock.microsecondsSinceEpoch()
}

private func interruptRequested(_ opaque: UnsafeMutableRawPointer?) -> Int32 {
    guard let opaque else { return 0 }
    return Unmanaged<InputGuard>.fromOpaque(opaque).takeUnretainedValue().shouldInterrupt ? 1 : 0
}
