import Synchronization

/// Values computed once per epoch (the number of timing events a frame shows) and reused by
/// every frame of the same epoch. A cache only: the value is a pure function of the epoch, so
/// sharing it changes no result. Thread-safe, so the timeline stays `Sendable`.
final class EpochCache<Value: Sendable>: Sendable {
    private let values = Mutex<[Int: Value]>([:])

    func value(for epoch: Int, compute: () -> Value) -> Value {
        if let cached = values.withLock({ $0[epoch] }) { return cached }
        let value = compute()
        values.withLock { $0[epoch] = value }
        return value
    }
}

/// The value for the last key asked for: a one-entry cache for what almost never changes
/// (the time base of a job's frames), safe when it does.
final class LastValueCache<Key: Equatable & Sendable, Value: Sendable>: Sendable {
    private let last = Mutex<(key: Key, value: Value)?>(nil)

    func value(for key: Key, compute: (Key) -> Value) -> Value {
        if let cached = last.withLock({ $0 }), cached.key == key { return cached.value }
        let value = compute(key)
        last.withLock { $0 = (key, value) }
        return value
    }
}
