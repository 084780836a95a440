/// Where a frame's capture UTC comes from.
public enum ClockSource: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    /// The operator's anchor: "PTS p was captured at UTC t".
    case anchor
    /// A MOV/MP4 `tmcd` track's start timecode on a given day.
    case timecodeTrack = "tmcd"
    /// H.264/HEVC picture-timing SEI timecodes (SMPTE 12M), read by decoding the video.
    case pictureTiming = "sei-timecode"
    /// Producer reference time (RTCP sender reports of an RTSP source).
    case producerReference = "prft"
    /// HLS `EXT-X-PROGRAM-DATE-TIME` of each segment's first frame.
    case programDateTime = "hls-pdt"
    /// The lower envelope of arrival times against PTS, minus a configured latency (`ArrivalClock`).
    case arrival

    public var description: String { rawValue }

    /// Sources that state the UTC of particular frames as the stream goes (as opposed to once, or never).
    public var statesFrameTimes: Bool {
        switch self {
        case .timecodeTrack, .pictureTiming, .producerReference, .programDateTime: true
        case .anchor, .arrival: false
        }
    }
}

/// An SMPTE 12M time-of-day timecode, `HH:MM:SS:FF`, or `HH:MM:SS;FF` for drop-frame counting.
public struct SMPTETimecode: Sendable, Hashable, CustomStringConvertible {
    public let hours: Int, minutes: Int, seconds: Int, frames: Int
    /// Drop-frame counting (29.97 and 59.94 fps): frame labels 0 and 1 (0–3 at 59.94) are
    /// skipped every minute except every tenth, so labels keep pace with the wall clock.
    public let dropFrame: Bool

    /// Parses `10:00:00:00`, `10:00:00;00` or `10:00:00.00` (the last two: drop-frame).
    public init?(_ text: String) {
        let parts = text.split(whereSeparator: { ":;.,".contains($0) }).map { Int($0) }
        guard parts.count == 4, let hours = parts[0], let minutes = parts[1], let seconds = parts[2], let frames = parts[3],
              (0..<24).contains(hours), (0..<60).contains(minutes), (0..<60).contains(seconds), frames >= 0
        else { return nil }
        (self.hours, self.minutes, self.seconds, self.frames) = (hours, minutes, seconds, frames)
        dropFrame = text.contains(";") || text.contains(".") || text.contains(",")
    }

    /// A label from its fields, as they are (no range check: see `TimecodeLabeling`).
    public init(hours: Int, minutes: Int, seconds: Int, frames: Int, dropFrame: Bool) {
        (self.hours, self.minutes, self.seconds, self.frames, self.dropFrame) = (hours, minutes, seconds, frames, dropFrame)
    }

    public var description: String {
        func two(_ value: Int) -> String { value < 10 ? "0\(value)" : "\(value)" }
        return "\(two(hours)):\(two(minutes)):\(two(seconds))\(dropFrame ? ";" : ":")\(two(frames))"
    }

    /// Seconds since midnight of the frame this label names, at `frameRate`.
    ///
    /// Drop-frame labels are turned into the frame count since midnight and multiplied by the
    /// exact frame duration (1001/30000 s). Non-drop labels are read as clock time (HH:MM:SS plus
    /// FF of the nominal rate): that is how a jam-synced generator labels frames. Nil when the
    /// frame number is not below the rate, or drop-frame is used at a rate that has none.
    public func secondsSinceMidnight(frameRate: Rational) -> Rational? {
        let nominal = Int((frameRate + Rational(999, 1000)).floor)
        guard nominal > 0, frames < nominal else { return nil }
        let clockSeconds = hours * 3600 + minutes * 60 + seconds
        guard dropFrame else { return Rational(Int128(clockSeconds)) + Rational(Int128(frames), Int128(nominal)) }
        guard frameRate.denominator == 1001, nominal % 30 == 0 else { return nil }
        let dropped = nominal / 15
        let totalMinutes = hours * 60 + minutes
        guard minutes % 10 == 0 || seconds > 0 || frames >= dropped else { return nil }
        let frameNumber = clockSeconds * nominal + frames - dropped * (totalMinutes - totalMinutes / 10)
        return Rational(Int128(frameNumber)) / frameRate
    }
}

/// The day a time-of-day timecode belongs to: midnight in the venue's zone.
public struct TimecodeDay: Sendable, Hashable {
    /// Midnight (00:00:00 of the timecode) as a UTC instant.
    public let midnight: UTCInstant

    /// `date` as `YYYY-MM-DD`, `zone` as `Z` or `±HH:MM` (the zone the timecode generator runs in).
    public init?(date: String, zone: String = "Z") {
        guard date.count == 10, let midnight = UTCInstant(iso8601: date + "T00:00:00" + zone) else { return nil }
        self.midnight = midnight
    }

