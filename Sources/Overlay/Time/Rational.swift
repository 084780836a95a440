import Foundation

/// An exact fraction with a 128-bit numerator and denominator, always reduced, denominator positive.
///
/// Frame times are sums like `anchor + ticks / 90000` or `ticks * 1001 / 60000`; floating point
/// would drift over a long feed, so every time in Podium is exact until it is printed.
public struct Rational: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The numerator, carrying the sign.
    public let numerator: Int128
    /// The denominator, always positive.
    public let denominator: Int128

    /// Creates `numerator / denominator`, reduced. The denominator must not be zero.
    public init(_ numerator: Int128, _ denominator: Int128 = 1) {
        precondition(denominator != 0, "Rational with a zero denominator")
        let sign: Int128 = denominator < 0 ? -1 : 1
        let divisor = Rational.gcd(numerator.magnitude, denominator.magnitude)
        self.numerator = sign * numerator / Int128(divisor)
        self.denominator = sign * denominator / Int128(divisor)
    }

    /// Zero.
    public static let zero = Rational(0)

    public static func + (lhs: Rational, rhs: Rational) -> Rational {
        Rational(lhs.numerator * rhs.denominator + rhs.numerator * lhs.denominator, lhs.denominator * rhs.denominator)
    }

    public static func - (lhs: Rational, rhs: Rational) -> Rational {
        Rational(lhs.numerator * rhs.denominator - rhs.numerator * lhs.denominator, lhs.denominator * rhs.denominator)
    }

    public static func * (lhs: Rational, rhs: Rational) -> Rational {
        Rational(lhs.numerator * rhs.numerator, lhs.denominator * rhs.denominator)
    }

    public static func / (lhs: Rational, rhs: Rational) -> Rational {
        precondition(rhs.numerator != 0, "Rational division by zero")
        return Rational(lhs.numerator * rhs.denominator, lhs.denominator * rhs.numerator)
    }

    public static func < (lhs: Rational, rhs: Rational) -> Bool {
        lhs.numerator * rhs.denominator < rhs.numerator * lhs.denominator
    }

    /// The largest integer not greater than this value (rounds toward negative infinity).
    public var floor: Int128 {
        let quotient = numerator / denominator
        return (numerator % denominator != 0 && numerator < 0) ? quotient - 1 : quotient
    }

    public var description: String { denominator == 1 ? "\(numerator)" : "\(numerator)/\(denominator)" }

    /// Parses `"num/den"` or a plain integer, as FFmpeg and Podium's JSON files write rates and time bases.
    public init?(parsing text: String) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard (1...2).contains(parts.count),
              let numerator = Int128(parts[0].trimmingCharacters(in: .whitespaces)),
              let denominator = parts.count == 2 ? Int128(parts[1].trimmingCharacters(in: .whitespaces)) : 1,
              denominator != 0
        else { return nil }
        self.init(numerator, denominator)
    }

    private static func gcd(_ a: UInt128, _ b: UInt128) -> UInt128 {
        var (a, b) = (a, b)
        while b != 0 { (a, b) = (b, a % b) }
        return a == 0 ? 1 : a
    }
}

public extension Double {
    /// The nearest `Double` to an exact rational, for estimates and reports (never for placement).
    init(_ value: Rational) { self = Double(value.numerator) / Double(value.denominator) }
}
