public import Foundation

/// Work that waits (a child process, a socket read, a sleep), run on a thread of its own.
///
/// Swift concurrency has about one thread per core here (two), and on Linux Dispatch's global
/// queue is that same pool. A test that waits on one of them holds it from every server and
/// client of the tests running beside it; two such tests stall them all, and requests time out
/// for reasons that have nothing to do with the code under test. The async overloads of the
/// waiting helpers (`Fixtures.run`, `Clips`, `BackgroundProcess`, `Loopback`) go through here,
/// so the compiler asks for `await` wherever an async test would otherwise wait in place.
public enum OwnThread {
    /// Runs `work` on a new thread and resumes with its result.
    public static func run<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            Thread { continuation.resume(with: Result { try work() }) }.start()
        }
    }

    /// Runs `work`, which cannot fail, on a new thread.
    public static func run<T: Sendable>(_ work: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { continuation in
            Thread { continuation.resume(returning: work()) }.start()
        }
    }
}
