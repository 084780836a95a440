public import Foundation
import ZIPFoundation

/// Reads the one file of a zip archive whose name ends with a given suffix, with a hard size
/// limit: a zip bomb stops at the limit, whatever the archive's headers claim. Used for zipped
/// Lenex (`.lxf`) and for the fixtures' zipped golden files.
public enum SingleFileArchive {
    /// The contents of the only entry ending in `suffix`; errors say what was wrong.
    public static func contents(of data: Data, endingWith suffix: String, limit: Int, maximumEntries: Int = 16) throws(ArchiveError) -> Data {
        let archive: Archive
        do {
            archive = try Archive(data: data, accessMode: .read)
        } catch {
            throw .unreadable
        }
        let entries = Array(archive.prefix(maximumEntries + 1))
        guard entries.count <= maximumEntries else { throw .tooManyEntries(maximumEntries) }
        let matching = entries.filter { $0.type == .file && $0.path.lowercased().hasSuffix(suffix) }
        guard matching.count == 1, let entry = matching.first else { throw .wrongCount(suffix: suffix, found: matching.count) }
        var inflated = Data()
        do {
            _ = try archive.extract(entry, skipCRC32: false) { chunk in
                guard inflated.count + chunk.count <= limit else { throw OverLimit() }
                inflated.append(chunk)
            }
        } catch is OverLimit {
            throw .overLimit(path: entry.path, limit: limit)
        } catch {
            throw .corrupt(path: entry.path, reason: "\(error)")
        }
        return inflated
    }

    private struct OverLimit: Error {}
}

/// Why an archive could not be read.
public enum ArchiveError: Error, Equatable, CustomStringConvertible {
    case unreadable
    case tooManyEntries(Int)
    case wrongCount(suffix: String, found: Int)
    case overLimit(path: String, limit: Int)
    case corrupt(path: String, reason: String)

    public var description: String {
        switch self {
        case .unreadable: "not a readable zip archive"
        case .tooManyEntries(let count): "the archive holds more than \(count) entries"
        case let .wrongCount(suffix, found): "the archive must hold exactly one \(suffix) file, found \(found)"
        case let .overLimit(path, limit): "\(path) inflates past the \(limit / 1024 / 1024) MB limit"
        case let .corrupt(path, reason): "\(path) cannot be unzipped: \(reason)"
        }
    }
}
