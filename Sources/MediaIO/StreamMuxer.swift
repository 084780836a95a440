internal import CFFmpeg
import Foundation
package import MediaFormats
package import Overlay

/// The streams an enrichment copies, with their codec parameters copied out of the input once:
/// outputs open late (an SRT listener waits for its caller) and reopen after the input itself
/// was reopened, so they must not point into the input's context.
///
/// Immutable after `init`; workers only read the parameters (`avcodec_parameters_copy` does not
/// write its source), so sharing it between output threads is safe.
package final class StreamLayout: @unchecked Sendable {
    /// One copied stream.
    struct Entry {
        let description: StreamDescription
        let parameters: UnsafeMutablePointer<AVCodecParameters>
    }

    let entries: [Entry]
    /// Input index of the video stream.
    let videoIndex: Int
    /// How the video's NAL units are delimited, and which codec: nil when SEI cannot be added.
    package let seiTarget: (codec: SEICodec, framing: NALFraming)?

    package init(input: MediaInput, copying streams: [StreamDescription], video: StreamDescription) {
        entries = streams.map { description in
            let parameters = avcodec_parameters_alloc()!
            avcodec_parameters_copy(parameters, input.codecParameters(ofStream: description.index))
            return Entry(description: description, parameters: parameters)
        }
        videoIndex = video.index
        let parameters = input.codecParameters(ofStream: video.index).pointee
        let codec: SEICodec? = switch parameters.codec_id {
        case AV_CODEC_ID_H264: .h264
        case AV_CODEC_ID_HEVC: .hevc
        default: nil
        }
        let extradata = parameters.extradata.map { Array(UnsafeBufferPointer(start: $0, count: Int(parameters.extradata_size))) } ?? []
        // avcC / hvcC configuration records start with version 1 and state the NAL length size;
        // Annex B extradata starts with a start code.
        var framing = NALFraming.annexB
        if let first = extradata.first, first == 1 {
            if codec == .h264, extradata.count > 4 { framing = .lengthPrefixed(lengthSize: Int(extradata[4] & 3) + 1) }
            if codec == .hevc, extradata.count > 21 { framing = .lengthPrefixed(lengthSize: Int(extradata[21] & 3) + 1) }
        }
        seiTarget = codec.map { ($0, framing) }
    }

    deinit {
        for entry in entries {
            var parameters: UnsafeMutablePointer<AVCodecParameters>? = entry.parameters
            avcodec_parameters_free(&parameters)
        }
    }
}

/// One packet on its way to the outputs, shared by all of them (each muxer takes its own
/// reference to the data, which FFmpeg counts atomically).
///
/// Immutable after creation, so it crosses to the output threads as is.
package final class OutputPacket: @unchecked Sendable {
    /// Which stream the packet belongs to.
    package enum Role: Equatable {
        /// A copied input stream, by input index.
        case stream(Int)
        /// Podium's timed-ID3 stream.
        case podiumMetadata
    }

    package let role: Role
    /// The packet, timestamps on the output timeline in `timeBase`.
    package let packet: Packet
    package let timeBase: Rational
    package let isVideo: Bool
    package let isKeyframe: Bool
    /// For a video packet whose frame was placed: the frame's capture UTC.
    package let frameCapture: UTCInstant?
    /// Race moments that first show on this packet's frame.
    package let markers: [RaceMarker]
    /// Race windows that close and open on the frame.
    package let windows: [RaceWindowEdge]
    /// For a video packet whose frame was carried: the input epoch of the frame.
    package let epoch: Int?
    /// When the packet was read (monotonic nanoseconds), for the added-latency figure.
    package let readAt: UInt64
    /// For Podium's tag: what its payload shows (`CueSignature`), or nil when unknown (then it
    /// is always sent), and whether its frame is a video keyframe (a place a player joins).
    package let cueSignature: Int?
    package let cueOnKeyframe: Bool

    package init(
        role: Role, packet: Packet, timeBase: Rational, isVideo: Bool, frameCapture: UTCInstant? = nil, markers: [RaceMarker] = [], windows: [RaceWindowEdge] = [],
        epoch: Int? = nil,
        cueSignature: Int? = nil, cueOnKeyframe: Bool = false, readAt: UInt64
    ) {
        self.role = role
        self.packet = packet
        self.timeBase = timeBase
        self.isVideo = isVideo
        isKeyframe = packet.isKeyframe
        self.frameCapture = frameCapture
        self.markers = markers
        self.windows = windows
        self.epoch = epoch
        self.cueSignature = cueSignature
        self.cueOnKeyframe = cueOnKeyframe
        self.readAt = readAt
    }

    package var pts: Int64? { packet.pts }
    package var dts: Int64? { packet.dts }
    package var duration: Int64 { packet.duration }
}

