import Foundation

/// A point in UTC, held exactly as rational seconds since 1970-01-01T00:00:00Z (leap seconds ignored, as in POSIX time).
public struct UTCInstant: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// Exact seconds since the Unix epoch.
    public let secondsSinceEpoch: Rational

    /// Creates an instant from exact seconds since the Unix epoch.
    public init(secondsSinceEpoch: Rational) { self.secondsSinceEpoch = secondsSinceEpoch }

    /// Creates an instant from whole milliseconds since the Unix epoch, the resolution timing systems stamp at.
    public init(millisecondsSinceEpoch: Int64) {
        secondsSinceEpoch = Rational(Int128(millisecondsSinceEpoch), 1000)
    }

    public static func < (lhs: UTCInstant, rhs: UTCInstant) -> Bool { lhs.secondsSinceEpoch < rhs.secondsSinceEpoch }

    /// This instant moved by `seconds` (which may be negative).
    public func advanced(by seconds: Rational) -> UTCInstant { UTCInstant(secondsSinceEpoch: secondsSinceEpoch + seconds) }

    /// The exact seconds from `other` to this instant.
    public func seconds(since other: UTCInstant) -> Rational { secondsSinceEpoch - other.secondsSinceEpoch }

    /// ISO 8601 in UTC with microseconds, truncated toward the past: `2026-07-31T19:42:11.500000Z`.
    public var iso8601: String {
        // floor(seconds × 10⁶) straight from numerator and denominator: no gcd on the per-frame path.
        let (micros, _) = Self.floorDivide(secondsSinceEpoch.numerator * 1_000_000, secondsSinceEpoch.denominator)
        let (days, microsOfDay) = Self.floorDivide(micros, 86_400_000_000)
        let (year, month, day) = CivilDate.civil(fromDaysSinceEpoch: Int64(days))
        let seconds = Int64(microsOfDay / 1_000_000)
        let fraction = Int64(microsOfDay % 1_000_000)
        guard year >= 0, year <= 9999 else {
            return "\(year)-\(month)-\(day)T\(seconds / 3600):\(seconds / 60 % 60):\(seconds % 60).\(fraction)Z"
        }
        // Written digit by digit straight into the string's storage: this runs for every frame.
        return String(unsafeUninitializedCapacity: 27) { text in
            func put(_ value: Int64, at offset: Int, width: Int) {
                var remaining = value
                for index in stride(from: offset + width - 1, through: offset, by: -1) {
                    text[index] = UInt8(ascii: "0") + UInt8(remaining % 10)
                    remaining /= 10
                }
            }
            put(year, at: 0, width: 4)
            put(month, at: 5, width: 2)
            put(day, at: 8, width: 2)
            put(seconds / 3600, at: 11, width: 2)
            put(seconds / 60 % 60, at: 14, width: 2)
            put(seconds % 60, at: 17, width: 2)
            put(fraction, at: 20, width: 6)
            text[4] = UInt8(ascii: "-")
            text[7] = UInt8(ascii: "-")
            text[10] = UInt8(ascii: "T")
            text[13] = UInt8(ascii: ":")
            text[16] = UInt8(ascii: ":")
            text[19] = UInt8(ascii: ".")
            text[26] = UInt8(ascii: "Z")
            return 27
        }
    }

    public var description: String { iso8601 }

    /// Parses ISO 8601 / RFC 3339 date-times such as `2026-07-31T19:42:11.5Z` or `2026-07-31T21:42:11.500+02:00`.
    ///
    /// The fraction keeps every digit given (exact), and an offset is required: a venue time without
    /// a zone is ambiguous and is rejected rather than guessed.
    public init?(iso8601 text: String) {
        let bytes = Array(text.utf8)
        func number(_ range: Range<Int>) -> Int64? {
            guard range.upperBound <= bytes.count, !range.isEmpty else { return nil }
            var value: Int64 = 0
            for index in range {
                let byte = bytes[index]
                guard byte >= 48, byte <= 57 else { return nil }
                value = value * 10 + Int64(byte - 48)
            }
            return value
        }
        func byte(_ index: Int, is expected: Character) -> Bool {
            index < bytes.count && bytes[index] == expected.asciiValue!
        }
        guard let year = number(0..<4), byte(4, is: "-"), let month = number(5..<7), byte(7, is: "-"),
              let day = number(8..<10), byte(10, is: "T") || byte(10, is: "t") || byte(10, is: " "),
              let hour = number(11..<13), byte(13, is: ":"), let minute = number(14..<16), byte(16, is: ":"),
              let second = number(17..<19),
              (1...12).contains(month), day >= 1, day <= CivilDate.daysIn(month: month, year: year),
              hour < 24, minute < 60, second < 60
        else { return nil }
        var index = 19
        var fraction = Rational.zero
        if byte(index, is: ".") || byte(index, is: ",") {
            let digitsStart = index + 1
            index = digitsStart
            while index < bytes.count, bytes[index] >= 48, bytes[index] <= 57 { index += 1 }
            let digits = index - digitsStart
            guard digits > 0, digits <= 18, let value = number(digitsStart..<index) else { return nil }
            var scale: Int128 = 1
            for _ in 0..<digits { scale *= 10 }
            fraction = Rational(Int128(value), scale)
        }
        var offsetSeconds: Int64 = 0
        if byte(index, is: "Z") || byte(index, is: "z") {
            index += 1
        } else if byte(index, is: "+") || byte(index, is: "-") {
            let sign: Int64 = byte(index, is: "-") ? -1 : 1
            guard let offsetHours = number(index + 1..<index + 3), byte(index + 3, is: ":"),
                  let offsetMinutes = number(index + 4..<index + 6), offsetHours < 24, offsetMinutes < 60
            else { return nil }
            offsetSeconds = sign * (offsetHours * 3600 + offsetMinutes * 60)
            index += 6
        } else {
            return nil
        }
        guard index == bytes.count else { return nil }
        let days = CivilDate.daysSinceEpoch(year: year, month: month, day: day)
        let whole = days * 86_400 + hour * 3600 + minute * 60 + second - offsetSeconds
        secondsSinceEpoch = Rational(Int128(whole)) + fraction
    }

    private static func floorDivide(_ value: Int128, _ divisor: Int128) -> (Int128, Int128) {
        var quotient = value / divisor
        var remainder = value % divisor
        if remainder < 0 { quotient -= 1; remainder += divisor }
        return (quotient, remainder)
    }
}

/// Proleptic Gregorian calendar arithmetic (Howard Hinnant's days-from-civil algorithm), exact and allocation-free.
enum CivilDate {
    static func daysSinceEpoch(year: Int64, month: Int64, day: Int64) -> Int64 {
        let shiftedYear = month <= 2 ? year - 1 : year
        let era = (shiftedYear >= 0 ? shiftedYear : shiftedYear - 399) / 400
        let yearOfEra = shiftedYear - era * 400
        let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    static func civil(fromDaysSinceEpoch days: Int64) -> (year: Int64, month: Int64, day: Int64) {
        let shifted = days + 719_468
        let era = (shifted >= 0 ? shifted : shifted - 146_096) / 146_097
        let dayOfEra = shifted - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthIndex + 2) / 5 + 1
        let month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    static func daysIn(month: Int64, year: Int64) -> Int64 {
        switch month {
        case 2: return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }
}
