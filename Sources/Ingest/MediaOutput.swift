internal import CFFmpeg
import Overlay

/// An MPEG-TS output being muxed: owns the `AVFormatContext` and its I/O, and writes the trailer in `finish()`.
final class MediaOutput {
    let url: String
    private var context: UnsafeMutablePointer<AVFormatContext>?
    private var finished = false
    private let metadataPacket: Packet

    /// Output stream index for each copied input stream index.
    private(set) var outputIndex: [Int: Int] = [:]
    /// Output stream index of the timed-ID3 stream.
    private(set) var metadataIndex = -1

    /// Creates the output with a copy of each of `copying` (input streams) and one timed-ID3 stream.
    ///
    /// Every stored property has its value before the first `throw`, so `deinit` frees the
    /// context whatever step fails.
    init(url: String, input: MediaInput, copying: [StreamDescription]) throws(MediaError) {
        self.url = url
        metadataPacket = Packet()
        var created: UnsafeMutablePointer<AVFormatContext>?
        try MediaError.check(avformat_alloc_output_context2(&created, nil, "mpegts", url), "creating the MPEG-TS muxer", url)
        context = created
        guard let context = created else { throw .unsupportedOutput(url: url, detail: "no MPEG-TS muxer") }

        var indexes: [Int: Int] = [:]
        // Keep the input's PIDs so the broadcaster's chain sees the same program layout.
        let keepIDs = copying.allSatisfy { (16..<0x1FFF).contains($0.containerID) }
            && Set(copying.map(\.containerID)).count == copying.count
        for description in copying {
            guard let stream = avformat_new_stream(context, nil) else {
                throw .ffmpeg(operation: "adding a stream", target: url, code: 0, message: "out of memory")
            }
            try MediaError.check(
                avcodec_parameters_copy(stream.pointee.codecpar, input.codecParameters(ofStream: description.index)),
                "copying codec parameters", url
            )
            stream.pointee.codecpar.pointee.codec_tag = 0
            stream.pointee.time_base = AVRational(
                num: Int32(description.timeBase.numerator), den: Int32(description.timeBase.denominator)
            )
            if keepIDs { stream.pointee.id = description.containerID }
            indexes[description.index] = Int(stream.pointee.index)
        }
        guard let metadata = avformat_new_stream(context, nil) else {
            throw .ffmpeg(operation: "adding the metadata stream", target: url, code: 0, message: "out of memory")
        }
        metadata.pointee.codecpar.pointee.codec_type = AVMEDIA_TYPE_DATA
        metadata.pointee.codecpar.pointee.codec_id = AV_CODEC_ID_TIMED_ID3
        metadata.pointee.time_base = AVRational(num: 1, den: 90000)
        if keepIDs { metadata.pointee.id = (copying.map(\.containerID).max() ?? 0x100) + 1 }
        outputIndex = indexes
        metadataIndex = Int(metadata.pointee.index)

        // The explicit `file:` protocol: an output path never reaches a network or nested protocol.
        try MediaError.check(avio_open(&context.pointee.pb, "file:" + url, AVIO_FLAG_WRITE), "opening output", url)
        try MediaError.check(avformat_write_header(context, nil), "writing the MPEG-TS header", url)
    }

    deinit {
        if let context, !finished { avio_closep(&context.pointee.pb) }
        avformat_free_context(context)
    }

    /// Writes a copied packet. Its timestamps are replaced by the unwrapped ones and rescaled to the output.
    func write(_ packet: Packet, inputIndex: Int, inputTimeBase: Rational, pts: Int64?, dts: Int64?) throws(MediaError) {
        guard let index = outputIndex[inputIndex], let context else { return }
        packet.pointer.pointee.pts = pts ?? podium_nopts_value()
        packet.pointer.pointee.dts = dts ?? podium_nopts_value()
        packet.pointer.pointee.stream_index = Int32(index)
        let source = AVRational(num: Int32(inputTimeBase.numerator), den: Int32(inputTimeBase.denominator))
        av_packet_rescale_ts(packet.pointer, source, context.pointee.streams[index]!.pointee.time_base)
        packet.pointer.pointee.pos = -1
        try MediaError.check(av_interleaved_write_frame(context, packet.pointer), "writing a packet", url)
    }

    /// Writes one timed-ID3 tag presented at `pts` (in `timeBase`): Podium's own, or, with
    /// `inputIndex`, one of an upstream timed-ID3 stream copied through.
    func writeMetadata(_ tag: [UInt8], pts: Int64, timeBase: Rational, inputIndex: Int? = nil) throws(MediaError) {
        guard let context else { return }
        let metadataIndex = inputIndex.flatMap { outputIndex[$0] } ?? self.metadataIndex
        let packet = metadataPacket.pointer
        av_packet_unref(packet)
        try MediaError.check(av_new_packet(packet, Int32(tag.count)), "allocating a metadata packet", url)
        tag.withUnsafeBufferPointer { source in
            packet.pointee.data.update(from: source.baseAddress!, count: tag.count)
        }
        let outputBase = context.pointee.streams[metadataIndex]!.pointee.time_base
        let source = AVRational(num: Int32(timeBase.numerator), den: Int32(timeBase.denominator))
        let rescaled = av_rescale_q(pts, source, outputBase)
        packet.pointee.pts = rescaled
        packet.pointee.dts = rescaled
        packet.pointee.stream_index = Int32(metadataIndex)
        packet.pointee.flags |= AV_PKT_FLAG_KEY
        try MediaError.check(av_interleaved_write_frame(context, packet), "writing a metadata packet", url)
    }

    /// Flushes the interleaving queue, writes the trailer and closes the file.
    func finish() throws(MediaError) {
        guard let context, !finished else { return }
        finished = true
        let trailer = av_write_trailer(context)
        avio_closep(&context.pointee.pb)
        try MediaError.check(trailer, "writing the trailer", url)
    }
}
