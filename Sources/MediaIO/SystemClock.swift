import Foundation
public import Overlay

/// The machine's real-time clock (`CLOCK_REALTIME`): the wall clock a running Podium hands to
/// everything that dates what happens. It lives beside the media boundary because the first
/// reader of the time of day is a live input's read callback, which dates bytes as they arrive.
public struct SystemClock: WallClock {
    /// The machine's clock.
    public init() {}

    public func microsecondsSinceEpoch() -> Int64 {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return Int64(now.tv_sec) * 1_000_000 + Int64(now.tv_nsec / 1000)
    }
}