extension Packet {
    /// A packet holding this packet's reference (data, properties, side data); this one is left blank.
    package func takingReference() -> Packet {
        let taken = Packet()
        av_packet_move_ref(taken.pointer, pointer)
        return taken
    }

    /// A packet with these properties (timestamps, flags, side data) and `bytes` as its data.
    package func replacingData(with bytes: [UInt8]) throws(MediaError) -> Packet {
        let copy = Packet()
        try MediaError.check(av_new_packet(copy.pointer, Int32(bytes.count)), "allocating a packet", "SEI carrier")
        bytes.withUnsafeBufferPointer { source in copy.pointer.pointee.data.update(from: source.baseAddress!, count: bytes.count) }
        try MediaError.check(av_packet_copy_props(copy.pointer, pointer), "copying packet properties", "SEI carrier")
        return copy
    }

    /// Puts the output timeline's timestamps on the packet (nil: none).
    package func setTimestamps(pts: Int64?, dts: Int64?) {
        pointer.pointee.pts = pts ?? podium_nopts_value()
        pointer.pointee.dts = dts ?? podium_nopts_value()
    }

    /// A timed-ID3 packet presented at `pts`.
    package static func metadata(_ tag: [UInt8], pts: Int64) throws(MediaError) -> Packet {
        let packet = Packet()
        try MediaError.check(av_new_packet(packet.pointer, Int32(tag.count)), "allocating a metadata packet", "timed ID3")
        tag.withUnsafeBufferPointer { source in packet.pointer.pointee.data.update(from: source.baseAddress!, count: tag.count) }
        packet.pointer.pointee.pts = pts
        packet.pointer.pointee.dts = pts
        packet.pointer.pointee.flags |= AV_PKT_FLAG_KEY
        return packet
    }
}

/// Where an output's packets end up: a muxer on one target, or Podium's HLS writer.
package protocol OutputSink: AnyObject {
    /// Writes one packet (the sink takes its own reference); returns whether its timestamps
    /// had to be repaired for the muxer to take it.
    @discardableResult
    func write(_ packet: OutputPacket) throws(MediaError) -> Bool
    /// Flushes, writes the trailer and closes.
    func finish() throws(MediaError)
}

