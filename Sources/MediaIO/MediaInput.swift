package import CFFmpeg
import Foundation
package import MediaFormats
package import Overlay

/// One packet read from an input. Owns its `AVPacket` and frees it in `deinit`.
package final class Packet {
    package let pointer: UnsafeMutablePointer<AVPacket>

    package init() {
        guard let packet = av_packet_alloc() else { fatalError("av_packet_alloc: out of memory") }
        pointer = packet
    }

    deinit {
        var packet: UnsafeMutablePointer<AVPacket>? = pointer
        av_packet_free(&packet)
    }

    package var streamIndex: Int { Int(pointer.pointee.stream_index) }
    package var pts: Int64? { pointer.pointee.pts == podium_nopts_value() ? nil : pointer.pointee.pts }
    package var dts: Int64? { pointer.pointee.dts == podium_nopts_value() ? nil : pointer.pointee.dts }
    package var duration: Int64 { pointer.pointee.duration }
    package var isKeyframe: Bool { pointer.pointee.flags & AV_PKT_FLAG_KEY != 0 }
    package var isCorrupt: Bool { pointer.pointee.flags & AV_PKT_FLAG_CORRUPT != 0 }
    /// Byte offset of the packet's start in the input, when the demuxer knows it.
    package var position: Int64? { pointer.pointee.pos >= 0 ? pointer.pointee.pos : nil }
    /// Bytes of payload.
    package var byteCount: Int { Int(pointer.pointee.size) }

    /// The producer reference time attached by the demuxer (RTCP sender reports), in µs since the Unix epoch.
    package var producerReferenceMicroseconds: Int64? {
        var size = 0
        guard let data = av_packet_get_side_data(pointer, AV_PKT_DATA_PRFT, &size), size >= MemoryLayout<AVProducerReferenceTime>.size else {
            return nil
        }
        return UnsafeRawPointer(data).loadUnaligned(as: AVProducerReferenceTime.self).wallclock
    }

    package var bytes: UnsafeBufferPointer<UInt8> {
        UnsafeBufferPointer(start: pointer.pointee.data, count: Int(pointer.pointee.size))
    }

    package func unreference() { av_packet_unref(pointer) }
}

