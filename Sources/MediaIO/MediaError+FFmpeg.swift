internal import CFFmpeg
package import MediaFormats

/// The FFmpeg side of `MediaError`: codes become errors here, at the C edge, once.
extension MediaError {
    /// FFmpeg's message for an error code.
    package static func message(for code: Int32) -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        podium_error_string(code, &buffer, buffer.count)
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Maps a negative FFmpeg return code to a typed error, once, at the C edge.
    package static func check(_ code: Int32, _ operation: String, _ target: String) throws(MediaError) {
        guard code < 0 else { return }
        throw .ffmpeg(operation: operation, target: target, code: code, message: message(for: code))
    }

    /// FFmpeg refused what it was given (`EINVAL`, `AVERROR_INVALIDDATA`): for a muxer, the
    /// packet (a damaged ADTS header its bitstream filter cannot read), not the output.
    package var isRefusedPacket: Bool {
        if case let .ffmpeg(_, _, code, _) = self { return code == podium_averror(EINVAL) || code == podium_averror_invaliddata() }
        return false
    }

    /// FFmpeg read bytes it could not make sense of (`AVERROR_INVALIDDATA`): damage in a recording.
    package var isInvalidData: Bool {
        if case let .ffmpeg(_, _, code, _) = self { return code == podium_averror_invaliddata() }
        return false
    }
}
