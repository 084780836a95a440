import ArgumentParser
import Feeds
import Foundation
import Jobs
import MediaIO
import Overlay
import Store
import Synchronization

/// `podium import`: takes results documents into the store, one line per document.
struct Import: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Import results documents (ODF 2, Lenex 3 .lef/.lxf, Podium timing events JSON).",
        discussion: """
        Formats are detected from the content. A folder is read in name order; when it holds a \
        manifest.json ({"documents": [{"file": …, "receivedUTC": …}]}) the documents it lists are \
        imported with the receipt times it gives. Exits 1 when any document was rejected.
        """
    )

    @Argument(help: "Files or folders to import.")
    var paths: [String] = []

    @Option(help: "Keep watching this folder and import every new file that appears in it.")
    var watch: String?

    @Option(help: "Seconds between looks at the watched folder.")
    var interval: Double = 0.5

    @Option(help: "SQLite database of the results feeds.")
    var database = "var/podium.sqlite"

    @Flag(help: "Keep test-feed (T) documents in the rehearsal ledger instead of refusing them.")
    var rehearsals = false

    func validate() throws {
        if paths.isEmpty && watch == nil { throw ValidationError("name files or folders to import, or --watch a folder") }
        if interval <= 0 { throw ValidationError("--interval must be positive") }
    }

    func run() throws {
        // What a document without a manifest time is received at.
        let wallClock = SystemClock()
        var intake: ResultsIntake?
        var rejected = 0
        try reportingErrors("import") {
            let opened = try ResultsIntake(store: try SQLiteStore(path: database), takesRehearsals: rehearsals)
            intake = opened
            for path in paths {
                for batch in ImportItem.batches(of: try ImportItem.items(at: path)) {
                    for (item, prepared) in zip(batch, ImportItem.prepare(batch)) {
                        // A file that could not be read stops the import where it stands, as before.
                        let receipt = try opened.receive(try prepared.get(), source: item.path, receivedAt: item.receivedAt ?? wallClock.now())
                        report(receipt)
                        if case .rejected = receipt.outcome { rejected += 1 }
                    }
                }
            }
        }
        guard let intake else { return }
        if let watch {
            try FolderWatch(folder: watch, interval: interval).run { item in
                do {
                    report(try item.receive(into: intake, wallClock: wallClock))
                } catch {
                    FileHandle.standardError.write(Data("podium import: error: \(error)\n".utf8))
                }
            }
        }
        if rejected > 0 { throw ExitCode.failure }
    }
}

/// Writes a receipt line straight to standard output (no buffering), so a line an operator or a
/// supervising process has seen always names a document already committed to the store.
func report(_ receipt: Receipt) {
    FileHandle.standardOutput.write(Data("\(receipt)\n".utf8))
}

/// One file to import, with the receipt time the manifest gives it, if any.
struct ImportItem {
    let path: String
    let receivedAt: UTCInstant?

    /// Documents read, hashed and decoded at once, on every core, before the intake takes them in
    /// order: the intake's own part (storing, applying) is then what a document waits for. At
    /// most this many files, and at most `readAheadBytes` of them (a folder of 10 MB meets must
    /// not be held in memory 64 at a time), though always one.
    static let readAhead = 64
    static let readAheadBytes = 32 << 20

    /// `items` in order, cut into runs of at most `readAhead` files and `readAheadBytes`.
    static func batches(of items: [ImportItem]) -> [ArraySlice<ImportItem>] {
        var batches: [ArraySlice<ImportItem>] = []
        var start = 0
        var bytes = 0
        for (index, item) in items.enumerated() {
            // A file whose size cannot be read counts as nothing here; reading it says why.
            let size = ((try? FileManager.default.attributesOfItem(atPath: item.path))?[.size] as? NSNumber)?.intValue ?? 0
            if index > start, index - start >= readAhead || bytes + size > readAheadBytes {
                batches.append(items[start..<index])
                (start, bytes) = (index, 0)
            }
            bytes += size
        }
        if start < items.count { batches.append(items[start...]) }
        return batches
    }

    /// `items` read and prepared, on every core, in their order.
    static func prepare(_ items: ArraySlice<ImportItem>) -> [Result<ResultsIntake.Prepared, OperatorError>] {
        let slots = Mutex([Result<ResultsIntake.Prepared, OperatorError>?](repeating: nil, count: items.count))
        let paths = items.map(\.path)
        DispatchQueue.concurrentPerform(iterations: paths.count) { index in
            let prepared: Result<ResultsIntake.Prepared, OperatorError> = FileManager.default.contents(atPath: paths[index])
                .map { .success(ResultsIntake.Prepared($0)) } ?? .failure(OperatorError("\(paths[index]) cannot be read"))
            slots.withLock { $0[index] = prepared }
        }
        return slots.withLock { $0 }.map { $0 ?? .failure(OperatorError("a document was not read")) }
    }