    /// The UTC instant a timecode names on this day.
    public func instant(of timecode: SMPTETimecode, frameRate: Rational) -> UTCInstant? {
        timecode.secondsSinceMidnight(frameRate: frameRate).map { midnight.advanced(by: $0) }
    }
}

/// How capture instants are labelled with a time-of-day SMPTE timecode: the inverse of
/// `SMPTETimecode.secondsSinceMidnight`, so a frame placed by a stream's own timecode gets that
/// very label back, and a frame placed by any other source gets the label of its capture time.
public struct TimecodeLabeling: Sendable, Hashable {
    /// A midnight of the zone the timecode runs in (any day: only the time of day counts).
    public let midnight: UTCInstant
    public let frameRate: Rational
    /// Drop-frame counting; only at 30000/1001 and 60000/1001 fps.
    public let dropFrame: Bool
    /// Frames a label counts per second: the rate rounded up (30 at 29.97).
    private let nominal: Int128

    /// Labels at `frameRate` in the zone of `day` (UTC when nil). Drop-frame follows `dropFrame`
    /// when the stream's own labels say, and otherwise applies wherever it can (29.97, 59.94).
    public init(day: TimecodeDay?, frameRate: Rational, dropFrame: Bool? = nil) {
        midnight = day?.midnight ?? UTCInstant(secondsSinceEpoch: .zero)
        self.frameRate = frameRate
        nominal = Int128((frameRate + Rational(999, 1000)).floor)
        let possible = frameRate.denominator == 1001 && frameRate.numerator % 30000 == 0
        self.dropFrame = possible && (dropFrame ?? true)
    }

    /// The label of the frame whose capture starts at `instant`: the frame of the day that
    /// contains it. A microsecond early still counts as the next frame, because stored capture
    /// times are rounded to the microsecond.
    public func label(_ instant: UTCInstant) -> SMPTETimecode {
        let day = Rational(86_400)
        var sinceMidnight = instant.seconds(since: midnight) + Rational(1, 1_000_000)
        sinceMidnight = sinceMidnight - day * Rational((sinceMidnight / day).floor)
        guard dropFrame else {
            let whole = Int128(sinceMidnight.floor)
            let frames = min(nominal - 1, Int128(((sinceMidnight - Rational(whole)) * Rational(nominal)).floor))
            return SMPTETimecode(hours: Int(whole / 3600), minutes: Int(whole / 60 % 60), seconds: Int(whole % 60), frames: Int(frames), dropFrame: false)
        }
        // Frame count since midnight, then the labels drop-frame counting skips put back.
        let dropped = nominal / 15
        let perMinute = nominal * 60 - dropped
        let perTenMinutes = nominal * 600 - dropped * 9
        var count = Int128((sinceMidnight * frameRate).floor) % (perTenMinutes * 144)
        let tens = count / perTenMinutes
        let rest = count % perTenMinutes
        count += dropped * 9 * tens + (rest > dropped ? dropped * ((rest - dropped) / perMinute) : 0)
        let frames = count % nominal
        let seconds = count / nominal
        return SMPTETimecode(
            hours: Int(seconds / 3600 % 24), minutes: Int(seconds / 60 % 60), seconds: Int(seconds % 60), frames: Int(frames), dropFrame: true
        )
    }
}

/// What the clock needs to know about one video frame, in presentation order.
public struct FrameClockInput: Sendable, Equatable {
    /// The frame's presentation timestamp (unwrapped).
    public let pts: MediaTime
    /// Discontinuity epoch: raised by Ingest when the timestamps jump.
    public let epoch: Int
    /// When the frame's packet arrived (live inputs only).
    public let arrival: UTCInstant?
    /// The capture UTC the selected source states for exactly this frame, if it states one.
    public let reference: UTCInstant?

    /// Creates the clock's view of a frame.
    public init(pts: MediaTime, epoch: Int, arrival: UTCInstant? = nil, reference: UTCInstant? = nil) {
        self.pts = pts
        self.epoch = epoch
        self.arrival = arrival
        self.reference = reference
    }
}

/// A frame placed in UTC, and by which source.
public struct FramePlacement: Sendable, Equatable {
    /// Capture UTC of the frame.
    public let captureUTC: UTCInstant
    /// The source that produced it (a fallback may stand in until the chosen source speaks).
    public let source: ClockSource
    /// The frame starts a new anchor (first frame, new epoch, or a reference that disagreed).
    public let reanchored: Bool

    /// Creates a placement.
    public init(captureUTC: UTCInstant, source: ClockSource, reanchored: Bool) {
        self.captureUTC = captureUTC
        self.source = source
        self.reanchored = reanchored
    }
}

