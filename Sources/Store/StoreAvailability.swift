import Foundation
import GRDB
import Synchronization

/// Whether the store can take writes, as the last failures say: a full disk, an I/O error or a
/// read-only file makes every write fail until an operator acts, and the server says so (503
/// naming the store, `/readyz` not ready) instead of a generic 500.
public final class StoreAvailability: Sendable {
    /// How long one failure keeps the store marked unavailable: past it, the next write tells again.
    public let holdSeconds: Double
    private let lastFault = Mutex<(reason: String, at: ContinuousClock.Instant)?>(nil)

    /// Creates an availability with nothing failed yet.
    public init(holdSeconds: Double = 30) {
        self.holdSeconds = holdSeconds
    }

    /// Why `error` means the store cannot write (`database or disk is full`); nil for any other error.
    public static func fault(in error: any Error) -> String? {
        guard let error = error as? DatabaseError else { return nil }
        switch error.resultCode {
        case .SQLITE_FULL, .SQLITE_IOERR, .SQLITE_READONLY, .SQLITE_CANTOPEN, .SQLITE_CORRUPT, .SQLITE_NOTADB:
            return error.message ?? "\(error.resultCode)"
        default:
            return nil
        }
    }

    /// Notes the failure `error` stands for, if it is one of the store; returns its reason.
    @discardableResult
    public func record(_ error: any Error) -> String? {
        guard let reason = StoreAvailability.fault(in: error) else { return nil }
        lastFault.withLock { $0 = (reason, ContinuousClock.now) }
        return reason
    }

    /// The reason the store is unavailable now; nil when no store failure is recent.
    public var currentFault: String? {
        lastFault.withLock { fault in
            guard let fault, ContinuousClock.now - fault.at < .milliseconds(Int64(holdSeconds * 1000)) else { return nil }
            return fault.reason
        }
    }
}
