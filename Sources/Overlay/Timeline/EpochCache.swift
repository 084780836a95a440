import Foundation

/// Values computed once per epoch (the number of timing events a frame shows) and reused by
/// every frame of the same epoch. A cache only: the value is a pure function of the epoch, so
/// sharing it changes no result. Thread-safe, so the timeline stays `Sendable`.
final class EpochCache<Value: Sendable>: @unchecked Sendable {
    // @unchecked: `values` is only touched while `lock` is held.
    private let lock = NSLock()
    private var values: [Int: Value] = [:]

    func value(for epoch: Int, compute: () -> Value) -> Value {
        if let cached = lock.withLock({ values[epoch] }) { return cached }
        let value = compute()
        lock.withLock { values[epoch] = value }
        return value
    }
}

/// The value for the last key asked for: a one-entry cache for what almost never changes
/// (the time base of a job's frames), safe when it does.
final class LastValueCache<Key: Equatable & Sendable, Value: Sendable>: @unchecked Sendable {
    // @unchecked: `last` is only touched while `lock` is held.
    private let lock = NSLock()
    private var last: (key: Key, value: Value)?

    func value(for key: Key, compute: (Key) -> Value) -> Value {
        if let cached = lock.withLock({ last }), cached.key == key { return cached.value }
        let value = compute(key)
        lock.withLock { last = (key, value) }
        return value
    }
}
