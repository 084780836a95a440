import Dispatch
public import Feeds
public import Foundation
public import Overlay
import Store

/// A server's results intake and its fan-out to the running jobs that follow the feeds: one
/// `ResultsIntake` for the process, its calls made one at a time on their own queue (SQLite
/// writes block; the intake is not thread-safe), and every document it takes delivered at once
/// to each following job's `DocumentInbox`. The API calls it; it knows nothing of HTTP.
public final class FeedDesk: @unchecked Sendable {
    // `intake` is touched only on `queue`.
    private let intake: ResultsIntake
    private let queue = DispatchQueue(label: "podium.feeds")
    /// The running jobs that take the feeds (touched only on `queue`).
    private var followers: [DocumentInbox] = []
    /// The running jobs that take the rehearsal ledger's test documents (touched only on `queue`).
    private var rehearsalFollowers: [DocumentInbox] = []

    /// The desk over `intake` (loaded from the store's audit log).
    public init(intake: ResultsIntake) { self.intake = intake }

    /// Stores the document (durably, before this returns) and applies it.
    /// Every job that follows the feeds gets it at once with its receipt time.
    public func receive(_ bytes: Data, source: String) async throws -> Receipt {
        // Hashed and decoded before the desk's queue, many requests at once (off Swift's
        // cooperative threads: a 10 MB meet takes a while to decode); only storing and applying
        // wait for the queue, one at a time.
        let prepared = try await offloaded { ResultsIntake.Prepared(bytes) }
        return try await withCheckedThrowingContinuation { continuation in
            queue.async {
                continuation.resume(with: Result {
                    let before = self.intake.received.entries.count
                    let rehearsedBefore = self.intake.rehearsalLedger.entries.count
                    let receipt = try self.intake.receive(prepared, source: source, receivedAt: UTCInstant.now())
                    for entry in self.intake.received.entries.dropFirst(before) {
                        self.followers.removeAll { !$0.deliver(entry.document, receivedAt: entry.receivedAt) }
                    }
                    for entry in self.intake.rehearsalLedger.entries.dropFirst(rehearsedBefore) {
                        self.rehearsalFollowers.removeAll { !$0.deliver(entry.document, receivedAt: entry.receivedAt) }
                    }
                    return receipt
                })
            }
        }
    }

    /// The documents received so far, and from now on each new one delivered to `inbox` (taken
    /// together, so none falls between the two).
    /// With `rehearsal`, the test documents of the rehearsal ledger instead.
    public func follow(_ inbox: DocumentInbox, rehearsal: Bool = false) async -> ResultsLedger {
        await withCheckedContinuation { continuation in
            queue.async {
                if rehearsal {
                    self.rehearsalFollowers.removeAll(where: \.isClosed)
                    self.rehearsalFollowers.append(inbox)
                    continuation.resume(returning: self.intake.rehearsalLedger)
                } else {
                    self.followers.removeAll(where: \.isClosed)
                    self.followers.append(inbox)
                    continuation.resume(returning: self.intake.received)
                }
            }
        }
    }

    /// Whether test-feed documents are taken (into the rehearsal ledger).
    public var takesRehearsals: Bool { intake.takesRehearsals }

    /// The results as known now, or at `wall`; with `rehearsal`, the rehearsal ledger's.
    public func book(asKnownAt wall: UTCInstant?, rehearsal: Bool = false) async -> ResultsBook {
        await withCheckedContinuation { continuation in
            queue.async {
                if rehearsal {
                    continuation.resume(returning: wall.map { self.intake.rehearsalLedger.book(asKnownAt: $0) } ?? self.intake.latestRehearsal)
                } else {
                    continuation.resume(returning: wall.map { self.intake.book(asKnownAt: $0) } ?? self.intake.latest)
                }
            }
        }
    }
}