/// One muxer on one target: owns the `AVFormatContext` and its I/O, and writes the trailer in `finish()`.
package final class StreamMuxer: OutputSink {
    let target: String
    private var context: UnsafeMutablePointer<AVFormatContext>?
    private var finished = false
    private let scratch = Packet()
    /// For MPEG-TS with Podium's timed ID3: the I/O that adds the PMT's metadata_pointer_descriptor.
    private var rewritingIO: PMTRewritingIO?
    private let interleaved: Bool
    private let cancellation: InputCancellation
    /// Output stream index per input stream index.
    private var outputIndex: [Int: Int] = [:]
    /// Output stream index of Podium's timed-ID3 stream, when the container carries it.
    private var metadataIndex: Int?
    private var timestampRepair = OutputTimestampRepair()
    /// Output streams of AAC in ADTS going into MP4: written raw, with their configuration.
    private var adtsIntoMP4: Set<Int> = []

    /// Opens `location` as `container` with a copy of every stream of `layout` the container can
    /// hold, plus Podium's timed-ID3 stream when `withMetadata` (MPEG-TS only).
    ///
    /// - Parameters:
    ///   - interleaved: sort packets across streams by DTS (files); a live output writes each
    ///     packet as it comes, so nothing waits for a sparse stream.
    package init(
        location: String, protocolWhitelist: String, container: OutputContainer, layout: StreamLayout,
        withMetadata: Bool, interleaved: Bool, cancellation: InputCancellation, displayName: String
    ) throws(MediaError) {
        target = displayName
        self.interleaved = interleaved
        self.cancellation = cancellation
        var created: UnsafeMutablePointer<AVFormatContext>?
        try MediaError.check(avformat_alloc_output_context2(&created, nil, container.muxerName, nil), "creating the \(container.rawValue) muxer", displayName)
        context = created
        guard let context = created else { throw .unsupportedOutput(url: displayName, detail: "no \(container.rawValue) muxer") }
        context.pointee.interrupt_callback = AVIOInterruptCB(callback: outputInterrupted, opaque: Unmanaged.passUnretained(cancellation).toOpaque())

        let entries = layout.entries.filter { StreamMuxer.container(container, holds: $0.description) }
        // Keep the input's PIDs so the broadcaster's chain sees the same program layout.
        let keepIDs = container == .mpegts && entries.allSatisfy { (16..<0x1FFF).contains($0.description.containerID) }
            && Set(entries.map(\.description.containerID)).count == entries.count
        for entry in entries {
            guard let stream = avformat_new_stream(context, nil) else {
                throw .ffmpeg(operation: "adding a stream", target: displayName, code: 0, message: "out of memory")
            }
            try MediaError.check(avcodec_parameters_copy(stream.pointee.codecpar, entry.parameters), "copying codec parameters", displayName)
            stream.pointee.codecpar.pointee.codec_tag = 0
            stream.pointee.time_base = AVRational(num: Int32(entry.description.timeBase.numerator), den: Int32(entry.description.timeBase.denominator))
            if keepIDs { stream.pointee.id = entry.description.containerID }
            outputIndex[entry.description.index] = Int(stream.pointee.index)
            if container != .mpegts, container != .flv, entry.parameters.pointee.codec_id == AV_CODEC_ID_AAC, entry.parameters.pointee.extradata_size == 0 {
                adtsIntoMP4.insert(Int(stream.pointee.index))
            }
        }
        if withMetadata, container.carriesTimedID3 {
            guard let metadata = avformat_new_stream(context, nil) else {
                throw .ffmpeg(operation: "adding the metadata stream", target: displayName, code: 0, message: "out of memory")
            }
            metadata.pointee.codecpar.pointee.codec_type = AVMEDIA_TYPE_DATA
            metadata.pointee.codecpar.pointee.codec_id = AV_CODEC_ID_TIMED_ID3
            metadata.pointee.time_base = AVRational(num: 1, den: 90000)
            if keepIDs { metadata.pointee.id = (entries.map(\.description.containerID).max() ?? 0x100) + 1 }
            metadataIndex = Int(metadata.pointee.index)
        }

        var options: OpaquePointer?
        defer { av_dict_free(&options) }
        av_dict_set(&options, "protocol_whitelist", protocolWhitelist, 0)
        var interrupt = context.pointee.interrupt_callback
        if metadataIndex != nil {
            let io = try PMTRewritingIO(location: location, interrupt: &interrupt, options: &options, displayName: displayName)
            rewritingIO = io
            context.pointee.pb = io.outer
            // FFmpeg must not close or free an I/O context it did not open.
            context.pointee.flags |= AVFMT_FLAG_CUSTOM_IO
            // A stream sends what the muxer flushes at once; a file lets the buffers fill.
            context.pointee.flush_packets = io.streams ? 1 : 0
        } else {
            try MediaError.check(avio_open2(&context.pointee.pb, location, AVIO_FLAG_WRITE, &interrupt, &options), "opening the output", displayName)
        }
        var muxerOptions: OpaquePointer?
        defer { av_dict_free(&muxerOptions) }
        if container == .fragmentedMP4 {
            // Every sample keeps its PTS (the one the payload names): the moov holds no samples
            // (empty_moov), the first fragment's decode time is the first DTS (frag_discont with
            // no edit list), and nothing moves the timeline to zero. The moov waits for the first
            // fragment (delay_moov) because it needs the AAC configuration, which MPEG-TS audio
            // (ADTS) only yields once its first packet has passed the muxer's aac_adtstoasc.
            av_dict_set(&muxerOptions, "movflags", "frag_keyframe+empty_moov+delay_moov+default_base_moof+frag_discont", 0)
            av_dict_set(&muxerOptions, "use_editlist", "0", 0)
            context.pointee.avoid_negative_ts = AVFMT_AVOID_NEG_TS_MAKE_NON_NEGATIVE
        }
        try MediaError.check(avformat_write_header(context, &muxerOptions), "writing the \(container.rawValue) header", displayName)
    }

    deinit {
        if let context, !finished, rewritingIO == nil { avio_closep(&context.pointee.pb) }
        avformat_free_context(context)
        rewritingIO?.close()
    }

    /// Whether `container` can hold a copy of `stream`.
    static func container(_ container: OutputContainer, holds stream: StreamDescription) -> Bool {
        switch container {
        case .mpegts: stream.kind == .video || stream.kind == .audio || stream.kind == .subtitle || stream.isTimedID3
        case .mp4, .fragmentedMP4, .flv: stream.kind == .video || stream.kind == .audio
        }
    }

    @discardableResult
    package func write(_ item: OutputPacket) throws(MediaError) -> Bool {
        guard let context else { return false }
        let index: Int
        switch item.role {
        case .stream(let input):
            guard let found = outputIndex[input] else { return false }
            index = found
        case .podiumMetadata:
            guard let metadataIndex else { return false }
            index = metadataIndex
        }
        let packet = scratch.pointer
        try MediaError.check(av_packet_ref(packet, item.packet.pointer), "referencing a packet", target)
        packet.pointee.stream_index = Int32(index)
        let source = AVRational(num: Int32(item.timeBase.numerator), den: Int32(item.timeBase.denominator))
        av_packet_rescale_ts(packet, source, context.pointee.streams[index]!.pointee.time_base)
        packet.pointee.pos = -1
        if adtsIntoMP4.contains(index) { try unwrapADTS(packet, stream: index) }
        let none = podium_nopts_value()
        let repaired = timestampRepair.repair(
            stream: index, pts: packet.pointee.pts == none ? nil : packet.pointee.pts, dts: packet.pointee.dts == none ? nil : packet.pointee.dts
        )
        if repaired.repaired {
            packet.pointee.pts = repaired.pts ?? none
            packet.pointee.dts = repaired.dts ?? none
        }
        let result = interleaved ? av_interleaved_write_frame(context, packet) : av_write_frame(context, packet)
        av_packet_unref(packet)
        try MediaError.check(result, "writing a packet", target)
        return repaired.repaired
    }

    /// Turns an ADTS frame into the raw frame MP4 holds, giving the stream its AudioSpecificConfig
    /// from the first header: the fragmented MP4's moov, written with the first fragment, needs
    /// it, and FFmpeg's own conversion leaves it out there. A packet that is not one plain ADTS
    /// frame goes on as it is, for FFmpeg's conversion.
    private func unwrapADTS(_ packet: UnsafeMutablePointer<AVPacket>, stream index: Int) throws(MediaError) {
        guard let data = packet.pointee.data, packet.pointee.size > 0,
              let header = ADTSHeader(UnsafeRawBufferPointer(start: data, count: Int(packet.pointee.size))),
              let parameters = context?.pointee.streams[index]?.pointee.codecpar else { return }
        if parameters.pointee.extradata_size == 0 {
            let config = header.audioSpecificConfig
            guard let extradata = av_mallocz(config.count + Int(AV_INPUT_BUFFER_PADDING_SIZE))?.assumingMemoryBound(to: UInt8.self) else {
                throw .ffmpeg(operation: "configuring AAC for MP4", target: target, code: 0, message: "out of memory")
            }
            extradata.update(from: config, count: config.count)
            parameters.pointee.extradata = extradata
            parameters.pointee.extradata_size = Int32(config.count)
        }
        packet.pointee.data = data + header.length
        packet.pointee.size -= Int32(header.length)
    }

    package func finish() throws(MediaError) {
        guard let context, !finished else { return }
        finished = true
        let trailer = av_write_trailer(context)
        if let rewritingIO {
            context.pointee.pb = nil
            let closed = rewritingIO.close()
            try MediaError.check(trailer, "writing the trailer", target)
            try MediaError.check(closed, "closing the output", target)
            return
        }
        avio_closep(&context.pointee.pb)
        try MediaError.check(trailer, "writing the trailer", target)
    }
}

