import Dispatch
public import Feeds
public import Foundation
public import MediaIO
public import Overlay
import Store
import Synchronization

/// A server's results intake and its fan-out to the running jobs that follow the feeds: one
/// `ResultsIntake` for the process, its calls made one at a time on their own queue (SQLite
/// writes block; the intake is not thread-safe), and every document it takes delivered at once
/// to each following job's `DocumentInbox`. The API calls it; it knows nothing of HTTP.
///
/// Documents that other nodes of the store take (another `podium serve`, a `podium import`)
/// are read from the store's log every `catchUpInterval` and delivered the same way, with the
/// time their node received them.
public final class FeedDesk: Sendable {
    /// The intake and who follows it. Taken on `queue` only (the intake's SQLite writes block,
    /// and they must not block Swift's cooperative threads), so the lock is never contended.
    private struct Desk {
        let intake: ResultsIntake
        /// The running jobs that take the feeds.
        var followers: [DocumentInbox] = []
        /// The running jobs that take the rehearsal ledger's test documents.
        var rehearsalFollowers: [DocumentInbox] = []
    }

    private let desk: Mutex<Desk>
    private let queue = DispatchQueue(label: "podium.feeds")
    /// Whether test-feed documents are taken (into the rehearsal ledger).
    public let takesRehearsals: Bool
    /// What a document's receipt is dated by.
    public let wallClock: any WallClock

    /// How often the store's log is read for documents other nodes took.
    public static let catchUpInterval: DispatchTimeInterval = .milliseconds(100)

    /// The desk over `intake` (loaded from the store's audit log); receipts dated by `wallClock`.
    public init(intake: sending ResultsIntake, wallClock: any WallClock = SystemClock()) {
        takesRehearsals = intake.takesRehearsals
        self.wallClock = wallClock
        desk = Mutex(Desk(intake: intake))
        scheduleCatchUp()
    }

    /// Reads the log for other nodes' documents after `catchUpInterval`, and again after that,
    /// for as long as the desk exists.
    private func scheduleCatchUp() {
        queue.asyncAfter(deadline: .now() + Self.catchUpInterval) { [weak self] in
            guard let self else { return }
            self.desk.withLock { desk in
                // A store that cannot be read now is read again at the next turn.
                _ = try? FeedDesk.delivering(&desk) { try $0.catchUp() }
            }
            self.scheduleCatchUp()
        }
    }

    /// Runs `work` on the desk's intake and delivers every document it took meanwhile (its own
    /// and those it read from other nodes) to the jobs that follow them.
    private static func delivering<Value>(_ desk: inout Desk, _ work: (ResultsIntake) throws -> Value) throws -> Value {
        let before = desk.intake.received.entries.count
        let rehearsedBefore = desk.intake.rehearsalLedger.entries.count
        defer {
            for entry in desk.intake.received.entries.dropFirst(before) {
                desk.followers.removeAll { !$0.deliver(entry.document, receivedAt: entry.receivedAt) }
            }
            for entry in desk.intake.rehearsalLedger.entries.dropFirst(rehearsedBefore) {
                desk.rehearsalFollowers.removeAll { !$0.deliver(entry.document, receivedAt: entry.receivedAt) }
            }
        }
        return try work(desk.intake)
    }

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
                    try self.desk.withLock { desk in
                        try FeedDesk.delivering(&desk) { try $0.receive(prepared, source: source, receivedAt: self.wallClock.now()) }
                    }
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
                let ledger = self.desk.withLock { desk in
                    // The log as it stands, other nodes' documents included (delivered to the
                    // followers already there; the new one gets them in its ledger).
                    _ = try? FeedDesk.delivering(&desk) { try $0.catchUp() }
                    if rehearsal {
                        desk.rehearsalFollowers.removeAll(where: \.isClosed)
                        desk.rehearsalFollowers.append(inbox)
                        return desk.intake.rehearsalLedger
                    }
                    desk.followers.removeAll(where: \.isClosed)
                    desk.followers.append(inbox)
                    return desk.intake.received
                }
                continuation.resume(returning: ledger)
            }
        }
    }


    /// The results as known now, or at `wall`; with `rehearsal`, the rehearsal ledger's.
    public func book(asKnownAt wall: UTCInstant?, rehearsal: Bool = false) async -> ResultsBook {
        await withCheckedContinuation { continuation in
            queue.async {
                let book = self.desk.withLock { desk in
                    if rehearsal { return wall.map { desk.intake.rehearsalLedger.book(asKnownAt: $0) } ?? desk.intake.latestRehearsal }
                    return wall.map { desk.intake.book(asKnownAt: $0) } ?? desk.intake.latest
                }
                continuation.resume(returning: book)
            }
        }
    }
}
