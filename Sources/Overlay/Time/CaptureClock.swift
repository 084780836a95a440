/// A media timestamp: a tick count together with the time base that gives it meaning.
///
/// Ingest converts FFmpeg's `(int64 pts, AVRational time_base)` into this at the C edge, so the
/// rest of Podium never sees a raw tick count without its unit.
public struct MediaTime: Sendable, Hashable {
    /// Ticks of `timeBase` (for MPEG-TS, 90 kHz ticks, already unwrapped past 2^33 by Ingest).
    public let ticks: Int64
    /// Seconds per tick, e.g. 1/90000.
    public let timeBase: Rational

    /// Creates a media time of `ticks` in `timeBase` seconds per tick.
    public init(ticks: Int64, timeBase: Rational) {
        self.ticks = ticks
        self.timeBase = timeBase
    }

    /// The exact seconds this timestamp stands for on the stream's own clock.
    public var seconds: Rational { Rational(Int128(ticks)) * timeBase }
}

/// The operator's statement "the frame at PTS p was captured at UTC t".
public struct ClockAnchor: Sendable, Hashable {
    /// The anchored presentation timestamp.
    public let pts: MediaTime
    /// Its capture time.
    public let utc: UTCInstant

    /// Creates an anchor pairing `pts` with the capture instant `utc`.
    public init(pts: MediaTime, utc: UTCInstant) {
        self.pts = pts
        self.utc = utc
    }
}

/// The capture interval of one video frame and the keys every payload carries for it.
public struct FrameTiming: Sendable, Hashable {
    /// Index of the frame in presentation order, from 0.
    public let sequence: Int
    /// The frame's presentation timestamp (unwrapped).
    public let pts: MediaTime
    /// Capture UTC of the frame: the start of its capture interval.
    public let captureStart: UTCInstant
    /// The end of its capture interval (exclusive): captureStart plus the frame duration.
    public let captureEnd: UTCInstant
    /// Its time-of-day SMPTE timecode, when the clock labels frames.
    public var timecode: SMPTETimecode?

    /// Creates the timing of frame `sequence`.
    public init(sequence: Int, pts: MediaTime, captureStart: UTCInstant, captureEnd: UTCInstant, timecode: SMPTETimecode? = nil) {
        self.sequence = sequence
        self.pts = pts
        self.captureStart = captureStart
        self.captureEnd = captureEnd
        self.timecode = timecode
    }

    /// Whether an event stamped at `instant` is visible on this frame: it happened before the
    /// capture interval ended. The first such frame is the one whose interval contains the instant.
    public func shows(eventAt instant: UTCInstant) -> Bool { instant < captureEnd }
}

/// Maps presentation timestamps to capture UTC from an operator anchor, exactly.
public struct CaptureClock: Sendable, Hashable {
    /// The anchor the mapping is built on.
    public let anchor: ClockAnchor
    /// Nominal frame duration in seconds (the inverse of the frame rate).
    public let frameDuration: Rational
    /// How frames are labelled with a timecode: their capture time of day.
    public let timecodes: TimecodeLabeling

    /// Creates a clock from an anchor and the stream's frame rate in frames per second;
    /// timecodes run in the zone of `timecodeDay` (UTC when nil).
    public init(anchor: ClockAnchor, frameRate: Rational, timecodeDay: TimecodeDay? = nil) {
        precondition(frameRate > .zero, "frame rate must be positive")
        self.anchor = anchor
        self.frameDuration = Rational(frameRate.denominator, frameRate.numerator)
        timecodes = TimecodeLabeling(day: timecodeDay, frameRate: frameRate)
    }

    /// Capture UTC of the frame presented at `pts`: `anchor.utc + (pts − anchor.pts)`, exact.
    public func captureUTC(of pts: MediaTime) -> UTCInstant {
        anchor.utc.advanced(by: pts.seconds - anchor.pts.seconds)
    }

    /// The full timing of frame `sequence` presented at `pts`.
    public func timing(sequence: Int, pts: MediaTime) -> FrameTiming {
        let start = captureUTC(of: pts)
        return FrameTiming(
            sequence: sequence, pts: pts, captureStart: start, captureEnd: start.advanced(by: frameDuration), timecode: timecodes.label(start)
        )
    }
}