/// An MPEG-TS output's I/O with Podium between the muxer and the file or network: every whole
/// TS packet passes `ProgramMapRewriter` (the PMT gains its metadata_pointer_descriptor) on its
/// way to the real output: a local file Podium writes itself (`OutputFile`), or a network
/// output FFmpeg opened. Owns every context it made and frees them in `close()`.
final class PMTRewritingIO {
    /// Where the rewritten packets go.
    private enum Destination {
        case file(OutputFile)
        case ffmpeg(UnsafeMutablePointer<AVIOContext>)
    }

    private(set) var outer: UnsafeMutablePointer<AVIOContext>?
    private var destination: Destination?
    private var rewriter = ProgramMapRewriter()
    private var pending: [UInt8] = []
    private var closed = false
    /// A network output: every flush of the muxer is passed on (it sends at once).
    let streams: Bool
    /// Multiples of 188: the muxer writes whole packets, so the buffer flushes on packet
    /// boundaries. A stream's is small (it is flushed often anyway); a file's is large, and its
    /// bytes go to the file as they are (one copy fewer, one system call per buffer).
    static let streamBufferSize = 188 * 7 * 16
    static let fileBufferSize = 188 * 7 * 128

    /// Opens `location`: a `file:` path is written by Podium, anything else by FFmpeg's protocols.
    package init(location: String, interrupt: UnsafePointer<AVIOInterruptCB>, options: UnsafeMutablePointer<OpaquePointer?>, displayName: String) throws(MediaError) {
        streams = !location.hasPrefix("file:")
        if streams {
            var inner: UnsafeMutablePointer<AVIOContext>?
            try MediaError.check(avio_open2(&inner, location, AVIO_FLAG_WRITE, interrupt, options), "opening the output", displayName)
            // A datagram protocol (UDP) cuts what it is given into its packets, so a stream
            // keeps FFmpeg's inner buffer.
            destination = inner.map { .ffmpeg($0) }
        } else {
            destination = .file(try OutputFile(path: String(location.dropFirst("file:".count)), displayName: displayName))
        }
        let bufferSize = streams ? Self.streamBufferSize : Self.fileBufferSize
        guard let buffer = av_malloc(bufferSize)?.assumingMemoryBound(to: UInt8.self) else {
            closeDestination()
            throw .ffmpeg(operation: "allocating an output buffer", target: displayName, code: 0, message: "out of memory")
        }
        outer = avio_alloc_context(buffer, Int32(bufferSize), 1, Unmanaged.passUnretained(self).toOpaque(), nil, rewritingWrite, nil)
        guard outer != nil else {
            av_free(buffer)
            closeDestination()
            throw .ffmpeg(operation: "allocating an output context", target: displayName, code: 0, message: "out of memory")
        }
    }

