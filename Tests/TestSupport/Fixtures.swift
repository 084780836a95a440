public import Foundation

/// Paths of the repository's fixtures and of a scratch folder per test.
public enum Fixtures {
    /// The repository root, found from this source file's location.
    public static let root: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// `fixtures/swim-100-free`.
    public static let swim = root.appendingPathComponent("fixtures/swim-100-free")

    /// A new empty folder under the system temporary directory.
    public static func scratchFolder(_ label: String = #function) throws -> URL {
        let safe = label.filter { $0.isLetter || $0.isNumber }
        let folder = FileManager.default.temporaryDirectory
            .appendingPathComponent("podium-tests-\(safe)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        return folder
    }

    /// Runs a program to completion and returns its exit status, standard output and standard error.
    @discardableResult
    public static func run(_ executable: String, _ arguments: [String]) throws -> (status: Int32, out: String, err: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable.hasPrefix("/") ? executable : "/usr/bin/env")
        process.arguments = executable.hasPrefix("/") ? arguments : [executable] + arguments
        let outPipe = Pipe()
        let errPipe = Pipe()
        process.standardOutput = outPipe
        process.standardError = errPipe
        try process.run()
        // Read both pipes before waiting, so a chatty child never blocks on a full pipe.
        let out = outPipe.fileHandleForReading.readDataToEndOfFile()
        let err = errPipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: out, as: UTF8.self), String(decoding: err, as: UTF8.self))
    }

    /// `run` from an async context: waits on a thread of its own (`OwnThread`), not on one of Swift concurrency's.
    @discardableResult
    public static func run(_ executable: String, _ arguments: [String]) async throws -> (status: Int32, out: String, err: String) {
        try await OwnThread.run { try run(executable, arguments) }
    }
}
