import Dispatch

/// Runs blocking work (FFmpeg reads, file reads) on a thread of Dispatch's, not the server's event loops.
public func offloaded<Value: Sendable>(_ work: @escaping @Sendable () throws -> Value) async throws -> Value {
    try await withCheckedThrowingContinuation { continuation in
        DispatchQueue.global().async { continuation.resume(with: Result { try work() }) }
    }
}