    /// Takes bytes from the muxer; whole packets go on (only the PAT and PMT are looked at
    /// closer), a partial one waits for the rest. Returns the count taken or FFmpeg's error code.
    fileprivate func write(_ bytes: UnsafeMutableBufferPointer<UInt8>) -> Int32 {
        guard destination != nil, let base = bytes.baseAddress else { return podium_averror(EIO) }
        let result: Int32
        if pending.isEmpty, bytes.count % 188 == 0 {
            for offset in stride(from: 0, to: bytes.count, by: 188) { rewriteIfTable(base + offset) }
            result = forward(UnsafeRawBufferPointer(bytes))
        } else {
            pending.append(contentsOf: bytes)
            let whole = pending.count / 188 * 188
            result = pending.withUnsafeMutableBufferPointer { buffer in
                for offset in stride(from: 0, to: whole, by: 188) { rewriteIfTable(buffer.baseAddress! + offset) }
                return forward(UnsafeRawBufferPointer(start: buffer.baseAddress, count: whole))
            }
            pending.removeFirst(whole)
        }
        return result < 0 ? result : Int32(bytes.count)
    }

    /// Passes bytes to the destination; returns 0 or FFmpeg's error code.
    private func forward(_ bytes: UnsafeRawBufferPointer) -> Int32 {
        switch destination {
        case .file(let file):
            return file.write(bytes)
        case .ffmpeg(let inner):
            if let base = bytes.baseAddress { avio_write(inner, base, Int32(bytes.count)) }
            if streams { avio_flush(inner) }
            return min(inner.pointee.error, 0)
        case nil:
            return podium_averror(EIO)
        }
    }

