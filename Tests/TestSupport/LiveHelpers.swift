#if canImport(Glibc)
import Glibc
#endif
public import Foundation
import Synchronization

/// A program running in the background for a live test (a sender, an HTTP server), stopped on demand.
public final class BackgroundProcess: @unchecked Sendable {
    private let process = Process()

    private var errorFile: URL?

    /// Starts `executable` (found on the PATH unless absolute) with `arguments`; output is
    /// discarded, and its error output too unless `captureError` keeps it for `errorOutput`.
    public init(_ executable: String, _ arguments: [String], directory: URL? = nil, captureError: Bool = false) throws {
        process.executableURL = URL(fileURLWithPath: executable.hasPrefix("/") ? executable : "/usr/bin/env")
        process.arguments = executable.hasPrefix("/") ? arguments : [executable] + arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        if captureError {
            let file = FileManager.default.temporaryDirectory.appendingPathComponent("podium-stderr-\(UUID().uuidString)")
            FileManager.default.createFile(atPath: file.path, contents: nil)
            process.standardError = try FileHandle(forWritingTo: file)
            errorFile = file
        }
        process.standardInput = FileHandle.nullDevice
        if let directory { process.currentDirectoryURL = directory }
        try process.run()
    }

    /// What the program wrote to its error output so far (with `captureError`).
    public var errorOutput: String {
        guard let errorFile, let data = try? Data(contentsOf: errorFile) else { return "" }
        return String(decoding: data, as: UTF8.self)
    }

    /// Whether the program still runs.
    public var isRunning: Bool { process.isRunning }

    /// Waits for the program to end by itself (at most `timeout` seconds).
    public func wait(timeout: Double) {
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { usleep(20_000) }
    }

