import Synchronization

/// Stops a running input from another thread. FFmpeg polls it during every blocking call
/// (through `AVIOInterruptCB`), so a job stops within a fraction of a second even when its
/// input is silent.
public final class InputCancellation: Sendable {
    private let flag = Atomic<Bool>(false)

    /// Creates a cancellation not yet raised.
    public init() {}

    /// Asks the input to stop.
    public func cancel() { flag.store(true, ordering: .relaxed) }

    /// Whether `cancel()` was called.
    public var isCancelled: Bool { flag.load(ordering: .relaxed) }
}
