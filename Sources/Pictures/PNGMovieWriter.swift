internal import CFFmpeg
public import Foundation
public import MediaFormats
import MediaIO
public import Overlay

/// A QuickTime movie of PNG pictures with alpha (PNG-in-MOV), each at the timestamp it is given:
/// an overlay video an editor or a vision mixer keys over the programme. The PNGs are muxed as
/// they are (FFmpeg's MOV muxer, no encoding), so a picture is exactly what was rendered, and its
/// time is exactly its source frame's. Written to a temporary file, renamed into place by `finish`.
public final class PNGMovieWriter {
    private var context: UnsafeMutablePointer<AVFormatContext>?
    private let stream: UnsafeMutablePointer<AVStream>
    private let timeBase: AVRational
    private let path: String
    private let temporary: String
    private var finished = false

    /// Opens a movie at `path` for `width` × `height` pictures timed in `timeBase`.
    public init(path: String, width: Int, height: Int, timeBase: Rational) throws(MediaError) {
        self.path = path
        guard timeBase.numerator > 0, timeBase.denominator > 0, let numerator = Int32(exactly: timeBase.numerator), let denominator = Int32(exactly: timeBase.denominator) else {
            throw .unsupportedOutput(url: path, detail: "the time base \(timeBase) cannot time a movie")
        }
        self.timeBase = AVRational(num: numerator, den: denominator)
        temporary = path + ".\(UUID().uuidString).part"
        var created: UnsafeMutablePointer<AVFormatContext>?
        try MediaError.check(avformat_alloc_output_context2(&created, nil, "mov", temporary), "creating the MOV muxer", path)
        guard let created, let stream = avformat_new_stream(created, nil) else {
            avformat_free_context(created)
            throw .ffmpeg(operation: "adding the picture stream", target: path, code: 0, message: "out of memory")
        }
        context = created
        self.stream = stream
        stream.pointee.codecpar.pointee.codec_type = AVMEDIA_TYPE_VIDEO
        stream.pointee.codecpar.pointee.codec_id = AV_CODEC_ID_PNG
        stream.pointee.codecpar.pointee.width = Int32(width)
        stream.pointee.codecpar.pointee.height = Int32(height)
        stream.pointee.codecpar.pointee.format = AV_PIX_FMT_RGBA.rawValue
        stream.pointee.time_base = self.timeBase
        do {
            try MediaError.check(avio_open(&created.pointee.pb, temporary, AVIO_FLAG_WRITE), "opening", path)
            // The track keeps the source's own time scale, so every timestamp is written as given.
            var options: OpaquePointer?
            av_dict_set(&options, "video_track_timescale", String(max(1, denominator / numerator)), 0)
            defer { av_dict_free(&options) }
            try MediaError.check(avformat_write_header(created, &options), "writing the MOV header", path)
        } catch {
            close()
            try? FileManager.default.removeItem(atPath: temporary)
            throw error
        }
    }

    deinit {
        close()
        if !finished { try? FileManager.default.removeItem(atPath: temporary) }
    }

    /// Adds one picture (PNG bytes) shown from `pts` for `duration`, both in the time base given.
    public func append(png: Data, pts: Int64, duration: Int64) throws(MediaError) {
        guard let context else { throw .ffmpeg(operation: "writing a picture", target: path, code: 0, message: "the movie is closed") }
        guard let packet = av_packet_alloc() else { throw .ffmpeg(operation: "writing a picture", target: path, code: 0, message: "out of memory") }
        var owned: UnsafeMutablePointer<AVPacket>? = packet
        defer { av_packet_free(&owned) }
        try MediaError.check(av_new_packet(packet, Int32(png.count)), "writing a picture", path)
        png.withUnsafeBytes { bytes in
            if let base = bytes.baseAddress { packet.pointee.data.update(from: base.assumingMemoryBound(to: UInt8.self), count: png.count) }
        }
        let source = timeBase
        packet.pointee.pts = av_rescale_q(pts, source, stream.pointee.time_base)
        packet.pointee.dts = packet.pointee.pts
        packet.pointee.duration = av_rescale_q(duration, source, stream.pointee.time_base)
        packet.pointee.flags |= AV_PKT_FLAG_KEY
        packet.pointee.stream_index = stream.pointee.index
        try MediaError.check(av_write_frame(context, packet), "writing a picture", path)
    }

    /// Writes the movie's index and puts it in place at `path`.
    public func finish() throws(MediaError) {
        guard let context else { return }
        try MediaError.check(av_write_trailer(context), "finishing the movie", path)
        close()
        if FileManager.default.fileExists(atPath: path) { try? FileManager.default.removeItem(atPath: path) }
        do {
            try FileManager.default.moveItem(atPath: temporary, toPath: path)
        } catch {
            throw .unsupportedOutput(url: path, detail: "the movie could not be put in place: \(error.localizedDescription)")
        }
        finished = true
    }

    private func close() {
        guard let context else { return }
        if context.pointee.pb != nil { avio_closep(&context.pointee.pb) }
        avformat_free_context(context)
        self.context = nil
    }
}
