import Foundation
import Overlay

extension UTCInstant {
    /// The system clock's current instant, to the millisecond: receipt times and job records.
    /// Only the executable reads the clock; the pure core takes time as a parameter.
    static func now() -> UTCInstant {
        UTCInstant(millisecondsSinceEpoch: Int64((Date().timeIntervalSince1970 * 1000).rounded(.down)))
    }
}
