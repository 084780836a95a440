import Foundation

/// The last-resort clock source: capture UTC from when packets *arrived*, for feeds that carry no
/// timecode, reference time or anchor.
///
/// Arrival = capture + latency + delay, where `latency` is the least time from capture to
/// arrival (encoder, contribution link) and the delay is what queues add on top: never
/// negative, and different for every frame. So the estimator follows the *lower envelope* of
/// arrival against PTS, as clock synchronisation over networks does (the fastest packets say
/// the most): frames are grouped into half-second bins of PTS; each bin keeps its earliest
/// arrival; over a sliding window (one minute) the least-squares slope of arrival against PTS
/// is the stream clock's drift against UTC (taken as none until the window spans 20 seconds);
/// the line with that slope under every bin's earliest arrival, minus `latency`, is the
/// capture time. A late frame (a stall, a burst after a
/// hiccup) cannot move the line; an early one moves it down at once.
///
/// When every frame for a second arrives at least `stepSeconds` above the line, the path or the
/// sender has stepped (a sender that paused and went on): what the estimator learnt before is
/// moved up by the step, and the line follows. Pure: arrival times are given, never read.
public struct ArrivalClock: Sendable {
    /// Seconds between capture and arrival that are not jitter (encoder, contribution link).
    public let latency: Double
    /// Seconds of PTS the fit looks back over.
    public let windowSeconds: Double
    /// How far above the line arrivals must stay, for a second, to count as a step.
    public static let stepSeconds = 0.1
    /// Seconds of PTS per bin.
    static let binSeconds = 0.5
    /// The span below which drift is taken as zero: a short window cannot tell drift from
    /// jitter (with 23 ms of jitter, the slope through 20 s of 50 fps is good to about 130 ppm;
    /// taking none costs at most the drift times the window until then).
    static let slopeSpanSeconds = 20.0

    private struct Bin: Sendable {
        var index: Int
        /// The earliest arrival: its PTS and arrival, relative to the origin.
        var earliest: (pts: Double, arrival: Double)
        /// The latest arrival − PTS in the bin: less the earliest's, the bin's spread (jitter, for the state).
        var highest: Double
        /// Sums over the bin's frames for the least-squares slope: count, x, y, x², xy.
        var sums: (n: Double, x: Double, y: Double, xx: Double, xy: Double)

        init(index: Int, _ sample: (pts: Double, arrival: Double)) {
            self.index = index
            earliest = sample
            highest = sample.arrival - sample.pts
            sums = (0, 0, 0, 0, 0)
            include(sample)
        }

        /// The bin as if every arrival in it had come `step` seconds later.
        mutating func raise(by step: Double) {
            earliest.arrival += step
            highest += step
            sums.y += sums.n * step
            sums.xy += sums.x * step
        }

        mutating func include(_ sample: (pts: Double, arrival: Double)) {
            let lead = sample.arrival - sample.pts
            if lead < earliest.arrival - earliest.pts { earliest = sample }
            highest = max(highest, lead)
            sums.n += 1
            sums.x += sample.pts
            sums.y += sample.arrival
            sums.xx += sample.pts * sample.pts
            sums.xy += sample.pts * sample.arrival
        }
    }

    private var bins: [Bin] = []
    /// Samples since arrivals first stood `stepSeconds` above the line, oldest first.
    private var aboveLine: [(pts: Double, arrival: Double)] = []
    /// Origin of both axes, to keep the fit well-conditioned (seconds since the epoch are large).
    private var origin: (pts: Double, arrival: Double)?
    private var line: (intercept: Double, slope: Double)?
    /// Steps the line followed (a sender that paused and went on).
    public private(set) var steps = 0
    /// Frames observed.
    public private(set) var observed = 0

    /// Creates an estimator for a feed whose frames arrive at least `latency` seconds after capture.
    public init(latency: Double, windowSeconds: Double = 60) {
        self.latency = latency
        self.windowSeconds = max(1, windowSeconds)
    }

