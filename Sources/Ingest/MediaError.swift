internal import CFFmpeg

/// Why a media operation failed, named so an operator can act on it.
public enum MediaError: Error, Equatable, CustomStringConvertible {
    /// An FFmpeg call failed: which operation, on what, and FFmpeg's own message.
    case ffmpeg(operation: String, target: String, code: Int32, message: String)
    /// The input exists but is not media Podium can demux.
    case notMedia(url: String, detail: String)
    /// The input has no video stream, so there are no frames to enrich.
    case noVideoStream(url: String)
    /// The input could not be opened because it does not exist.
    case notFound(url: String)
    /// The frame clock cannot be built (no frame rate, anchor in an unusable time base).
    case clock(String)
    /// The output cannot carry what was asked of it.
    case unsupportedOutput(url: String, detail: String)
    /// A URL was refused before anything was opened: which URL and which rule.
    case refusedURL(url: String, rule: String)
    /// A live input could not be reopened within the reconnection policy.
    case inputLost(url: String, attempts: Int, lastError: String)

    public var description: String {
        switch self {
        case let .ffmpeg(operation, target, code, message):
            "\(operation) failed for \(target): \(message) (FFmpeg error \(code))"
        case let .notMedia(url, detail):
            "\(url) is not a media stream Podium can read: \(detail)"
        case let .noVideoStream(url):
            "\(url) has no video stream; Podium enriches video frames"
        case let .notFound(url):
            "\(url) does not exist"
        case let .clock(detail):
            "frame clock: \(detail)"
        case let .unsupportedOutput(url, detail):
            "\(url): \(detail)"
        case let .refusedURL(url, rule):
            "refused \(url): \(rule)"
        case let .inputLost(url, attempts, lastError):
            "\(url) could not be reopened after \(attempts) attempts: \(lastError)"
        }
    }

    /// FFmpeg's message for an error code.
    static func message(for code: Int32) -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        podium_error_string(code, &buffer, buffer.count)
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Maps a negative FFmpeg return code to a typed error, once, at the C edge.
    static func check(_ code: Int32, _ operation: String, _ target: String) throws(MediaError) {
        guard code < 0 else { return }
        throw .ffmpeg(operation: operation, target: target, code: code, message: message(for: code))
    }
}

extension MediaError {
    /// FFmpeg refused what it was given (`EINVAL`, `AVERROR_INVALIDDATA`): for a muxer, the
    /// packet (a damaged ADTS header its bitstream filter cannot read), not the output.
    var isRefusedPacket: Bool {
        if case let .ffmpeg(_, _, code, _) = self { return code == podium_averror(EINVAL) || code == podium_averror_invaliddata() }
        return false
    }
}
