import Dispatch
import Foundation
import Logging
import MediaFormats
import Synchronization

/// The server's enrichment jobs while they run: each on a thread of its own (FFmpeg's reads and
/// the SQLite writes block), stoppable one by one, and all stopped and waited for when the server shuts down, so every output is finished and
/// every frame is in the store before the process ends.
public final class JobRunner: Sendable {
    private let running = Mutex<[Int64: InputCancellation]>([:])
    private let threads = DispatchGroup()
    private let closed = Atomic<Bool>(false)

    /// A runner with no jobs.
    public init() {}

    /// Starts `job` on its own thread and returns its id once it is recorded in the store (before
    /// its input is opened). A job that cannot start (its results hold no such unit, the store
    /// fails) throws here and leaves nothing running; one that fails later is recorded as failed.
    public func start(_ job: EnrichmentJob) async throws -> Int64 {
        guard !closed.load(ordering: .acquiring) else { throw OperatorError("the server is shutting down; no new job starts") }
        var job = job
        let cancellation = job.cancellation
        return try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Int64, any Error>) in
            // Answered once: with the id when the job is recorded, or with the error that kept it from starting.
            let answer = StartAnswer(continuation)
            let recorded = RecordedID()
            job.started = { [self] id in
                recorded.id.store(id, ordering: .releasing)
                running.withLock { $0[id] = cancellation }
                answer.take()?.resume(returning: id)
            }
            let prepared = job
            threads.enter()
            let thread = Thread { [self] in
                defer { threads.leave() }
                do {
                    _ = try prepared.run()
                } catch {
                    if let waiting = answer.take() {
                        waiting.resume(throwing: error)
                    } else {
                        prepared.logger.error("job failed: \(error)", metadata: ["job": .stringConvertible(recorded.id.load(ordering: .acquiring))])
                    }
                }
                running.withLock { entries in
                    for (id, entry) in entries where entry === cancellation { entries[id] = nil }
                }
            }
            thread.name = "podium.job"
            thread.start()
        }
    }

    /// Asks a running job to stop; it finishes its outputs and records itself as stopped. False
    /// when the job is not running here.
    @discardableResult
    public func stop(_ id: Int64) -> Bool {
        guard let cancellation = running.withLock({ $0[id] }) else { return false }
        cancellation.cancel()
        return true
    }

    /// Whether the job runs in this process.
    public func isRunning(_ id: Int64) -> Bool { running.withLock { $0[id] != nil } }

    /// Refuses new jobs, stops every running one and waits until each has finished its outputs
    /// and written its frames.
    public func stopAll() async {
        closed.store(true, ordering: .releasing)
        for cancellation in running.withLock({ Array($0.values) }) { cancellation.cancel() }
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            threads.notify(queue: .global()) { continuation.resume() }
        }
    }
}

/// The id a job was recorded with, for the thread that logs its failure.
private final class RecordedID: Sendable {
    let id = Atomic<Int64>(-1)
}

/// The one answer to a start: the continuation, taken by whoever answers first.
private final class StartAnswer: Sendable {
    private let waiting: Mutex<CheckedContinuation<Int64, any Error>?>

    init(_ continuation: CheckedContinuation<Int64, any Error>) { waiting = Mutex(continuation) }

    func take() -> CheckedContinuation<Int64, any Error>? { waiting.withLock { $0.take() } }
}
