#if canImport(Glibc)
import Glibc
#endif
public import Foundation

/// A blocking TCP socket on loopback whose reads wait at most 100 ms each. Tests use it where a
/// client library would hide what the server sent, or would read only when Swift concurrency
/// gets round to it.
public final class BlockingSocket {
    /// Why a connection could not be made.
    public struct ConnectFailed: Error, CustomStringConvertible {
        public let port: Int
        public let errno: Int32
        public var description: String { "cannot connect to 127.0.0.1:\(port): \(String(cString: strerror(errno)))" }
    }

    public let descriptor: Int32

    /// Connects to `port` on 127.0.0.1.
    public init(port: Int) throws {
        descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw ConnectFailed(port: port, errno: errno) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        if connected != 0 {
            let failure = errno
            close(descriptor)
            throw ConnectFailed(port: port, errno: failure)
        }
        var timeout = timeval(tv_sec: 0, tv_usec: 100_000)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    deinit { close(descriptor) }

    /// Sends `bytes`; a peer that has closed is not an error here, what it answered counts.
    public func send(_ bytes: [UInt8]) {
        _ = bytes.withUnsafeBytes { Glibc.send(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
    }

    /// What one read brought: bytes, nothing within 100 ms, or the peer's close.
    public enum Received { case bytes([UInt8]), nothing, closed }

    /// One read of at most `limit` bytes.
    public func receive(upTo limit: Int = 65536) -> Received {
        var buffer = [UInt8](repeating: 0, count: limit)
        let count = buffer.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
        if count > 0 { return .bytes(Array(buffer[0..<count])) }
        // A signal (another test's child process ending) interrupts a read; it is not a close.
        return count == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) ? .closed : .nothing
    }

    /// Appends what arrives to `received` until `enough` says so, the peer closes (true) or
    /// `limit` seconds pass.
    @discardableResult
    public func read(into received: inout [UInt8], until enough: ([UInt8]) -> Bool, waitingAtMost limit: Double) -> Bool {
        let start = Date()
        while Date().timeIntervalSince(start) < limit, !enough(received) {
            switch receive() {
            case .bytes(let bytes): received += bytes
            case .nothing: continue
            case .closed: return true
            }
        }
        return false
    }
}

/// A response read whole from a `BlockingSocket`: status, headers and body, a chunked body
/// joined, and whether the body ended as HTTP says it should (its last chunk, or all of its
/// Content-Length) before the connection closed.
public struct RawHTTPResponse: Sendable {
    public let status: Int
    public let headers: [(name: String, value: String)]
    public let body: [UInt8]
    public let complete: Bool

    /// The first value of header `name`, compared without case.
    public func header(_ name: String) -> String? {
        headers.first { $0.name.caseInsensitiveCompare(name) == .orderedSame }?.value
    }

    /// Sends a GET of `path` with `headers` on a connection of its own, on a Dispatch thread, and
    /// reads until the server closes or `limit` seconds pass. It reads from the moment the
    /// request is sent, as a live follower does, whatever the test does meanwhile.
    public static func get(port: Int, path: String, headers: [(String, String)] = [], waitingAtMost limit: Double) async throws -> RawHTTPResponse {
        try await OwnThread.run { try exchange(port: port, method: "GET", path: path, headers: headers, waitingAtMost: limit) }
    }

    /// Sends one request (`Connection: close`) and reads its response, blocking the thread: for
    /// tests that already run on a thread of their own.
    public static func exchange(port: Int, method: String, path: String, headers: [(String, String)] = [], body: [UInt8] = [], waitingAtMost limit: Double) throws -> RawHTTPResponse {
        let socket = try BlockingSocket(port: port)
        var lines = ["\(method) \(path) HTTP/1.1", "Host: 127.0.0.1:\(port)", "Connection: close"] + headers.map { "\($0.0): \($0.1)" }
        if !body.isEmpty || method == "POST" || method == "PUT" { lines.append("Content-Length: \(body.count)") }
        socket.send(Array((lines.joined(separator: "\r\n") + "\r\n\r\n").utf8) + body)
        var received: [UInt8] = []
        socket.read(into: &received, until: { _ in false }, waitingAtMost: limit)
        return try RawHTTPResponse(parsing: received)
    }

    /// Why bytes are not an HTTP/1.1 response.
    public struct Malformed: Error, CustomStringConvertible {
        public let description: String
    }

    /// Parses a whole response as received.
    public init(parsing bytes: [UInt8]) throws {
        let separator: [UInt8] = Array("\r\n\r\n".utf8)
        guard let headEnd = bytes.indices.first(where: { bytes[$0...].starts(with: separator) }) else {
            throw Malformed(description: "no complete response head in \(bytes.count) bytes")
        }
        let head = String(decoding: bytes[..<headEnd], as: UTF8.self).components(separatedBy: "\r\n")
        let statusFields = head[0].split(separator: " ")
        guard statusFields.count >= 2, let status = Int(statusFields[1]) else {
            throw Malformed(description: "no status in \(head[0])")
        }
        self.status = status
        headers = head.dropFirst().compactMap { line in
            guard let colon = line.firstIndex(of: ":") else { return nil }
            return (String(line[..<colon]), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces))
        }
        let rest = Array(bytes[(headEnd + separator.count)...])
        let chunked = headers.contains { $0.name.lowercased() == "transfer-encoding" && $0.value.lowercased().contains("chunked") }
        if chunked {
            (body, complete) = Self.dechunk(rest)
        } else if let length = headers.first(where: { $0.name.lowercased() == "content-length" }).flatMap({ Int($0.value) }) {
            body = Array(rest.prefix(length))
            complete = rest.count >= length
        } else {
            body = rest
            complete = true
        }
    }

    /// The chunks of a chunked body joined, and whether its last (empty) chunk came.
    static func dechunk(_ bytes: [UInt8]) -> (body: [UInt8], complete: Bool) {
        var body: [UInt8] = []
        var position = 0
        while let lineEnd = bytes[position...].indices.first(where: { bytes[$0...].starts(with: [13, 10]) }) {
            let sizeText = String(decoding: bytes[position..<lineEnd], as: UTF8.self).split(separator: ";").first ?? ""
            guard let size = Int(sizeText.trimmingCharacters(in: .whitespaces), radix: 16) else { return (body, false) }
            if size == 0 { return (body, true) }
            let start = lineEnd + 2
            guard start + size <= bytes.count else { return (body + bytes[start...], false) }
            body += bytes[start..<(start + size)]
            position = start + size + 2
            guard position <= bytes.count else { return (body, false) }
        }
        return (body, false)
    }
}
