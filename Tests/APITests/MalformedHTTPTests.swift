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

    /// "At once" means before any of the server's timers could have answered (the first one,
    /// the request head's, fires after 10 s). Alone the answer takes milliseconds; beside the
    /// whole suite on two cores it has taken 3.9 s, so a tighter bound would time the machine.
    static let beforeAnyTimer = Double(ConnectionLimits.firstHeadSeconds - 2)

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
            let exchange = try await RawConnection.exchange(port: port, sending: bytes, waitingAtMost: 15)
            #expect(exchange.closed, "\(kind): the connection was left open")
            #expect(exchange.seconds < Self.beforeAnyTimer, "\(kind): answered after \(exchange.seconds) s")
            let text = String(decoding: exchange.received, as: UTF8.self)
            #expect(text.hasPrefix("HTTP/1.1 \(status) "), "\(kind): \(text.prefix(80))")
            #expect(text.contains(#"{"error":{"code":"#), "\(kind): \(text)")
        }
    }

    @Test func aMalformedSecondRequestOnAKeptAliveConnectionIsAnsweredToo() async throws {
        try await withServer { port in
            let bytes = Array("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\nGET /healthz HTTP/1.1\r\nX-A: \u{01}\r\n\r\n".utf8)
            let exchange = try await RawConnection.exchange(port: port, sending: bytes, waitingAtMost: 15)
            // Sent at once, the second request may be refused before the first is answered; the
            // 400 and the close are what count.
            let text = String(decoding: exchange.received, as: UTF8.self)
            #expect(text.contains("HTTP/1.1 400 "), "\(text)")
            #expect(exchange.closed && exchange.seconds < Self.beforeAnyTimer, "\(exchange.seconds) s")
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

    static func exchange(port: Int, sending bytes: [UInt8], waitingAtMost limit: Double) async throws -> Exchange {
        try await OwnThread.run {
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