    /// Records that the frame presented at `pts` arrived at `arrival`; true when this arrival
    /// completed a step and the line jumped to the arrivals after it.
    @discardableResult
    public mutating func observe(pts: MediaTime, arrival: UTCInstant) -> Bool {
        let x = pts.secondsAsDouble
        let y = Double(arrival.secondsSinceEpoch)
        if origin == nil { origin = (x, y) }
        let sample = (pts: x - origin!.pts, arrival: y - origin!.arrival)
        observed += 1
        if let line, sample.arrival - (line.intercept + line.slope * sample.pts) > ArrivalClock.stepSeconds {
            aboveLine.append(sample)
            if let first = aboveLine.first, sample.pts - first.pts >= 1, aboveLine.count >= 10 {
                // Everything before the step moves up by it (the least the step can be), so the
                // fit keeps what it learnt of drift and of the fastest path.
                let step = aboveLine.map { $0.arrival - (line.intercept + line.slope * $0.pts) }.min()!
                for index in bins.indices { bins[index].raise(by: step) }
                for held in aboveLine { add(held) }
                aboveLine = []
                steps += 1
                refit()
                return true
            }
            // Held up (a stall, a burst after a hiccup), or the start of a step: kept aside.
            return false
        } else {
            aboveLine = []
        }
        add(sample)
        refit()
        return false
    }

    private mutating func add(_ sample: (pts: Double, arrival: Double)) {
        let index = Int((sample.pts / ArrivalClock.binSeconds).rounded(.down))
        // Usually the newest bin; a frame presented earlier than the last (reordering) goes to its own.
        if let slot = bins.lastIndex(where: { $0.index == index }) {
            bins[slot].include(sample)
            return
        }
        bins.append(Bin(index: index, sample))
        if bins.count > 1, bins[bins.count - 2].index > index { bins.sort { $0.index < $1.index } }
        let oldest = bins.last!.index - Int(windowSeconds / ArrivalClock.binSeconds)
        bins.removeAll { $0.index < oldest }
    }

    private mutating func refit() {
        guard let first = bins.first, let last = bins.last else { line = nil; return }
        var slope = 1.0
        if last.earliest.pts - first.earliest.pts >= ArrivalClock.slopeSpanSeconds {
            // Least squares over every frame of the window: with queues that hold frames as
            // much on average now as a minute ago, the mean line runs parallel to the envelope,
            // and it uses every frame, not one per bin.
            let sums = bins.reduce(into: (n: 0.0, x: 0.0, y: 0.0, xx: 0.0, xy: 0.0)) {
                $0.n += $1.sums.n; $0.x += $1.sums.x; $0.y += $1.sums.y; $0.xx += $1.sums.xx; $0.xy += $1.sums.xy
            }
            let variance = sums.xx - sums.x * sums.x / sums.n
            if variance > 0 { slope = (sums.xy - sums.x * sums.y / sums.n) / variance }
            slope = min(max(slope, 1 - ArrivalClock.largestDrift), 1 + ArrivalClock.largestDrift)
        }
        // The line with that slope under every bin's earliest arrival.
        let intercept = bins.map { $0.earliest.arrival - slope * $0.earliest.pts }.min()!
        line = (intercept, slope)
    }

    /// The most drift believed: a stream clock 2,000 ppm off is broken, not drifting.
    static let largestDrift = 0.002

    /// The fitted lower envelope: arrival offset at the origin and seconds of arrival per second of PTS.
    public var fit: (intercept: Double, slope: Double)? { line }

    /// Estimated drift of the stream clock against UTC, in parts per million; nil until the
    /// window spans enough to tell drift from jitter.
    public var driftPPM: Double? {
        guard let first = bins.first, let last = bins.last,
              last.earliest.pts - first.earliest.pts >= ArrivalClock.slopeSpanSeconds, let line else { return nil }
        return (line.slope - 1) * 1_000_000
    }

    /// How far arrivals spread above the line within a half second (the median over the window).
    public var jitterSeconds: Double? {
        guard !bins.isEmpty else { return nil }
        let spreads = bins.map { $0.highest - ($0.earliest.arrival - $0.earliest.pts) }.sorted()
        return spreads[spreads.count / 2]
    }

    /// Estimated capture UTC of the frame presented at `pts`, once a frame has arrived.
    public func captureUTC(of pts: MediaTime) -> UTCInstant? {
        guard let origin, let line else { return nil }
        let x = pts.secondsAsDouble - origin.pts
        let seconds = origin.arrival + line.intercept + line.slope * x - latency
        // To the microsecond: the estimate is nowhere near that exact, the representation is.
        return UTCInstant(secondsSinceEpoch: Rational(Int128((seconds * 1_000_000).rounded()), 1_000_000))
    }
}

extension MediaTime {
    /// Seconds as a `Double`, for estimation (never for placement).
    var secondsAsDouble: Double { Double(ticks) * Double(timeBase) }
}
