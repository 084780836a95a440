import Synchronization

/// Rings when a job's frames or state change in the store, so a follower in this process reads
/// them at once instead of at its next poll. A doorbell only: it carries no frame (the store
/// stays the record, and the source for resuming), and a follower that misses a ring still
/// polls. Each job's rings are counted, so a ring between a follower's read and its wait is not
/// lost: the follower waits only while the count is the one it read before.
public final class FrameBell: Sendable {
    private struct Waiter {
        let job: Int64
        let continuation: CheckedContinuation<Void, Never>
    }

    private struct State {
        var rings: [Int64: UInt64] = [:]
        var waiters: [UInt64: Waiter] = [:]
        var nextWaiter: UInt64 = 0
    }

    private let state = Mutex(State())

    public init() {}

    /// Rings for `jobID`: every follower waiting on it goes on.
    public func ring(jobID: Int64) {
        let woken = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.rings[jobID, default: 0] &+= 1
            let mine = state.waiters.filter { $0.value.job == jobID }
            for key in mine.keys { state.waiters[key] = nil }
            return mine.values.map(\.continuation)
        }
        for continuation in woken { continuation.resume() }
    }

    /// How many times `jobID` has rung: read it before reading the store, then `wait(for:since:)`.
    public func rings(of jobID: Int64) -> UInt64 {
        state.withLock { $0.rings[jobID, default: 0] }
    }

    /// Returns once `jobID` rings after `count` (at once when it has already): true; or when
    /// `limit` has passed without a ring: false.
    @discardableResult
    public func wait(for jobID: Int64, since count: UInt64, atMost limit: Duration) async -> Bool {
        if rings(of: jobID) != count { return true }
        return await withTaskGroup(of: Bool.self) { group in
            group.addTask { await self.ringing(jobID, since: count); return !Task.isCancelled }
            group.addTask {
                try? await Task.sleep(for: limit)
                return false
            }
            defer { group.cancelAll() }
            return await group.next() ?? false
        }
    }

    private func ringing(_ jobID: Int64, since count: UInt64) async {
        let key = state.withLock { state -> UInt64 in
            state.nextWaiter &+= 1
            return state.nextWaiter
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let ready = state.withLock { state -> Bool in
                    if state.rings[jobID, default: 0] != count || Task.isCancelled { return true }
                    state.waiters[key] = Waiter(job: jobID, continuation: continuation)
                    return false
                }
                if ready { continuation.resume() }
            }
        } onCancel: {
            let waiter = state.withLock { $0.waiters.removeValue(forKey: key) }
            waiter?.continuation.resume()
        }
    }
}
