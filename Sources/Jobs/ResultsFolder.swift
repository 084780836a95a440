import Feeds
public import Foundation
public import Overlay
public import Store

/// A folder of results documents as a timing system sent them, with an optional `manifest.json`
/// saying when each was received:
///
/// ```json
/// {"documents": [{"file": "01-DT_PARTIC.xml", "format": "odf", "receivedUTC": "2026-07-31T19:40:00.000Z"}]}
/// ```
///
/// Any format the feeds read (ODF 2, Lenex 3 `.lef`/`.lxf`, Podium timing events), detected from
/// the content. Without a manifest every `*.xml`, `*.json`, `*.lef` and `*.lxf` file is read in
/// name order and its receipt time is unknown.
public struct ResultsFolder: Sendable {
    struct Entry {
        let file: String
        let receivedUTC: String?
    }

    /// Every document applied.
    public let book: ResultsBook
    /// The documents as read, with their outcomes.
    public let documents: [ReceivedDocument]
    /// Every accepted document with its receipt time; a document without one counts as known from the start.
    public let ledger: ResultsLedger
    /// The file names read.
    public let files: Set<String>

    /// Reads the folder; any document that cannot be read or applied stops it, named.
    public init(path: String) throws {
        let folder = URL(fileURLWithPath: path, isDirectory: true)
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw OperatorError("results folder \(path) does not exist")
        }
        let entries = try ResultsFolder.entries(in: folder)
        var book = ResultsBook()
        var documents: [ReceivedDocument] = []
        var ledger = ResultsLedger()
        for entry in entries {
            let url = folder.appendingPathComponent(entry.file)
            guard let bytes = FileManager.default.contents(atPath: url.path) else {
                throw OperatorError("results document \(url.path) is listed but cannot be read")
            }
            let document: ResultsDocument
            do {
                document = try DocumentDecoder.decode(bytes)
            } catch {
                throw OperatorError("results document \(entry.file): \(error)")
            }
            let outcome: String
            do {
                switch try book.accept(document) {
                case .applied: outcome = "applied"
                case .duplicate: outcome = "duplicate"
                case .superseded(let version): outcome = "superseded by version \(version)"
                }
            } catch {
                throw OperatorError("results document \(entry.file): \(error)")
            }
            documents.append(ReceivedDocument(
                source: entry.file, format: document.format, receivedUTC: entry.receivedUTC, bytes: bytes, outcome: outcome
            ))
            let known = entry.receivedUTC.flatMap(UTCInstant.init(iso8601:)) ?? UTCInstant(secondsSinceEpoch: .zero)
            if outcome == "applied" { ledger.append(document, receivedAt: known) }
        }
        self.book = book
        self.documents = documents
        self.ledger = ledger
        files = Set(entries.map(\.file))
    }

    /// Documents that appeared in the folder after `seen` was taken (a live job picks up what the
    /// timing system writes while it runs). A file is read once it has been still for 200 ms, so a
    /// half-written one is not taken; one that cannot be read as a document is reported once and skipped.
    public static func newDocuments(in path: String, seen: inout Set<String>, report: (String) -> Void) -> [(file: String, document: ResultsDocument, bytes: Data)] {
        let folder = URL(fileURLWithPath: path, isDirectory: true)
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: path) else { return [] }
        let documentExtensions = [".xml", ".json", ".lef", ".lxf"]
        var found: [(String, ResultsDocument, Data)] = []
        for name in names.sorted() where !seen.contains(name) && name != "manifest.json" && documentExtensions.contains(where: { name.lowercased().hasSuffix($0) }) {
            let url = folder.appendingPathComponent(name)
            guard let modified = (try? FileManager.default.attributesOfItem(atPath: url.path))?[.modificationDate] as? Date,
                  Date().timeIntervalSince(modified) > 0.2
            else { continue }
            seen.insert(name)
            guard let bytes = FileManager.default.contents(atPath: url.path) else {
                report("results document \(name) could not be read; skipped")
                continue
            }
            do {
                found.append((name, try DocumentDecoder.decode(bytes), bytes))
            } catch {
                report("results document \(name): \(error); skipped")
            }
        }
        return found
    }

    private static func entries(in folder: URL) throws -> [Entry] {
        let manifestURL = folder.appendingPathComponent("manifest.json")
        let names = try FileManager.default.contentsOfDirectory(atPath: folder.path)
        let documentExtensions = [".xml", ".json", ".lef", ".lxf"]
        let xmlFiles = names.filter { name in name != "manifest.json" && documentExtensions.contains { name.lowercased().hasSuffix($0) } }.sorted()
        guard let manifest = FileManager.default.contents(atPath: manifestURL.path) else {
            guard !xmlFiles.isEmpty else { throw OperatorError("results folder \(folder.path) holds no results documents (.xml, .json, .lef, .lxf)") }
            return xmlFiles.map { Entry(file: $0, receivedUTC: nil) }
        }
        guard let root = try? JSONSerialization.jsonObject(with: manifest) as? [String: Any],
              let list = root["documents"] as? [[String: Any]]
        else {
            throw OperatorError("\(manifestURL.path): expected {\"documents\": [{\"file\": …, \"receivedUTC\": …}]}")
        }
        var entries: [Entry] = []
        for (position, item) in list.enumerated() {
            let known: Set<String> = ["file", "format", "receivedUTC"]
            if let unknown = item.keys.sorted().first(where: { !known.contains($0) }) {
                throw OperatorError("\(manifestURL.path): documents[\(position)] has unknown field \"\(unknown)\"")
            }
            guard let file = item["file"] as? String, !file.isEmpty, !file.contains("/") else {
                throw OperatorError("\(manifestURL.path): documents[\(position)].file must be a file name in the folder")
            }
            if let format = item["format"], !["odf", "lenex", "podium-events"].contains(format as? String ?? "") {
                throw OperatorError("\(manifestURL.path): documents[\(position)].format must be \"odf\", \"lenex\" or \"podium-events\"")
            }
            var received: String?
            if let text = item["receivedUTC"] {
                guard let text = text as? String, let instant = UTCInstant(iso8601: text) else {
                    throw OperatorError("\(manifestURL.path): documents[\(position)].receivedUTC is not an ISO 8601 UTC time")
                }
                received = instant.iso8601
            }
            guard names.contains(file) else {
                throw OperatorError("\(manifestURL.path): documents[\(position)] names \(file), which is not in the folder")
            }
            entries.append(Entry(file: file, receivedUTC: received))
        }
        let listed = Set(entries.map(\.file))
        if let stray = xmlFiles.first(where: { !listed.contains($0) }) {
            throw OperatorError("\(folder.path)/\(stray) is not listed in manifest.json")
        }
        return entries
    }
}
