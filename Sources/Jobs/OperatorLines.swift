public import Logging
import Foundation

/// A log handler for the command line: each message on a line of its own on standard error, as an
/// operator at a terminal reads it (no timestamp, level or label; metadata such as the job id is
/// left out because the command ran one job). The server logs through swift-log's own handlers.
public struct OperatorLines: LogHandler {
    /// Messages below this level are not shown.
    public var logLevel: Logger.Level = .notice
    /// Kept for the protocol; not printed.
    public var metadata: Logger.Metadata = [:]

    /// A handler showing notices and worse.
    public init() {}

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        FileHandle.standardError.write(Data((event.message.description + "\n").utf8))
    }
}

extension Logger {
    /// A logger that drops everything: the default of a job whose caller gives none.
    static let silent = Logger(label: "podium.job", factory: { _ in SwiftLogNoOpLogHandler() })
}