/// A demuxed input: owns the `AVFormatContext` and closes it in `deinit`.
///
/// Inputs are opened with the protocol and format whitelists of their `InputEndpoint`, every
/// nested open passes through `InputGuard` (host allowlist, no local files from the network),
/// and every blocking call can be interrupted through the guard's cancellation.
package final class MediaInput {
    let url: String
    package let streams: [StreamDescription]
    package let inputGuard: InputGuard
    private var context: UnsafeMutablePointer<AVFormatContext>?
    /// The demuxer's custom I/O, freed here: the top HLS playlist as Podium checked it, or a
    /// live input's protocol under the context that dates its bytes.
    private var heldInput: UnsafeMutablePointer<AVIOContext>?
    /// Whether `heldInput` dates its bytes (made by `podium_stamped_open`).
    private let datesArrivals: Bool

    /// FFmpeg's chatter (every HLS tag it skips, every segment it opens) is not the operator's business; warnings are.
    private static let quietLogs: Void = av_log_set_level(AV_LOG_WARNING)

    /// The receive buffer asked for on a UDP input's socket: 8 MiB, half a second of a 100 Mb/s feed.
    static let udpReceiveBufferBytes = 8 << 20
    /// The ring FFmpeg's UDP reading thread fills behind the socket.
    static let udpFIFOBytes = 8 << 20

    package init(guarding inputGuard: InputGuard) throws(MediaError) {
        MediaInput.quietLogs
        let endpoint = inputGuard.endpoint
        self.url = endpoint.url
        self.inputGuard = inputGuard
        if endpoint.kind == .file, !FileManager.default.fileExists(atPath: endpoint.openURL) { throw .notFound(url: url) }
        var options = MediaInput.openOptions(for: endpoint, readTimeout: inputGuard.policy.readTimeout)
        defer { av_dict_free(&options) }
        try inputGuard.pinInput()
        guard let allocated = avformat_alloc_context() else { throw .ffmpeg(operation: "allocating", target: url, code: 0, message: "out of memory") }
        inputGuard.install(on: allocated)
        // Podium unwraps timestamps itself; FFmpeg's one-period correction misreads backward jumps.
        allocated.pointee.correct_ts_overflow = 0
        datesArrivals = MediaInput.datesArrivals(endpoint.kind)
        let custom: (held: UnsafeMutablePointer<AVIOContext>?, format: UnsafePointer<AVInputFormat>?)
        do {
            custom = try MediaInput.attachCustomInput(to: allocated, guarding: inputGuard, stamped: datesArrivals, options: &options)
        } catch {
            avformat_free_context(allocated)
            throw error
        }
        heldInput = custom.held
        let opened = try MediaInput.open(allocated, format: custom.format, options: &options, guarding: inputGuard, held: custom.held, stamped: datesArrivals)
        context = opened
        streams = (0..<Int(opened.pointee.nb_streams)).map { index in
            MediaInput.describe(opened.pointee.streams[index]!, index: index)
        }
    }

    /// FFmpeg's options for opening `endpoint`: whitelists, and each protocol's timeouts and buffers.
    private static func openOptions(for endpoint: InputEndpoint, readTimeout: Double) -> OpaquePointer? {
        var options: OpaquePointer?
        av_dict_set(&options, "protocol_whitelist", endpoint.protocolWhitelist, 0)
        av_dict_set(&options, "format_whitelist", endpoint.formatWhitelist, 0)
        let timeout = String(Int64(readTimeout * 1_000_000))
        switch endpoint.kind {
        case .file, .stdin:
            break
        case .udp:
            av_dict_set(&options, "timeout", timeout, 0)
            av_dict_set(&options, "overrun_nonfatal", "1", 0)
            // FFmpeg's reading thread keeps a ring of this many 188-byte packets. Its pages are
            // touched as the ring first goes round, so resident memory grows until it has: a
            // 52 MB ring made a 0.65 Mb/s feed's job grow about 2 MB every 30 s for 13 minutes,
            // which looked like a leak. 8 MiB (with the socket's 8 MiB) still rides out a reading stall
            // of over a second at 100 Mb/s.
            av_dict_set(&options, "fifo_size", String(MediaInput.udpFIFOBytes / 188), 0)
            // The socket's own buffer must hold a sender's burst until FFmpeg's receiving thread
            // drains it: on FFmpeg's default a 12 Mb/s feed sent at its rate lost frames on an
            // idle machine. The kernel caps the request at net.core.rmem_max
            // (docs/reliability.md, "Live inputs", says to raise it).
            av_dict_set(&options, "buffer_size", String(MediaInput.udpReceiveBufferBytes), 0)
        case .srt:
            av_dict_set(&options, "rw_timeout", timeout, 0)
            av_dict_set(&options, "timeout", timeout, 0)
        case .rtsp:
            av_dict_set(&options, "timeout", timeout, 0)
        case .rtmp:
            av_dict_set(&options, "rw_timeout", timeout, 0)
        case .hls:
            av_dict_set(&options, "rw_timeout", timeout, 0)
            // Every playlist reload through Podium's guard, never a kept-alive request past it.
            av_dict_set(&options, "http_persistent", "0", 0)
        }
        return options
    }

    /// The bytes the demuxer reads, where Podium provides them: an HLS playlist fetched and
    /// checked by Podium, or a live input whose reads are dated as they arrive.
    private static func attachCustomInput(
        to context: UnsafeMutablePointer<AVFormatContext>, guarding inputGuard: InputGuard, stamped: Bool, options: inout OpaquePointer?
    ) throws(MediaError) -> (held: UnsafeMutablePointer<AVIOContext>?, format: UnsafePointer<AVInputFormat>?) {
        var held: UnsafeMutablePointer<AVIOContext>?
        var format: UnsafePointer<AVInputFormat>?
        if inputGuard.endpoint.kind == .hls {
            held = try inputGuard.admitPlaylist(inputGuard.endpoint.openURL)
            guard held != nil else {
                throw .ffmpeg(operation: "reading the playlist", target: inputGuard.endpoint.url, code: podium_averror(EIO), message: "the playlist could not be read")
            }
            context.pointee.pb = held
            format = av_find_input_format("hls")
        }
        if stamped {
            held = try inputGuard.openStampedInput(options: &options)
            context.pointee.pb = held
        }
        return (held, format)
    }

    /// Opens the demuxer on `allocated` and reads its streams' parameters; on any failure every
    /// FFmpeg object is freed, and a refusal by the guard is thrown as such.
    private static func open(
        _ allocated: UnsafeMutablePointer<AVFormatContext>, format: UnsafePointer<AVInputFormat>?, options: inout OpaquePointer?,
        guarding inputGuard: InputGuard, held: UnsafeMutablePointer<AVIOContext>?, stamped: Bool
    ) throws(MediaError) -> UnsafeMutablePointer<AVFormatContext> {
        let url = inputGuard.endpoint.url
        var opened: UnsafeMutablePointer<AVFormatContext>? = allocated
        let openCode = avformat_open_input(&opened, inputGuard.openURL, format, &options)
        // A failed open freed the context but leaves custom I/O to its owner.
        if openCode < 0 { closeCustomInput(held, stamped: stamped) }
        if let refusal = inputGuard.takeRefusal() {
            if openCode >= 0 { avformat_close_input(&opened); closeCustomInput(held, stamped: stamped) }
            throw refusal
        }
        // Unrecognised data, or data that only a demuxer outside the whitelist claims (EINVAL).
        if openCode == podium_averror_invaliddata() || openCode == podium_averror(EINVAL) {
            throw .notMedia(url: url, detail: "no demuxer among \(inputGuard.endpoint.formatWhitelist) recognises it")
        }
        try MediaError.check(openCode, "opening input", url)
        let infoCode = avformat_find_stream_info(opened, nil)
        if let refusal = inputGuard.takeRefusal() { avformat_close_input(&opened); closeCustomInput(held, stamped: stamped); throw refusal }
        if infoCode < 0 {
            avformat_close_input(&opened)
            closeCustomInput(held, stamped: stamped)
            throw .notMedia(url: url, detail: MediaError.message(for: infoCode))
        }
        return opened!
    }

    deinit { close() }

    /// Closes the input now (a UDP or SRT listener must release its port before it is reopened).
    package func close() {
        avformat_close_input(&context)
        releaseHeldInput()
    }

    private func releaseHeldInput() {
        MediaInput.closeCustomInput(heldInput, stamped: datesArrivals)
        heldInput = nil
    }

    private static func closeCustomInput(_ io: UnsafeMutablePointer<AVIOContext>?, stamped: Bool) {
        if stamped { podium_stamped_close(io) } else { podium_held_bytes_close(io) }
    }

    /// Inputs whose bytes are dated as they arrive: the live ones whose demuxer reads a byte
    /// stream (RTSP brings its own RTP clock; HLS segments are fetched whole, ahead of time).
    static func datesArrivals(_ kind: InputKind) -> Bool {
        kind == .udp || kind == .srt || kind == .rtmp
    }

    /// When the first byte of `packet` reached Podium, on a live input whose bytes are dated.
    package func arrival(of packet: Packet) -> UTCInstant? {
        guard datesArrivals else { return nil }
        let micros = podium_stamped_arrival(heldInput, packet.pointer.pointee.pos)
        guard micros >= 0 else { return nil }
        return UTCInstant(secondsSinceEpoch: Rational(Int128(micros), 1_000_000))
    }

    /// The name FFmpeg gave the container format (`mpegts`, `mov,mp4,…`).
    package var formatName: String { String(cString: context!.pointee.iformat.pointee.name) }

    /// Reads the next packet into `packet`; false at the end of the input.
    package func read(into packet: Packet) throws(MediaError) -> Bool {
        let code = av_read_frame(context, packet.pointer)
        if code == podium_averror_eof() { return false }
        if let refusal = inputGuard.takeRefusal() { throw refusal }
        try MediaError.check(code, "reading a packet", url)
        return true
    }

    /// The `timecode` metadata of the video stream or the container (a MOV/MP4 `tmcd` track's start).
    package func startTimecode(ofStream index: Int) -> String? {
        guard let context else { return nil }
        for dictionary in [context.pointee.streams[index]!.pointee.metadata, context.pointee.metadata] {
            if let entry = av_dict_get(dictionary, "timecode", nil, 0), let value = entry.pointee.value {
                return String(cString: value)
            }
        }
        return nil
    }

    /// How far through the input reading is, for recorded files with a known size.
    package var progress: Double? {
        guard let io = context?.pointee.pb else { return nil }
        let size = avio_size(io)
        guard size > 0 else { return nil }
        return min(1, Double(avio_tell(io)) / Double(size))
    }

    /// Codec parameters of stream `index`, for the muxer to copy. Ingest-internal.
    package func codecParameters(ofStream index: Int) -> UnsafeMutablePointer<AVCodecParameters> {
        context!.pointee.streams[index]!.pointee.codecpar
    }

    private static func describe(_ stream: UnsafeMutablePointer<AVStream>, index: Int) -> StreamDescription {
        let parameters = stream.pointee.codecpar.pointee
        let kind: StreamKind = switch parameters.codec_type {
        case AVMEDIA_TYPE_VIDEO: .video
        case AVMEDIA_TYPE_AUDIO: .audio
        case AVMEDIA_TYPE_SUBTITLE: .subtitle
        case AVMEDIA_TYPE_DATA: .data
        default: .other
        }
        let rate = stream.pointee.avg_frame_rate.num > 0 ? stream.pointee.avg_frame_rate : stream.pointee.r_frame_rate
        return StreamDescription(
            index: index, kind: kind, codecName: String(cString: avcodec_get_name(parameters.codec_id)),
            timeBase: Rational(Int128(stream.pointee.time_base.num), Int128(stream.pointee.time_base.den)),
            frameRate: rate.num > 0 && rate.den > 0 ? Rational(Int128(rate.num), Int128(rate.den)) : nil,
            containerID: stream.pointee.id, timestampWrapBits: Int(stream.pointee.pts_wrap_bits),
            isTimedID3: parameters.codec_id == AV_CODEC_ID_TIMED_ID3,
            reorderDepth: Int(parameters.video_delay)
        )
    }
}
