import Foundation

/// A race time (reaction, split, finish) as the timing system measured it, in milliseconds,
/// and, when it was worked out from two instants rather than given, exactly.
public struct RaceTime: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// Whole milliseconds from the start signal (what is shown, truncated from there).
    public let milliseconds: Int64
    /// What lies beyond the whole milliseconds, in seconds: in [0, 1/1000), zero for a time given in milliseconds.
    public let beyondMilliseconds: Rational

    /// Creates a race time of `milliseconds`.
    public init(milliseconds: Int64) {
        self.milliseconds = milliseconds
        beyondMilliseconds = .zero
    }

    /// The race time of an event `elapsed` seconds after the start, kept exactly: it is shown
    /// in whole milliseconds, but the event is placed on the frame of its exact instant (a finish
    /// exactly on a 59.94 fps frame boundary must not show on the frame before).
    public init(elapsed: Rational) {
        let whole = (elapsed * Rational(1000)).floor
        milliseconds = Int64(whole)
        beyondMilliseconds = elapsed - Rational(whole, 1000)
    }

    /// Whole hundredths, truncated: swimming and athletics display times truncated, never rounded.
    public var hundredths: Int64 { milliseconds / 10 }

    /// The time as seconds, exact.
    public var seconds: Rational { Rational(Int128(milliseconds), 1000) + beyondMilliseconds }

    public static func < (lhs: RaceTime, rhs: RaceTime) -> Bool {
        lhs.milliseconds != rhs.milliseconds ? lhs.milliseconds < rhs.milliseconds : lhs.beyondMilliseconds < rhs.beyondMilliseconds
    }

    /// The broadcast form: `8.31`, `47.92`, `1:47.92`, `1:02:03.45`.
    public var description: String { RaceTime.display(hundredths: hundredths) }

    /// A reaction time as the discipline publishes it: athletics to the thousandth (`0.139`),
    /// everything else in truncated hundredths (`0.13`).
    public func reactionDisplay(inDiscipline discipline: String) -> String {
        guard RaceTime.reactionInThousandths(discipline) else { return description }
        return description + String(milliseconds % 10)
    }

    /// Whether `discipline` shows reaction times to the thousandth.
    public static func reactionInThousandths(_ discipline: String) -> Bool { discipline == "ATH" }

    /// Formats whole hundredths the way result boards show them.
    public static func display(hundredths: Int64) -> String {
        let total = max(0, hundredths)
        let fraction = total % 100
        let seconds = total / 100 % 60
        let minutes = total / 6000 % 60
        let hours = total / 360_000
        // Written straight into the string's storage: the clock is formatted on every frame, and
        // results this short live inline in the String, without a heap allocation.
        if hours > 0 {
            return "\(hours):\(minutes < 10 ? "0" : "")\(minutes):\(seconds < 10 ? "0" : "")\(seconds).\(fraction < 10 ? "0" : "")\(fraction)"
        }
        let length = (minutes > 0 ? (minutes >= 10 ? 2 : 1) + 3 : (seconds >= 10 ? 2 : 1)) + 3
        return String(unsafeUninitializedCapacity: length) { buffer in
            var index = 0
            func put(_ byte: UInt8) {
                buffer[index] = byte
                index += 1
            }
            let zero = UInt8(ascii: "0")
            if minutes > 0 {
                if minutes >= 10 { put(zero + UInt8(minutes / 10)) }
                put(zero + UInt8(minutes % 10))
                put(UInt8(ascii: ":"))
                put(zero + UInt8(seconds / 10))
                put(zero + UInt8(seconds % 10))
            } else {
                if seconds >= 10 { put(zero + UInt8(seconds / 10)) }
                put(zero + UInt8(seconds % 10))
            }
            put(UInt8(ascii: "."))
            put(zero + UInt8(fraction / 10))
            put(zero + UInt8(fraction % 10))
            return index
        }
    }

    /// Parses `8.31`, `+0.62`, `1:47.92`, `1:02:03.456`: up to three fraction digits, minutes and
    /// seconds below 60 once a larger unit is present. Returns nil for anything else.
    public init?(parsing text: String) {
        var body = Substring(text).drop { $0 == " " }
        while body.last == " " { body = body.dropLast() }
        if body.hasPrefix("+") { body = body.dropFirst() }
        let clockParts = body.split(separator: ":", omittingEmptySubsequences: false)
        guard (1...3).contains(clockParts.count) else { return nil }
        let secondsPart = clockParts[clockParts.count - 1]
        let secondsPieces = secondsPart.split(separator: ".", omittingEmptySubsequences: false)
        guard (1...2).contains(secondsPieces.count), let whole = RaceTime.digits(secondsPieces[0]) else { return nil }
        var millis: Int64 = 0
        if secondsPieces.count == 2 {
            let fraction = secondsPieces[1]
            guard (1...3).contains(fraction.count), let value = RaceTime.digits(fraction) else { return nil }
            millis = value * [100, 10, 1][fraction.count - 1]
        }
        var total = whole * 1000 + millis
        if clockParts.count >= 2 {
            guard whole < 60, secondsPieces[0].count == 2, let minutes = RaceTime.digits(clockParts[clockParts.count - 2]) else {
                return nil
            }
            if clockParts.count == 3 {
                guard minutes < 60, clockParts[1].count == 2, let hours = RaceTime.digits(clockParts[0]) else { return nil }
                total += hours * 3_600_000
            }
            total += minutes * 60_000
        }
        self.init(milliseconds: total)
    }

    private static func digits(_ text: Substring) -> Int64? {
        guard !text.isEmpty, text.count <= 9, text.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
        return Int64(text)
    }
}
