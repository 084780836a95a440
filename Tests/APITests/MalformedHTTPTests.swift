import API
import Foundation
import Hummingbird
import HummingbirdTesting
import Store
import TestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// A request the HTTP parser refuses is answered at once in the API's error shape and its
/// connection closed; a connection that never sends a whole request head is answered 408.
struct MalformedHTTPTests {
    let store: SQLiteStore

    init() throws {
        store = try SQLiteStore(path: try Fixtures.scratchFolder("malformed-http").appendingPathComponent("podium.sqlite").path)
    }

    func withServer(_ body: @Sendable (Int) async throws -> Void) async throws {
        let app = buildApplication(store: store, configuration: ApplicationConfiguration(address: .hostname("127.0.0.1", port: 0)))
        try await app.test(.live) { client in try await body(try #require(client.port)) }
    }

    static let oversized = "GET /healthz HTTP/1.1\r\nHost: x\r\nX-A: " + String(repeating: "a", count: ConnectionLimits.headerBytes + 1) + "\r\n\r\n"
    static let tooMany = "GET /healthz HTTP/1.1\r\nHost: x\r\n" + (0...ConnectionLimits.headerFields).map { "X-\($0): a\r\n" }.joined() + "\r\n"

    @Test(arguments: [
        ("a control character in a header", Array("GET /healthz HTTP/1.1\r\nHost: x\r\nX-A: a\u{01}b\r\n\r\n".utf8), 400),
        ("a NUL in a header", Array("GET /healthz HTTP/1.1\r\nHost: x\r\nX-A: a\u{00}b\r\n\r\n".utf8), 400),
        ("a bad request line", Array("GARBAGE\r\n\r\n".utf8), 400),
        ("an unknown HTTP version", Array("GET /healthz HTTP/9.9\r\n\r\n".utf8), 400),
        ("a header without a colon", Array("GET /healthz HTTP/1.1\r\nHost: x\r\nNoColon\r\n\r\n".utf8), 400),
        ("two Content-Lengths", Array("POST /v1/feeds/odf HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab".utf8), 400),
        ("Content-Length with chunked", Array("POST /v1/feeds/odf HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n".utf8), 400),
        ("a TLS ClientHello on the plain port", [0x16, 0x03, 0x01, 0x01, 0x2C, 0x01, 0x00, 0x01, 0x28, 0x03, 0x03] + [UInt8](repeating: 0, count: 280), 400),
        ("a header over the limit", Array(oversized.utf8), 431),
        ("more header fields than the limit", Array(tooMany.utf8), 431),
    ] as [(String, [UInt8], Int)])
    func aMalformedRequestIsAnsweredAtOnceAndClosed(kind: String, bytes: [UInt8], status: Int) async throws {
        try await withServer { port in
            let exchange = try await RawConnection.exchange(port: port, sending: bytes, waitingAtMost: 5)
            #expect(exchange.closed, "\(kind): the connection was left open")
            #expect(exchange.seconds < 1, "\(kind): answered after \(exchange.seconds) s")
            let text = String(decoding: exchange.received, as: UTF8.self)
            #expect(text.hasPrefix("HTTP/1.1 \(status) "), "\(kind): \(text.prefix(80))")
            #expect(text.contains(#"{"error":{"code":"#), "\(kind): \(text)")
        }
    }

    @Test func aMalformedSecondRequestOnAKeptAliveConnectionIsAnsweredToo() async throws {
        try await withServer { port in
            let bytes = Array("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\nGET /healthz HTTP/1.1\r\nX-A: \u{01}\r\n\r\n".utf8)
            let exchange = try await RawConnection.exchange(port: port, sending: bytes, waitingAtMost: 5)
            // Sent at once, the second request may be refused before the first is answered; the
            // 400 and the close are what count.
            let text = String(decoding: exchange.received, as: UTF8.self)
            #expect(text.contains("HTTP/1.1 400 "), "\(text)")
            #expect(exchange.closed && exchange.seconds < 1)
        }
    }

    @Test func aConnectionThatNeverFinishesItsRequestHeadIs408() async throws {
        try await withServer { port in
            let exchange = try await RawConnection.exchange(port: port, sending: Array("GET /healthz HTTP/1.1\r\nHost: x\r\n".utf8), waitingAtMost: 20)
            let text = String(decoding: exchange.received, as: UTF8.self)
            #expect(text.hasPrefix("HTTP/1.1 408 "), "\(text)")
            #expect(exchange.closed)
            #expect(abs(exchange.seconds - Double(ConnectionLimits.firstHeadSeconds)) < 2, "\(exchange.seconds) s")
        }
    }
}

/// Slow by design (the idle limit is a minute): it runs alongside the rest of the suite.
struct IdleConnectionTests {
    @Test func aConnectionThatSendsNothingIsKeptForTheIdleLimitThen408() async throws {
        let store = try SQLiteStore(path: try Fixtures.scratchFolder("idle-connection").appendingPathComponent("podium.sqlite").path)
        let app = buildApplication(store: store, configuration: ApplicationConfiguration(address: .hostname("127.0.0.1", port: 0)))
        try await app.test(.live) { client in
            let limit = Double(ConnectionLimits.idleSeconds)
            let exchange = try await RawConnection.exchange(port: try #require(client.port), sending: [], waitingAtMost: limit + 15)
            let text = String(decoding: exchange.received, as: UTF8.self)
            #expect(text.hasPrefix("HTTP/1.1 408 "), "\(text)")
            #expect(text.contains("no request within"), "\(text)")
            #expect(exchange.closed)
            #expect(abs(exchange.seconds - limit) < 3, "\(exchange.seconds) s")
        }
    }
}

/// One TCP connection on loopback: send bytes, read until the server closes or time runs out.
enum RawConnection {
    struct Exchange {
        var received: [UInt8]
        var closed: Bool
        var seconds: Double
    }

    /// Runs `work` on a Dispatch thread: the blocking reads must not hold one of the few threads
    /// Swift concurrency has, which the servers of other tests running alongside need.
    static func onThread<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async { continuation.resume(with: Result { try work() }) }
        }
    }

    static func exchange(port: Int, sending bytes: [UInt8], waitingAtMost limit: Double) async throws -> Exchange {
        try await onThread {
            let socket = try BlockingSocket(port: port)
            let start = Date()
            // The server may answer and close before every byte is sent; what it answered counts.
            socket.send(bytes)
            var received: [UInt8] = []
            let closed = socket.read(into: &received, until: { _ in false }, waitingAtMost: limit)
            return Exchange(received: received, closed: closed, seconds: Date().timeIntervalSince(start))
        }
    }
}

/// A blocking TCP socket on loopback whose reads wait at most 100 ms each.
final class BlockingSocket {
    let descriptor: Int32

    init(port: Int) throws {
        descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        try #require(descriptor >= 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        if connected != 0 { close(descriptor) }
        try #require(connected == 0)
        var timeout = timeval(tv_sec: 0, tv_usec: 100_000)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    deinit { close(descriptor) }

    func send(_ bytes: [UInt8]) {
        _ = bytes.withUnsafeBytes { Glibc.send(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
    }

    /// What one read brought: bytes, nothing within 100 ms, or the peer's close.
    enum Received { case bytes([UInt8]), nothing, closed }

    func receive(upTo limit: Int = 65536) -> Received {
        var buffer = [UInt8](repeating: 0, count: limit)
        let count = buffer.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
        if count > 0 { return .bytes(Array(buffer[0..<count])) }
        // A signal (another test's child process ending) interrupts a read; it is not a close.
        return count == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) ? .closed : .nothing
    }

    /// Appends what arrives to `received` until `enough` says so, the peer closes (true) or
    /// `limit` seconds pass.
    func read(into received: inout [UInt8], until enough: ([UInt8]) -> Bool, waitingAtMost limit: Double) -> Bool {
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
