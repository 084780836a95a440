#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
public import MediaIO
public import Overlay

/// Receives FreeD camera tracking over UDP: one datagram per message, stamped with its arrival UTC.
///
/// Owns its socket and closes it in `deinit`. Receiving blocks the calling thread (run it on its
/// own thread); it wakes every 100 ms to check its deadline, so stopping takes at most that long.
public final class FreeDReceiver {
    private let socket: Int32
    /// The UDP port bound (useful when 0 was asked for).
    public let port: UInt16
    /// What each datagram's arrival is dated by.
    private let wallClock: any WallClock

    /// Binds a UDP socket on an IPv4 address and port (0 picks a free port); datagrams are dated by `wallClock`.
    public init(host: String = "127.0.0.1", port: UInt16, wallClock: any WallClock = SystemClock()) throws {
        self.wallClock = wallClock
        #if canImport(Glibc)
        let descriptor = Glibc.socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        #else
        let descriptor = Darwin.socket(AF_INET, SOCK_DGRAM, 0)
        #endif
        guard descriptor >= 0 else { throw FreeDReceiverError("cannot open a UDP socket: \(String(cString: strerror(errno)))") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        guard inet_pton(AF_INET, host, &address.sin_addr) == 1 else {
            close(descriptor)
            throw FreeDReceiverError("\(host) is not an IPv4 address")
        }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0 else {
            let reason = String(cString: strerror(errno))
            close(descriptor)
            throw FreeDReceiverError("cannot listen on \(host):\(port): \(reason)")
        }
        var timeout = timeval(tv_sec: 0, tv_usec: 100_000)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var actual = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &actual) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) }
        }
        socket = descriptor
        self.port = UInt16(bigEndian: actual.sin_port)
    }

    deinit { close(socket) }

    /// Receives until `seconds` have passed (or for ever when nil), handing each datagram and its arrival UTC to `handle`.
    public func receive(for seconds: Double?, _ handle: ([UInt8], UTCInstant) -> Void) {
        let deadline = seconds.map { Date().addingTimeInterval($0) }
        var buffer = [UInt8](repeating: 0, count: 2048)
        while deadline.map({ Date() < $0 }) ?? true {
            let count = recv(socket, &buffer, buffer.count, 0)
            guard count > 0 else { continue }
            handle(Array(buffer[0..<count]), wallClock.now())
        }
    }
}

/// Why the FreeD receiver could not start.
public struct FreeDReceiverError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}