    private func rewriteIfTable(_ packet: UnsafeMutablePointer<UInt8>) {
        let pid = Int(packet[1] & 0x1F) << 8 | Int(packet[2])
        guard pid == 0 || pid == rewriter.programMapPID else { return }
        var copy = Array(UnsafeBufferPointer(start: packet, count: 188))
        rewriter.process(&copy)
        copy.withUnsafeBufferPointer { _ = memcpy(packet, $0.baseAddress!, 188) }
    }

    /// Flushes and frees everything; returns FFmpeg's error code of the first failed write, or 0.
    @discardableResult
    func close() -> Int32 {
        guard !closed else { return 0 }
        closed = true
        if let outer { avio_flush(outer) }
        var error = outer.map { min($0.pointee.error, 0) } ?? 0
        if let outer { av_freep(&outer.pointee.buffer) }
        avio_context_free(&outer)
        if !pending.isEmpty {
            let last = pending.withUnsafeBytes { forward($0) }
            if error == 0 { error = last }
        }
        let closing = closeDestination()
        return error == 0 ? closing : error
    }

    @discardableResult
    private func closeDestination() -> Int32 {
        defer { destination = nil }
        switch destination {
        case .file(let file):
            return file.close()
        case .ffmpeg(let opened):
            let error = min(opened.pointee.error, 0)
            var inner: UnsafeMutablePointer<AVIOContext>? = opened
            avio_closep(&inner)
            return error
        case nil:
            return 0
        }
    }

    deinit { close() }
}

private func rewritingWrite(_ opaque: UnsafeMutableRawPointer?, _ buffer: UnsafeMutablePointer<UInt8>?, _ size: Int32) -> Int32 {
    guard let opaque, let buffer else { return podium_averror(EINVAL) }
    return Unmanaged<PMTRewritingIO>.fromOpaque(opaque).takeUnretainedValue().write(UnsafeMutableBufferPointer(start: buffer, count: Int(size)))
}

/// FFmpeg's interrupt callback for outputs: a blocked open (an SRT listener waiting for its
/// caller) or write returns as soon as the job is stopping.
private func outputInterrupted(_ opaque: UnsafeMutableRawPointer?) -> Int32 {
    guard let opaque else { return 0 }
    return Unmanaged<InputCancellation>.fromOpaque(opaque).takeUnretainedValue().isCancelled ? 1 : 0
}
