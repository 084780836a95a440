/// The current ODF messages of a feed, kept by the rules of ODF versioning.
///
/// A message is identified by its key header fields; a higher `Version` replaces the earlier
/// message entirely, whatever the order documents arrive in; the same version twice is a no-op
/// when identical and a conflict otherwise; a test-feed document never mixes with production.
public struct ResultsBook: Sendable {
    /// How a document was taken.
    public enum Outcome: Sendable, Equatable {
        /// It is now the current version of its message.
        case applied
        /// The same version was already current with the same content.
        case duplicate
        /// A higher version is already current; kept for the audit log only.
        case superseded(currentVersion: Int)
    }

    /// The feed flag this book accepts (`P` in production).
    public let feedFlag: String
    /// The current document of every message.
    public private(set) var current: [ODFMessageKey: ODFDocument] = [:]

    /// Creates an empty book accepting documents of `feedFlag`.
    public init(feedFlag: String = "P") { self.feedFlag = feedFlag }

    /// Takes a document by ODF's versioning rules.
    public mutating func accept(_ document: ODFDocument) throws(ResultsBookError) -> Outcome {
        let header = document.header
        guard header.feedFlag == feedFlag else {
            throw .wrongFeed(key: header.key, flag: header.feedFlag, expected: feedFlag)
        }
        if let existing = current[header.key] {
            if existing.header.version > header.version {
                return .superseded(currentVersion: existing.header.version)
            }
            if existing.header.version == header.version {
                guard existing == document else { throw .conflictingVersion(key: header.key, version: header.version) }
                return .duplicate
            }
        }
        current[header.key] = document
        return .applied
    }

    /// Every athlete known from participant messages, by code. Later versions win; with several
    /// participant messages, the one with the larger key wins for an athlete present in both.
    public var athletes: [String: Athlete] {
        var byCode: [String: Athlete] = [:]
        for key in current.keys.sorted() {
            guard case .participants(let list) = current[key]!.body else { continue }
            for athlete in list { byCode[athlete.id] = athlete }
        }
        return byCode
    }

    /// The current results of `unit`, if a result message for it is current.
    public func results(of unit: UnitCode) -> UnitResults? {
        for key in current.keys.sorted() where key.documentCode == unit.rawValue {
            if case .unitResults(let results) = current[key]!.body { return results }
        }
        return nil
    }

    /// The units that have current result messages, in code order.
    public var units: [UnitCode] {
        current.values.compactMap { document -> UnitCode? in
            if case .unitResults(let results) = document.body { return results.unit }
            return nil
        }.sorted { $0.rawValue < $1.rawValue }
    }
}

/// Why a results document was refused by the book.
public enum ResultsBookError: Error, Equatable, CustomStringConvertible {
    /// A test document offered to a production book or the reverse.
    case wrongFeed(key: ODFMessageKey, flag: String, expected: String)
    /// The same version of a message arrived with different content.
    case conflictingVersion(key: ODFMessageKey, version: Int)

    public var description: String {
        switch self {
        case let .wrongFeed(key, flag, expected):
            "\(key) has FeedFlag \(flag) but this feed takes \(expected) only"
        case let .conflictingVersion(key, version):
            "\(key) version \(version) arrived again with different content"
        }
    }
}