/// Where the arrival clock stands: for `probe`, a job's stats and its metrics.
public struct ArrivalClockState: Sendable, Equatable, Codable {
    /// The stream clock's drift against UTC, once the fit's window tells it from jitter.
    public var driftPPM: Double?
    /// How far arrivals spread above the fitted line within half a second (median over the window).
    public var jitterSeconds: Double
    /// Steps in the arrivals the fit followed (a sender that paused and went on).
    public var steps: Int
    /// Arrival minus capture of the last frame: latency plus that frame's delay.
    public var delaySeconds: Double

    /// Creates a state.
    public init(driftPPM: Double?, jitterSeconds: Double, steps: Int, delaySeconds: Double) {
        self.driftPPM = driftPPM
        self.jitterSeconds = jitterSeconds
        self.steps = steps
        self.delaySeconds = delaySeconds
    }
}

/// Turns frames into capture UTC with the chosen source. Pure: arrival times are given to it.
///
/// - Anchor: the operator's anchor for the first epoch.
/// - Sources that state frame times re-anchor on the first such frame of an epoch and whenever
///   a stated time departs from the running mapping by more than `tolerance` (a timecode jump,
///   a new segment's PDT); between statements frames follow the PTS exactly.
/// - Arrival: the lower envelope of arrival against PTS per epoch, minus the latency, reached
///   by a bounded slew from frame to frame.
/// - A new epoch with nothing stated continues from the previous frame: one frame duration
///   later, or, on a live input, as much later as the frames arrived apart (a reconnection gap).
/// - Until a stating source first speaks on a live input, arrival stands in (and says so).
public struct FrameClockEngine: Sendable {
    /// The chosen source.
    public let source: ClockSource
    /// Nominal frame duration, seconds.
    public let frameDuration: Rational
    /// How far a stated time may depart from the mapping before the mapping follows it.
    public let tolerance: Rational
    private let operatorAnchor: ClockAnchor?
    private let latency: Double
    private var mapping: (anchor: ClockAnchor, source: ClockSource)?
    private var arrivalFit: ArrivalClock
    private var epoch: Int?
    private var previous: (captureUTC: UTCInstant, arrival: UTCInstant?, source: ClockSource)?
    private var lastPTS: MediaTime?
    /// Whether the arrival fit followed a step with the current frame.
    private var arrivalStepped = false

    /// Creates an engine.
    /// - Parameters:
    ///   - anchor: required for `.anchor`; already moved onto the first epoch's timestamps.
    ///   - latency: seconds from capture to arrival (arrival source and fallback).
    ///   - tolerance: defaults to a millisecond, or half a frame for timecodes (which count whole frames).
    public init(source: ClockSource, frameRate: Rational, anchor: ClockAnchor? = nil, latency: Double = 0, tolerance: Rational? = nil) {
        precondition(frameRate > .zero, "frame rate must be positive")
        self.source = source
        frameDuration = Rational(frameRate.denominator, frameRate.numerator)
        operatorAnchor = anchor
        self.latency = latency
        let timecode = source == .pictureTiming || source == .timecodeTrack
        self.tolerance = tolerance ?? (timecode ? frameDuration / Rational(2) : Rational(1, 1000))
        arrivalFit = ArrivalClock(latency: latency)
    }

    /// Places the next frame; nil when nothing can place it (a recorded input whose chosen source
    /// has not stated a time yet).
    public mutating func place(_ frame: FrameClockInput) -> FramePlacement? {
        let newEpoch = frame.epoch != epoch
        if newEpoch {
            epoch = frame.epoch
            arrivalFit = ArrivalClock(latency: latency)
        }
        arrivalStepped = frame.arrival.map { arrivalFit.observe(pts: frame.pts, arrival: $0) } ?? false
        let placement = placement(of: frame, newEpoch: newEpoch)
        if let placement {
            previous = (placement.captureUTC, frame.arrival, placement.source)
            lastPTS = frame.pts
        }
        return placement
    }

    private mutating func placement(of frame: FrameClockInput, newEpoch: Bool) -> FramePlacement? {
        if newEpoch { mapping = nil }
        if source.statesFrameTimes, let stated = frame.reference {
            if let mapping, mapping.source == source {
                let predicted = project(frame.pts, from: mapping.anchor)
                let departure = stated.seconds(since: predicted)
                if departure <= tolerance && Rational.zero - departure <= tolerance {
                    return FramePlacement(captureUTC: predicted, source: source, reanchored: false)
                }
            }
            return anchor(frame, at: stated, source: source)
        }
        if let mapping {
            if mapping.source == .arrival, let fitted = arrivalFit.captureUTC(of: frame.pts) {
                return slewed(toward: fitted, frame.pts)
            }
            return FramePlacement(captureUTC: project(frame.pts, from: mapping.anchor), source: mapping.source, reanchored: false)
        }
        if source == .anchor, let operatorAnchor, previous == nil {
            mapping = (operatorAnchor, .anchor)
            return FramePlacement(captureUTC: project(frame.pts, from: operatorAnchor), source: .anchor, reanchored: true)
        }
        if let previous {
            // Continue from the last frame: the jump in timestamps says nothing about time, the arrivals do.
            var gap = frameDuration
            if let before = previous.arrival, let now = frame.arrival {
                let apart = now.seconds(since: before)
                if frameDuration < apart { gap = apart }
            }
            return anchor(frame, at: previous.captureUTC.advanced(by: gap), source: previous.source)
        }
        if let arrival = frame.arrival {
            return anchor(frame, at: arrival.advanced(by: Rational(Int128((latency * -1_000_000).rounded()), 1_000_000)), source: .arrival)
        }
        return nil
    }