    func receive(into intake: ResultsIntake, wallClock: some WallClock) throws -> Receipt {
        guard let bytes = FileManager.default.contents(atPath: path) else { throw OperatorError("\(path) cannot be read") }
        return try intake.receive(bytes, source: path, receivedAt: receivedAt ?? wallClock.now())
    }

    /// The files a path stands for: itself, or a folder's files in name order (its manifest's times applied).
    static func items(at path: String) throws -> [ImportItem] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { throw OperatorError("\(path) does not exist") }
        guard isDirectory.boolValue else { return [ImportItem(path: path, receivedAt: nil)] }
        let folder = URL(fileURLWithPath: path, isDirectory: true)
        let names = try FileManager.default.contentsOfDirectory(atPath: path)
            .filter { !$0.hasPrefix(".") && $0 != "manifest.json" }.sorted()
        let times = try manifestTimes(in: folder)
        return names.map { ImportItem(path: folder.appendingPathComponent($0).path, receivedAt: times[$0]) }
    }

    private static func manifestTimes(in folder: URL) throws -> [String: UTCInstant] {
        let url = folder.appendingPathComponent("manifest.json")
        guard let data = FileManager.default.contents(atPath: url.path) else { return [:] }
        guard let root = try? JSONSerialization.jsonObject(with: data) as? [String: Any], let list = root["documents"] as? [[String: Any]] else {
            throw OperatorError("\(url.path): expected {\"documents\": [{\"file\": …, \"receivedUTC\": …}]}")
        }
        var times: [String: UTCInstant] = [:]
        for (position, item) in list.enumerated() {
            guard let file = item["file"] as? String else { throw OperatorError("\(url.path): documents[\(position)].file is missing") }
            if let text = item["receivedUTC"] {
                guard let text = text as? String, let instant = UTCInstant(iso8601: text) else {
                    throw OperatorError("\(url.path): documents[\(position)].receivedUTC is not an ISO 8601 UTC time")
                }
                times[file] = instant
            }
        }
        return times
    }
}

/// Polls a folder and hands each new, settled file to a handler once.
///
/// A file counts as settled when its size and modification time are the same on two looks in a
/// row, so a document still being written is never read half-way.
struct FolderWatch {
    let folder: String
    let interval: Double

    func run(_ handle: (ImportItem) -> Void) throws {
        var done: Set<String> = []
        var lastSeen: [String: (Int, Date)] = [:]
        while true {
            let names = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
            for name in names.sorted() where !name.hasPrefix(".") && !done.contains(name) {
                let path = URL(fileURLWithPath: folder).appendingPathComponent(name).path
                guard let attributes = try? FileManager.default.attributesOfItem(atPath: path),
                      attributes[.type] as? FileAttributeType == .typeRegular,
                      let size = attributes[.size] as? Int, let modified = attributes[.modificationDate] as? Date
                else { continue }
                if let previous = lastSeen[name], previous.0 == size, previous.1 == modified {
                    done.insert(name)
                    handle(ImportItem(path: path, receivedAt: nil))
                } else {
                    lastSeen[name] = (size, modified)
                }
            }
            Thread.sleep(forTimeInterval: interval)
        }
    }
}

/// `podium replay`: rebuilds the derived facts from the raw document log and reports differences.
struct Replay: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay",
        abstract: "Rebuild derived results from the raw document log and report any difference.",
        discussion: "Exits 1 when the stored facts differ from the rebuilt ones (after repairing them with --repair)."
    )

    @Option(help: "SQLite database of the results feeds.")
    var database = "var/podium.sqlite"

    @Flag(help: "Replace the stored facts with the rebuilt ones when they differ.")
    var repair = false

    func run() throws {
        var found: ReplayReport?
        try reportingErrors("replay") { found = try ResultsIntake(store: try SQLiteStore(path: database)).replay(repair: repair) }
        guard let report = found else { return }
        report.differences.forEach { print($0) }
        if report.differences.isEmpty {
            print("replayed \(report.documents) documents: the stored facts agree")
        } else {
            print("replayed \(report.documents) documents: \(report.differences.count) differences\(repair ? ", repaired" : "")")
            throw ExitCode.failure
        }
    }
}
