import Foundation
public import Overlay

extension UTCInstant {
    /// The system clock's current instant, to the millisecond: receipt times and job records.
    /// The edges (the store's users: the executable, the API) read the clock; the pure core
    /// takes time as a parameter.
    public static func now() -> UTCInstant {
        UTCInstant(millisecondsSinceEpoch: Int64((Date().timeIntervalSince1970 * 1000).rounded(.down)))
    }
}