    /// The arrival fit's capture time for a frame, reached from the previous frame's by at most
    /// `slewPerFrame` of a frame either way: the fit moves with every frame (it learns, a
    /// faster packet lowers it), but frames already out keep their times, so the frames after
    /// them close the distance smoothly and capture times only go forward. A step the fit
    /// detected (a sender that paused and went on) is taken at once, forward only.
    private func slewed(toward fitted: UTCInstant, _ pts: MediaTime) -> FramePlacement {
        guard let previous, let lastPTS else { return FramePlacement(captureUTC: fitted, source: .arrival, reanchored: false) }
        let nominal = project(pts, from: ClockAnchor(pts: lastPTS, utc: previous.captureUTC))
        let distance = Double(fitted.seconds(since: nominal))
        if arrivalStepped, distance > 0 { return FramePlacement(captureUTC: fitted, source: .arrival, reanchored: true) }
        let frames = max(1, (Double(pts.seconds - lastPTS.seconds) / Double(frameDuration)).rounded())
        let bound = Double(frameDuration) * FrameClockEngine.slewPerFrame * frames
        guard abs(distance) > bound else { return FramePlacement(captureUTC: fitted, source: .arrival, reanchored: false) }
        let step = distance < 0 ? -bound : bound
        return FramePlacement(captureUTC: nominal.advanced(by: Rational(Int128((step * 1_000_000).rounded()), 1_000_000)), source: .arrival, reanchored: false)
    }

    /// How much of a frame's duration the arrival clock may move a frame from where the previous
    /// frame's time puts it: a tenth (2 ms at 50 fps, 100 ms of correction a second).
    public static let slewPerFrame = 0.1

    /// The arrival fit's state, when the arrival clock has seen frames of this epoch.
    public var arrivalState: ArrivalClockState? {
        guard arrivalFit.observed > 0 else { return nil }
        return ArrivalClockState(
            driftPPM: arrivalFit.driftPPM, jitterSeconds: arrivalFit.jitterSeconds ?? 0, steps: arrivalFit.steps,
            delaySeconds: previous.flatMap { last in last.arrival.map { Double($0.seconds(since: last.captureUTC)) } } ?? 0
        )
    }

    /// The UTC of `pts` on the line through `anchor`. A distance within one tick of a whole
    /// number of frames is that number of frames exactly: a 90 kHz PTS cannot hold 1001/60000 s
    /// and rounds every frame by up to a tick, which must not reach the capture time.
    public func project(_ pts: MediaTime, from anchor: ClockAnchor) -> UTCInstant {
        // The usual case, a timestamp of the anchor's own stream, in integers: the distance in
        // ticks d, a frame lasting a/b ticks. Whole frames: ⌊d·b/a + ½⌋; within a tick of them
        // when |d·b − frames·a| ≤ b. (Each `Rational` operation below costs a gcd; this runs
        // for every frame.)
        let tick = pts.timeBase
        let a = frameDuration.numerator * tick.denominator, b = frameDuration.denominator * tick.numerator
        if tick == anchor.pts.timeBase, a > 0, b > 0 {
            let d = Int128(pts.ticks) - Int128(anchor.pts.ticks)
            let twice = 2 * d * b + a, unit = 2 * a
            let frames = twice / unit - (twice % unit != 0 && twice < 0 ? 1 : 0)
            let offBy = d * b - frames * a
            return anchor.utc.advanced(by: offBy.magnitude <= b.magnitude ? Rational(frames) * frameDuration : Rational(d) * tick)
        }
        let distance = pts.seconds - anchor.pts.seconds
        let frames = (distance / frameDuration + Rational(1, 2)).floor
        let snapped = Rational(frames) * frameDuration
        let error = distance - snapped
        if error <= tick && Rational.zero - error <= tick { return anchor.utc.advanced(by: snapped) }
        return anchor.utc.advanced(by: distance)
    }

    private mutating func anchor(_ frame: FrameClockInput, at utc: UTCInstant, source: ClockSource) -> FramePlacement {
        mapping = (ClockAnchor(pts: frame.pts, utc: utc), source)
        return FramePlacement(captureUTC: utc, source: source, reanchored: true)
    }
}
