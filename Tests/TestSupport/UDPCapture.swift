#if canImport(Glibc)
import Glibc
#endif
public import Foundation

/// Captures every datagram sent to a loopback port, in order, on its own thread: a receiver that
/// only records what arrives (FFmpeg's own UDP input loses datagrams under load on a 2-core machine,
/// even from `ffmpeg -re`, so it cannot judge whether a sender's stream is complete).
public final class UDPCapture: @unchecked Sendable {
    private let lock = NSLock()
    private var received: [UInt8] = []
    private var stopping = false
    private let done = DispatchSemaphore(value: 0)
    private let descriptor: Int32

    /// Binds 127.0.0.1:`port` with an 8 MB receive buffer and starts capturing.
    public init(port: UInt16) throws {
        descriptor = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        var size: Int32 = 8 << 20
        setsockopt(descriptor, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        var timeout = timeval(tv_sec: 0, tv_usec: 100_000)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        let bound = Loopback.withAddress(port: port) { bind(descriptor, $0, $1) }
        guard bound == 0 else {
            close(descriptor)
            throw CocoaError(.fileWriteUnknown, userInfo: [NSLocalizedDescriptionKey: "cannot bind UDP port \(port)"])
        }
        Thread.detachNewThread { [self] in
            var buffer = [UInt8](repeating: 0, count: 65_536)
            while !lock.withLock({ stopping }) {
                let count = recv(descriptor, &buffer, buffer.count, 0)
                if count > 0 { lock.withLock { received += buffer[0..<count] } }
            }
            // What the kernel still holds arrived before the stop: a thread the suite's load kept
            // from reading must not lose it.
            while true {
                let count = recv(descriptor, &buffer, buffer.count, Int32(MSG_DONTWAIT))
                guard count > 0 else { break }
                lock.withLock { received += buffer[0..<count] }
            }
            done.signal()
        }
    }

    /// Stops capturing and returns every byte received.
    public func stop() -> [UInt8] {
        lock.withLock { stopping = true }
        done.wait()
        close(descriptor)
        return lock.withLock { received }
    }
}
