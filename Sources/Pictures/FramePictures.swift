internal import CFFmpeg
import Foundation
public import MediaFormats
import MediaIO

/// One decoded picture, 8-bit BGRA (Cairo's ARGB32 on little-endian machines), rows packed.
public struct Picture: Sendable {
    /// Width in pixels.
    public let width: Int
    /// Height in pixels.
    public let height: Int
    /// `width * height * 4` bytes, top row first.
    public var pixels: [UInt8]

    /// A picture of one colour (a stand-in where no video is kept).
    public init(width: Int, height: Int, gray: UInt8 = 32) {
        self.width = width
        self.height = height
        pixels = [UInt8](repeating: gray, count: width * height * 4)
        for alpha in stride(from: 3, to: pixels.count, by: 4) { pixels[alpha] = 255 }
    }

    init(width: Int, height: Int, pixels: [UInt8]) {
        self.width = width
        self.height = height
        self.pixels = pixels
    }
}

/// Decodes chosen frames of a recording (libavcodec) and scales them (libswscale) for previews.
///
/// A frame's index is its place in presentation order, counted from 0, as a job numbers frames;
/// the decoder gives pictures in presentation order, so the n-th picture out is frame n.
public struct FramePictures {
    /// The recording, a local file.
    public let path: String

    /// Pictures of `path`.
    public init(path: String) { self.path = path }

    /// The pictures of `frames`, scaled to `width` (the height follows the picture's shape, even).
    /// Frames past the end are missing from the answer.
    public func pictures(_ frames: Set<Int>, width: Int) throws(MediaError) -> [Int: Picture] {
        guard let last = frames.max() else { return [:] }
        let endpoint = try InputEndpoint(path, policy: InputPolicy())
        guard endpoint.kind == .file else { throw .unsupportedOutput(url: path, detail: "previews decode recordings (files) only") }
        let input = try MediaInput(guarding: InputGuard(endpoint: endpoint, policy: InputPolicy(), cancellation: InputCancellation(), wallClock: SystemClock()))
        guard let video = input.streams.first(where: { $0.kind == .video }) else { throw .noVideoStream(url: path) }
        let parameters = input.codecParameters(ofStream: video.index)
        guard let codec = avcodec_find_decoder(parameters.pointee.codec_id) else {
            throw .notMedia(url: path, detail: "no \(video.codecName) decoder")
        }
        var decoder = avcodec_alloc_context3(codec)
        var frame = av_frame_alloc()
        var scaler: OpaquePointer?
        defer {
            avcodec_free_context(&decoder)
            av_frame_free(&frame)
            sws_freeContext(scaler)
        }
        guard let decoder, let frame else { throw .ffmpeg(operation: "allocating a decoder", target: path, code: 0, message: "out of memory") }
        try MediaError.check(avcodec_parameters_to_context(decoder, parameters), "configuring the decoder", path)
        try MediaError.check(avcodec_open2(decoder, codec, nil), "opening the decoder", path)

        var found: [Int: Picture] = [:]
        var next = 0
        let packet = Packet()
        func receive() throws(MediaError) {
            while avcodec_receive_frame(decoder, frame) >= 0 {
                defer { av_frame_unref(frame); next += 1 }
                guard frames.contains(next) else { continue }
                let sourceWidth = Int(frame.pointee.width), sourceHeight = Int(frame.pointee.height)
                let height = max(2, (width * sourceHeight / max(1, sourceWidth)) & ~1)
                scaler = sws_getCachedContext(
                    scaler, Int32(sourceWidth), Int32(sourceHeight), AVPixelFormat(frame.pointee.format),
                    Int32(width), Int32(height), AV_PIX_FMT_BGRA, SWS_BICUBIC, nil, nil, nil
                )
                guard let scaler else { throw .ffmpeg(operation: "scaling a picture", target: path, code: 0, message: "no scaler for this picture format") }
                var pixels = [UInt8](repeating: 0, count: width * height * 4)
                pixels.withUnsafeMutableBufferPointer { buffer in
                    var planes: [UnsafeMutablePointer<UInt8>?] = [buffer.baseAddress, nil, nil, nil]
                    var strides: [Int32] = [Int32(width * 4), 0, 0, 0]
                    withUnsafePointer(to: frame.pointee.data) { data in
                        withUnsafePointer(to: frame.pointee.linesize) { lines in
                            data.withMemoryRebound(to: UnsafePointer<UInt8>?.self, capacity: 8) { sourcePlanes in
                                lines.withMemoryRebound(to: Int32.self, capacity: 8) { sourceStrides in
                                    _ = sws_scale(scaler, sourcePlanes, sourceStrides, 0, Int32(sourceHeight), &planes, &strides)
                                }
                            }
                        }
                    }
                }
                found[next] = Picture(width: width, height: height, pixels: pixels)
            }
        }
        while next <= last, try input.read(into: packet) {
            defer { packet.unreference() }
            guard Int(packet.pointer.pointee.stream_index) == video.index else { continue }
            // A damaged packet is skipped, as a player would; the pictures after it still come.
            let code = avcodec_send_packet(decoder, packet.pointer)
            if code < 0 && code != podium_averror_invaliddata() && code != podium_averror_eagain() {
                try MediaError.check(code, "decoding", path)
            }
            try receive()
        }
        if next <= last {
            _ = avcodec_send_packet(decoder, nil)
            try receive()
        }
        return found
    }
}
