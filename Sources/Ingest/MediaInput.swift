internal import CFFmpeg
import Foundation
public import Overlay

/// What kind of content a stream carries.
public enum StreamKind: String, Sendable, Equatable {
    case video, audio, subtitle, data, other
}

/// A stream of an input as Podium sees it, with no C types.
public struct StreamDescription: Sendable, Equatable {
    /// Index in the input.
    public let index: Int
    /// Kind of content.
    public let kind: StreamKind
    /// FFmpeg's codec name (`h264`, `aac`, `timed_id3`).
    public let codecName: String
    /// Seconds per timestamp tick.
    public let timeBase: Rational
    /// Average frame rate for video, when the container or codec states it.
    public let frameRate: Rational?
    /// Container stream identifier (the PID for MPEG-TS).
    public let containerID: Int32
    /// How many bits the container keeps of a timestamp before it wraps.
    public let timestampWrapBits: Int
    /// Whether the stream is timed ID3 metadata.
    public let isTimedID3: Bool
    /// How many frames the codec may reorder (B-frames): presentation lags decoding by this many frames.
    public let reorderDepth: Int
}

/// One packet read from an input. Owns its `AVPacket` and frees it in `deinit`.
final class Packet {
    let pointer: UnsafeMutablePointer<AVPacket>

    init() {
        guard let packet = av_packet_alloc() else { fatalError("av_packet_alloc: out of memory") }
        pointer = packet
    }

    deinit {
        var packet: UnsafeMutablePointer<AVPacket>? = pointer
        av_packet_free(&packet)
    }

    var streamIndex: Int { Int(pointer.pointee.stream_index) }
    var pts: Int64? { pointer.pointee.pts == podium_nopts_value() ? nil : pointer.pointee.pts }
    var dts: Int64? { pointer.pointee.dts == podium_nopts_value() ? nil : pointer.pointee.dts }
    var bytes: UnsafeBufferPointer<UInt8> {
        UnsafeBufferPointer(start: pointer.pointee.data, count: Int(pointer.pointee.size))
    }

    func unreference() { av_packet_unref(pointer) }
}

/// A demuxed input: owns the `AVFormatContext` and closes it in `deinit`.
///
/// Inputs are opened with explicit protocol and format whitelists: a file job may read the file
/// and nothing it points to.
final class MediaInput {
    /// Formats Podium demuxes from files; others are refused before any probing of exotic demuxers.
    static let fileFormats = "mpegts,mov,mp4,m4a,3gp,3g2,mj2,matroska,webm,flv,h264,hevc"

    let url: String
    let streams: [StreamDescription]
    private var context: UnsafeMutablePointer<AVFormatContext>?

    init(url: String) throws(MediaError) {
        self.url = url
        guard FileManager.default.fileExists(atPath: url) else { throw .notFound(url: url) }
        var options: OpaquePointer?
        defer { av_dict_free(&options) }
        av_dict_set(&options, "protocol_whitelist", "file", 0)
        av_dict_set(&options, "format_whitelist", MediaInput.fileFormats, 0)
        var opened: UnsafeMutablePointer<AVFormatContext>?
        let openCode = avformat_open_input(&opened, url, nil, &options)
        // Unrecognised data, or data that only a demuxer outside the whitelist claims (EINVAL).
        if openCode == podium_averror_invaliddata() || openCode == podium_averror(EINVAL) {
            throw .notMedia(url: url, detail: "no demuxer among \(MediaInput.fileFormats) recognises it")
        }
        try MediaError.check(openCode, "opening input", url)
        context = opened
        let infoCode = avformat_find_stream_info(opened, nil)
        if infoCode < 0 {
            avformat_close_input(&context)
            throw .notMedia(url: url, detail: MediaError.message(for: infoCode))
        }
        streams = (0..<Int(opened!.pointee.nb_streams)).map { index in
            MediaInput.describe(opened!.pointee.streams[index]!, index: index)
        }
    }

    deinit { avformat_close_input(&context) }

    /// The name FFmpeg gave the container format (`mpegts`, `mov,mp4,…`).
    var formatName: String { String(cString: context!.pointee.iformat.pointee.name) }

    /// Reads the next packet into `packet`; false at the end of the input.
    func read(into packet: Packet) throws(MediaError) -> Bool {
        let code = av_read_frame(context, packet.pointer)
        if code == podium_averror_eof() { return false }
        try MediaError.check(code, "reading a packet", url)
        return true
    }

    /// Codec parameters of stream `index`, for the muxer to copy. Ingest-internal.
    func codecParameters(ofStream index: Int) -> UnsafeMutablePointer<AVCodecParameters> {
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
