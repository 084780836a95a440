/// Where Podium reads the time of day. The core never reads it: the edges are handed one clock
/// (`SystemClock` in a running Podium) and pass the instants they read into the core as
/// parameters. Receipts, job and key records, a live job's "now", the arrival stamps of a live
/// input's bytes and FreeD datagrams all come from the clock they were given, so a test, a
/// replay or a node with a corrected clock changes every one of them at once.
public protocol WallClock: Sendable {
    /// Whole microseconds since 1970-01-01T00:00:00Z (POSIX time, leap seconds ignored), now.
    func microsecondsSinceEpoch() -> Int64
}

extension WallClock {
    /// The instant the clock reads now, to the microsecond.
    public func now() -> UTCInstant {
        UTCInstant(secondsSinceEpoch: Rational(Int128(microsecondsSinceEpoch()), 1_000_000))
    }
}
