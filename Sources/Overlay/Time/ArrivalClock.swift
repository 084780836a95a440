import Foundation

/// The last-resort clock source: capture UTC from when packets *arrived*, for feeds that carry no
/// timecode, reference time or anchor.
///
/// Arrival = capture + latency + network jitter, and the stream's clock drifts against UTC by a
/// few parts per million. The estimator fits arrival against PTS with least squares over a
/// sliding window, drops samples whose residual is more than three robust deviations out (a
/// stalled packet, a burst after a hiccup) and fits again; the slope is the drift, the fit minus
/// the configured latency is the capture time. Pure: arrival times are given, never read.
public struct ArrivalClock: Sendable {
    /// Seconds between capture and arrival that are not jitter (encoder, contribution link).
    public let latency: Double
    /// How many of the latest samples the fit uses (3,000 is one minute at 50 fps).
    public let window: Int
    private var samples: [(pts: Double, arrival: Double)] = []
    /// Origin of both axes, to keep the fit well-conditioned (seconds since the epoch are large).
    private var origin: (pts: Double, arrival: Double)?

    /// Creates an estimator for a feed whose frames arrive `latency` seconds after capture.
    public init(latency: Double, window: Int = 3000) {
        self.latency = latency
        self.window = max(2, window)
    }

    /// Records that the frame presented at `pts` arrived at `arrival`.
    public mutating func observe(pts: MediaTime, arrival: UTCInstant) {
        let x = Double(pts.ticks) * Double(pts.timeBase.numerator) / Double(pts.timeBase.denominator)
        let y = Double(arrival.secondsSinceEpoch.numerator) / Double(arrival.secondsSinceEpoch.denominator)
        if origin == nil { origin = (x, y) }
        samples.append((x - origin!.pts, y - origin!.arrival))
        if samples.count > window { samples.removeFirst(samples.count - window) }
    }

    /// The fitted line: arrival offset at the origin and seconds of arrival per second of PTS.
    public var fit: (intercept: Double, slope: Double)? {
        guard samples.count >= 2 else { return nil }
        guard let first = ArrivalClock.leastSquares(samples) else { return nil }
        let residuals = samples.map { $0.arrival - (first.intercept + first.slope * $0.pts) }
        let median = residuals.sorted()[residuals.count / 2]
        let deviation = residuals.map { abs($0 - median) }.sorted()[residuals.count / 2] * 1.4826
        guard deviation > 0 else { return first }
        let kept = zip(samples, residuals).filter { abs($0.1 - median) <= 3 * deviation }.map(\.0)
        return ArrivalClock.leastSquares(kept) ?? first
    }

    /// Estimated drift of the stream clock against UTC, in parts per million.
    public var driftPPM: Double? { fit.map { ($0.slope - 1) * 1_000_000 } }

    /// Estimated capture UTC of the frame presented at `pts`, once two frames have arrived.
    public func captureUTC(of pts: MediaTime) -> UTCInstant? {
        guard let origin, let fit else { return nil }
        let x = Double(pts.ticks) * Double(pts.timeBase.numerator) / Double(pts.timeBase.denominator) - origin.pts
        let seconds = origin.arrival + fit.intercept + fit.slope * x - latency
        // To the microsecond: the estimate is nowhere near that exact, the representation is.
        return UTCInstant(secondsSinceEpoch: Rational(Int128((seconds * 1_000_000).rounded()), 1_000_000))
    }

    private static func leastSquares(_ points: [(pts: Double, arrival: Double)]) -> (intercept: Double, slope: Double)? {
        guard points.count >= 2 else { return nil }
        let count = Double(points.count)
        let meanX = points.reduce(0) { $0 + $1.pts } / count
        let meanY = points.reduce(0) { $0 + $1.arrival } / count
        var covariance = 0.0
        var variance = 0.0
        for point in points {
            covariance += (point.pts - meanX) * (point.arrival - meanY)
            variance += (point.pts - meanX) * (point.pts - meanX)
        }
        guard variance > 0 else { return nil }
        let slope = covariance / variance
        return (meanY - slope * meanX, slope)
    }
}
