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
}

extension MediaError {
    /// A URL was refused by a rule: retrying cannot help.
    package var isRefusal: Bool {
        if case .refusedURL = self { return true }
        return false
    }

    /// FFmpeg failed on the connection or the bytes: a live input retries.
    package var isConnectionFailure: Bool {
        if case .ffmpeg = self { return true }
        return false
    }
}

public extension MediaError {
    /// The rule of a refusal, or the whole description for other errors.
    var ruleText: String {
        if case let .refusedURL(_, rule) = self { return rule }
        return description
    }
}
