public import Synchronization

/// What a test's closures note down while they run on another thread (a carrier, a callback):
/// behind a `Mutex`, so the closures stay `Sendable` and the compiler checks the sharing.
public final class Notes<Value: Sendable>: Sendable {
    /// The notes so far.
    public let value: Mutex<Value>

    /// Notes starting at `value`.
    public init(_ value: Value) { self.value = Mutex(value) }
}