    /// Kills the program at once (SIGKILL: a sender dying mid-stream) and waits for it.
    public func kill() {
        guard process.isRunning else { return }
        Glibc.kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    /// Freezes the program (SIGSTOP): it holds its connections and reads nothing, as a receiver
    /// that hangs does. `resume()` lets it go on.
    public func suspend() {
        Glibc.kill(process.processIdentifier, SIGSTOP)
    }

    /// Lets a suspended program go on (SIGCONT).
    public func resume() {
        Glibc.kill(process.processIdentifier, SIGCONT)
    }

    /// Asks the program to stop (SIGINT, as Ctrl-C: ffmpeg then finishes its output) and waits at most `timeout` seconds before killing it.
    public func interrupt(timeout: Double = 5) {
        guard process.isRunning else { return }
        Glibc.kill(process.processIdentifier, SIGINT)
        wait(timeout: timeout)
        kill()
    }

    /// `wait(timeout:)` from an async context, on a thread of its own (`OwnThread`).
    public func wait(timeout: Double) async {
        await OwnThread.run { self.wait(timeout: timeout) }
    }

    /// `interrupt(timeout:)` from an async context, on a thread of its own (`OwnThread`).
    public func interrupt(timeout: Double = 5) async {
        await OwnThread.run { self.interrupt(timeout: timeout) }
    }

    deinit {
        kill()
        if let errorFile { try? FileManager.default.removeItem(at: errorFile) }
    }
}

/// Local ports and loopback servers for live tests.
public enum Loopback {
    /// A TCP port nothing listens on right now (the kernel's choice; UDP tests use the same number).
    public static func freePort() -> UInt16 {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(descriptor) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        inet_pton(AF_INET, "127.0.0.1", &address.sin_addr)
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, length) }
        }
        _ = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) }
        }
        return UInt16(bigEndian: address.sin_port)
    }

    /// `count` distinct free ports.
    public static func freePorts(_ count: Int) -> [UInt16] {
        var ports: [UInt16] = []
        while ports.count < count {
            let port = freePort()
            if !ports.contains(port) { ports.append(port) }
        }
        return ports
    }

    /// Calls `body` with the socket address of 127.0.0.1:`port`.
    public static func withAddress<Result>(port: UInt16, _ body: (UnsafePointer<sockaddr>, socklen_t) -> Result) -> Result {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        inet_pton(AF_INET, "127.0.0.1", &address.sin_addr)
        return withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
    }

    /// Waits until something has bound UDP `port` (a receiver is listening); false after `timeout` seconds.
    ///
    /// Read from the kernel's table of sockets, never by binding the port to see whether that
    /// fails: a trial bind that wins the race makes the receiver's own bind fail, and a live job
    /// then opens its input again a moment later, after the feed has begun.
    public static func waitForUDPListener(on port: UInt16, timeout: Double = 10) -> Bool {
        waitForSocket(on: port, tables: ["/proc/net/udp", "/proc/net/udp6"], state: "07", timeout: timeout)
    }

    /// Waits until `tables` (the kernel's socket tables) list a socket bound to local `port` in
    /// `state` (hex, as the tables write it); false after `timeout` seconds.
    private static func waitForSocket(on port: UInt16, tables: [String], state: String, timeout: Double) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        let local = String(format: ":%04X ", port)
        while Date() < deadline {
            for table in tables {
                let rows = kernelTable(table).split(separator: "\n").dropFirst()
                // Columns: sl, local address, remote address, state.
                if rows.contains(where: { row in
                    let columns = row.split(separator: " ")
                    return columns.count > 3 && (columns[1] + " ").hasSuffix(local) && columns[3] == state
                }) { return true }
            }
            usleep(20_000)
        }
        return false
    }

    /// Runs `body` while a thread of its own reads `tcpTimers(localPort:)` every 50 ms; returns
    /// `body`'s result and every timer seen. The watch runs on its own thread because a test's
    /// task, under the suite's load, may not be resumed for seconds, and the connection it looks
    /// for may come and go meanwhile.
    public static func watchingTCPTimers<T>(localPort port: Int, during body: () throws -> T) rethrows -> (T, Set<Int>) {
        let seen = Notes<(timers: Set<Int>, done: Bool)>(([], false))
        let watcher = Thread {
            while !seen.value.withLock(\.done) {
                let timers = tcpTimers(localPort: port)
                seen.value.withLock { $0.timers.formUnion(timers) }
                usleep(50_000)
            }
        }
        watcher.start()
        defer { seen.value.withLock { $0.done = true } }
        let result = try body()
        return (result, seen.value.withLock(\.timers))
    }

    /// The whole text of a kernel socket table such as /proc/net/tcp; empty if it cannot be read.
    ///
    /// Read to its end: `String(contentsOfFile:)` stops after the first read of a /proc file, one
    /// page (about 26 sockets) here, and a suite's sockets run to hundreds, so what a test looks for
    /// was missing whenever it lay past the first page.
    static func kernelTable(_ path: String) -> String {
        guard let file = FileHandle(forReadingAtPath: path), let data = try? file.readToEnd() else { return "" }
        return String(decoding: data, as: UTF8.self)
    }

    /// The kernel's active timer of each established TCP connection whose local port is `port`,
    /// from /proc/net/tcp's `tr` column: 0 none, 1 retransmission, 2 keepalive, 4 zero-window probe.
    public static func tcpTimers(localPort port: Int) -> [Int] {
        let local = String(format: ":%04X", port)
        let rows = kernelTable("/proc/net/tcp").split(separator: "\n").dropFirst()
        // Columns: sl, local address, remote address, state (01 established), queues, tr:when.
        return rows.compactMap { row in
            let columns = row.split(separator: " ")
            guard columns.count > 5, columns[1].hasSuffix(local), columns[3] == "01" else { return nil }
            return Int(columns[5].split(separator: ":")[0], radix: 16)
        }
    }

    /// `waitForUDPListener` from an async context, on a thread of its own (`OwnThread`).
    public static func waitForUDPListener(on port: UInt16, timeout: Double = 10) async -> Bool {
        await OwnThread.run { waitForUDPListener(on: port, timeout: timeout) }
    }

    /// `httpServer` from an async context, on a thread of its own (`OwnThread`).
    public static func httpServer(serving folder: URL) async throws -> (server: BackgroundProcess, port: UInt16) {
        try await OwnThread.run { try httpServer(serving: folder) }
    }

    /// `waitForTCPListenerUntouched` from an async context, on a thread of its own (`OwnThread`).
    public static func waitForTCPListenerUntouched(on port: UInt16, timeout: Double = 10) async -> Bool {
        await OwnThread.run { waitForTCPListenerUntouched(on: port, timeout: timeout) }
    }

    /// `waitForTCPListener` from an async context, on a thread of its own (`OwnThread`).
    public static func waitForTCPListener(on port: UInt16) async throws {
        try await OwnThread.run { try waitForTCPListener(on: port) }
    }

    /// Serves `folder` over HTTP on 127.0.0.1 (Python's http.server, a real server); returns once it answers.
    public static func httpServer(serving folder: URL) throws -> (server: BackgroundProcess, port: UInt16) {
        let port = freePort()
        let server = try BackgroundProcess("python3", ["-m", "http.server", String(port), "--bind", "127.0.0.1", "--directory", folder.path])
        try waitForTCPListener(on: port)
        return (server, port)
    }

    /// Waits until a TCP socket listens on `port` without connecting to it (a server that takes
    /// one connection, as `ffmpeg -listen 1` does, would spend it on the check): from the
    /// kernel's table of sockets. False after `timeout` seconds.
    public static func waitForTCPListenerUntouched(on port: UInt16, timeout: Double = 10) -> Bool {
        // 0A is LISTEN.
        waitForSocket(on: port, tables: ["/proc/net/tcp", "/proc/net/tcp6"], state: "0A", timeout: timeout)
    }

    /// Waits until something accepts TCP connections on 127.0.0.1:`port`; throws after 10 s.
    public static func waitForTCPListener(on port: UInt16) throws {
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline {
            let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            let connected = withAddress(port: port) { connect(descriptor, $0, $1) }
            close(descriptor)
            if connected == 0 { return }
            usleep(50_000)
        }
        throw CocoaError(.fileReadUnknown)
    }
}

