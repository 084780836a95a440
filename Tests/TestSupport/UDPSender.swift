#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
public import Foundation

/// Sends UDP datagrams to a loopback port, for tests of Podium's own receivers.
public enum UDPSender {
    /// Sends each datagram to 127.0.0.1:`port`, from one socket; returns how many were sent
    /// whole. `before` is asked before each one (by index) and stops the sending with false.
    @discardableResult
    public static func send(_ datagrams: [[UInt8]], toPort port: UInt16, before: (Int) -> Bool = { _ in true }) -> Int {
        #if canImport(Glibc)
        let descriptor = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        #else
        let descriptor = socket(AF_INET, SOCK_DGRAM, 0)
        #endif
        guard descriptor >= 0 else { return 0 }
        defer { close(descriptor) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        inet_pton(AF_INET, "127.0.0.1", &address.sin_addr)
        var sent = 0
        for (index, datagram) in datagrams.enumerated() {
            guard before(index) else { break }
            let count = withUnsafePointer(to: &address) { pointer in
                pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    sendto(descriptor, datagram, datagram.count, 0, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
            if count == datagram.count { sent += 1 }
        }
        return sent
    }
}

/// A transport stream file sent over UDP at an even pace on a thread of its own, 7 packets to a
/// datagram, as a venue encoder sends: the test knows the instant its first datagram left, and
/// can cut it off as a sender that dies.
public final class PacedUDPStream: @unchecked Sendable {
    // @unchecked: the mutable state is only touched while `lock` is held.
    private let lock = NSLock()
    private var stopping = false
    private var finished = false
    private var firstSentAt: Date?

    /// Starts sending `file` to 127.0.0.1:`port` over `seconds`.
    public init(file: URL, toPort port: UInt16, over seconds: Double) throws {
        let bytes = [UInt8](try Data(contentsOf: file))
        let datagrams = stride(from: 0, to: bytes.count, by: 1316).map { Array(bytes[$0..<min($0 + 1316, bytes.count)]) }
        let interval = seconds / Double(max(1, datagrams.count))
        Thread.detachNewThread { [self] in
            let start = Date()
            UDPSender.send(datagrams, toPort: port) { index in
                let due = start.addingTimeInterval(Double(index) * interval).timeIntervalSinceNow
                if due > 0 { usleep(UInt32(due * 1_000_000)) }
                return lock.withLock {
                    if stopping { return false }
                    if firstSentAt == nil { firstSentAt = Date() }
                    return true
                }
            }
            lock.withLock { finished = true }
        }
    }

    /// When the first datagram was sent.
    public var firstSent: Date? { lock.withLock { firstSentAt } }

    /// Stops sending at once, as a sender that dies, and waits for the thread to let go.
    public func stop() {
        lock.withLock { stopping = true }
        wait(timeout: 5)
    }

    /// Waits until every datagram went (at most `timeout` seconds).
    public func wait(timeout: Double) {
        let deadline = Date().addingTimeInterval(timeout)
        while !lock.withLock({ finished }), Date() < deadline { usleep(10_000) }
    }

    /// `stop()` from an async context, on a thread of its own (`OwnThread`).
    public func stop() async {
        await OwnThread.run { self.stop() }
    }

    /// `wait(timeout:)` from an async context, on a thread of its own (`OwnThread`).
    public func wait(timeout: Double) async {
        await OwnThread.run { self.wait(timeout: timeout) }
    }
}
