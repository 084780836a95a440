internal import CFFmpeg
package import MediaFormats
package import Overlay

/// Reads H.264/HEVC picture-timing timecodes (SMPTE 12M, exported by libavcodec as frame side
/// data) by decoding the video. Used only when `sei-timecode` is the chosen clock: decoding is
/// the one costly step of ingest (see docs/performance.md), so nothing else pays for it.
///
/// Pictures are decoded with the loop filter skipped (the pixels are thrown away; only the
/// side data matters) on one thread, so each picture comes out as soon as its reorder depth allows.
package final class PictureTimingReader {
    private var decoder: UnsafeMutablePointer<AVCodecContext>?
    private var frame: UnsafeMutablePointer<AVFrame>?
    private let rate: Rational
    private let day: TimecodeDay
    private let url: String
    private var stated: [Int64: UTCInstant] = [:]
    private var decodedThrough: Int64?
    /// Whether the stream's labels count drop-frame, once one has been read.
    package private(set) var labelsDropFrame: Bool?
    private var drained = false

    package init(input: MediaInput, video: StreamDescription, rate: Rational, day: TimecodeDay) throws(MediaError) {
        self.rate = rate
        self.day = day
        url = input.url
        let parameters = input.codecParameters(ofStream: video.index)
        guard let codec = avcodec_find_decoder(parameters.pointee.codec_id) else {
            throw .clock("no \(video.codecName) decoder to read picture-timing timecodes with")
        }
        decoder = avcodec_alloc_context3(codec)
        frame = av_frame_alloc()
        guard let decoder, frame != nil else { throw .ffmpeg(operation: "allocating a decoder", target: url, code: 0, message: "out of memory") }
        try MediaError.check(avcodec_parameters_to_context(decoder, parameters), "configuring the decoder", url)
        decoder.pointee.thread_count = 1
        // Timecodes above 30 fps pack a field bit that only the frame rate can unpack.
        decoder.pointee.framerate = AVRational(num: Int32(rate.numerator), den: Int32(rate.denominator))
        decoder.pointee.skip_loop_filter = AVDISCARD_ALL
        decoder.pointee.pkt_timebase = AVRational(num: Int32(video.timeBase.numerator), den: Int32(video.timeBase.denominator))
        try MediaError.check(avcodec_open2(decoder, codec, nil), "opening the decoder", url)
    }

    deinit {
        avcodec_free_context(&decoder)
        av_frame_free(&frame)
    }

    /// Decodes a packet whose (unwrapped, epoch-local) PTS is `pts`, noting the timecodes of the pictures that come out.
    package func decode(_ packet: Packet, pts: Int64?) throws(MediaError) {
        let original = (packet.pointer.pointee.pts, packet.pointer.pointee.dts)
        packet.pointer.pointee.pts = pts ?? podium_nopts_value()
        packet.pointer.pointee.dts = podium_nopts_value()
        let code = avcodec_send_packet(decoder, packet.pointer)
        (packet.pointer.pointee.pts, packet.pointer.pointee.dts) = original
        // A picture the decoder refuses (damaged data) has no timecode; the clock carries on without it.
        if code < 0 && code != podium_averror_invaliddata() && code != podium_averror_eagain() {
            try MediaError.check(code, "decoding for timecodes", url)
        }
        receive()
    }

    /// Whether every picture up to `pts` has come out of the decoder.
    package func decoded(through pts: Int64) -> Bool { drained || (decodedThrough.map { $0 >= pts } ?? false) }

    /// The timecode stated for the picture at `pts`, once.
    package func take(_ pts: Int64) -> UTCInstant? { stated.removeValue(forKey: pts) }

    /// Empties the decoder at the end of an epoch.
    package func drain() throws(MediaError) {
        _ = avcodec_send_packet(decoder, nil)
        receive()
        drained = true
    }

    /// Readies the decoder for a new epoch after `drain()`.
    package func restart() {
        avcodec_flush_buffers(decoder)
        stated.removeAll()
        decodedThrough = nil
        drained = false
    }

    private func receive() {
        while avcodec_receive_frame(decoder, frame) >= 0 {
            defer { av_frame_unref(frame) }
            let pts = frame!.pointee.best_effort_timestamp
            guard pts != podium_nopts_value() else { continue }
            decodedThrough = max(decodedThrough ?? pts, pts)
            guard let side = av_frame_get_side_data(frame, AV_FRAME_DATA_S12M_TIMECODE), side.pointee.size >= 8 else { continue }
            let words = UnsafeRawPointer(side.pointee.data!)
            guard words.loadUnaligned(as: UInt32.self) >= 1 else { continue }
            let packed = words.loadUnaligned(fromByteOffset: 4, as: UInt32.self)
            var text = [CChar](repeating: 0, count: 32)
            let avRate = AVRational(num: Int32(rate.numerator), den: Int32(rate.denominator))
            av_timecode_make_smpte_tc_string2(&text, avRate, packed, 0, 0)
            let label = String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            if let timecode = SMPTETimecode(label), let utc = day.instant(of: timecode, frameRate: rate) {
                stated[pts] = utc
                labelsDropFrame = timecode.dropFrame
            }
        }
    }
}