/// Generated test clips (lavfi sources through FFmpeg's own encoders), small and deterministic.
public enum Clips {
    /// Runs ffmpeg with `arguments` (after `-v error -y`); throws its error output on failure.
    public static func ffmpeg(_ arguments: [String]) throws {
        let result = try Fixtures.run("ffmpeg", ["-hide_banner", "-v", "error", "-y"] + arguments)
        guard result.status == 0 else { throw ClipError(message: result.err) }
    }

    /// An H.264 + AAC MPEG-TS clip of `seconds` at `rate` fps, with a moving test pattern.
    public static func transportStream(at path: URL, seconds: Int, rate: String = "50", size: String = "320x180", extra: [String] = []) throws {
        try ffmpeg([
            "-f", "lavfi", "-i", "testsrc2=size=\(size):rate=\(rate):duration=\(seconds)",
            "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000:duration=\(seconds)",
            "-map", "0:v", "-map", "1:a", "-c:v", "libx264", "-preset", "ultrafast", "-g", rate.hasPrefix("60000") ? "60" : "25",
            "-bf", "2", "-threads", "1", "-c:a", "aac", "-b:a", "64k",
        ] + extra + ["-f", "mpegts", path.path])
    }

    /// `ffmpeg` from an async context, on a thread of its own (`OwnThread`).
    public static func ffmpeg(_ arguments: [String]) async throws {
        try await OwnThread.run { try ffmpeg(arguments) }
    }

    /// `transportStream` from an async context, on a thread of its own (`OwnThread`).
    public static func transportStream(at path: URL, seconds: Int, rate: String = "50", size: String = "320x180", extra: [String] = []) async throws {
        try await OwnThread.run { try transportStream(at: path, seconds: seconds, rate: rate, size: size, extra: extra) }
    }

    public struct ClipError: Error, CustomStringConvertible {
        public let message: String
        public var description: String { "ffmpeg: \(message)" }
    }
}
