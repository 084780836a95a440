import Foundation
public import MediaFormats
public import MediaIO
public import Overlay

/// How a job's frames get their capture UTC.
public struct ClockSettings: Sendable {
    /// The chosen source; nil picks the best one present (`auto`).
    public var source: ClockSource?
    /// The operator's anchor (`anchor` source).
    public var anchor: ClockAnchor?
    /// The day (and zone) time-of-day timecodes belong to (`tmcd`, `sei-timecode`).
    public var timecodeDay: TimecodeDay?
    /// Seconds from capture to arrival (`arrival` source, and the stand-in before another source speaks).
    public var latency: Double
    /// Overrides the stream's frame rate.
    public var frameRate: Rational?
    /// A jump of the video timestamps larger than this many seconds starts a new epoch.
    public var discontinuitySeconds: Double
    /// Whether frames without any UTC are an error (enrichment) or simply listed (probing).
    public var required: Bool
    /// The time of day: a live input's arrival stamps, and a live job's "now".
    public var wallClock: any WallClock

    /// Creates settings; by default the source is chosen automatically, a UTC is required and
    /// the time of day is the machine's.
    public init(
        source: ClockSource? = nil, anchor: ClockAnchor? = nil, timecodeDay: TimecodeDay? = nil, latency: Double = 0,
        frameRate: Rational? = nil, discontinuitySeconds: Double = 1, required: Bool = true, wallClock: any WallClock = SystemClock()
    ) {
        self.wallClock = wallClock
        self.source = source
        self.anchor = anchor
        self.timecodeDay = timecodeDay
        self.latency = latency
        self.frameRate = frameRate
        self.discontinuitySeconds = discontinuitySeconds
        self.required = required
    }
}

/// One video frame, in presentation order, with everything the frame clock knows of it.
public struct IngestFrame: Sendable, Equatable {
    /// Index in the job, from 0; continues across reconnections.
    public let index: Int
    /// Timestamps, duration, keyframe flag, epoch.
    public let video: VideoFrame
    /// Seconds per tick of the video stream.
    public let timeBase: Rational
    /// The frame's PTS on the enriched output's continuous timeline (epochs joined).
    public let outputPTS: Int64
    /// Capture interval, when a clock source placed the frame.
    public let timing: FrameTiming?
    /// The source that placed it.
    public let source: ClockSource?
    /// Where the arrival clock stood after placing it, when arrival placed it.
    public var arrivalClock: ArrivalClockState? = nil
}

/// Frames that never arrived: between two frames whose capture times lie further apart than
/// one frame (a reconnection, a stall, lost packets).
public struct InputGap: Sendable, Equatable {
    /// Index of the last frame before the gap.
    public let afterFrame: Int
    /// End of the last frame's capture interval.
    public let start: UTCInstant
    /// Capture start of the first frame after the gap.
    public let end: UTCInstant
    /// Whole frames that fit in the gap.
    public let framesMissing: Int
    /// Whether the input was reopened in the gap.
    public let reconnected: Bool
}

/// What a run of an input saw.
public struct IngestStats: Sendable, Equatable {
    /// The container format name.
    public var inputFormat = ""
    /// Streams of the input (as first opened).
    public var streams: [StreamDescription] = []
    /// The clock source chosen for the job.
    public var clockSource: ClockSource?
    /// How many frames each source placed (fallbacks included).
    public var placedBy: [ClockSource: Int] = [:]
    /// Frame rate the clock used.
    public var frameRate: Rational = .zero
    /// The video stream's own frame rate when the clock was told another (a clock file of 50 fps
    /// on a 59.94 fps stream): every placed time is off, and the operator must hear of it.
    public var conflictingStreamRate: Rational?
    /// Video frames, in presentation order.
    public var frames = 0
    /// Discontinuity epochs seen (1 for a continuous input).
    public var epochs = 1
    /// Packets flagged corrupt (a continuity error: part of their data lost), carried as they
    /// are, and unreadable stretches of a recording, skipped.
    public var corruptPackets = 0
    /// Continuity breaks FFmpeg blamed on a recorded video access unit whose own packets are
    /// whole: a splice, or packets lost between two access units.
    public var breaksBetweenAccessUnits = 0
    /// Gaps, in order.
    public var gaps: [InputGap] = []
    /// Times a live input was reopened.
    public var reconnects = 0
    /// Packets passed on, per input stream index.
    public var packets: [Int: Int] = [:]
    /// Video packets with no timestamp at all.
    public var untimedVideoPackets = 0
    /// Video packets given a decode timestamp by Podium (an untimed first keyframe: both).
    public var synthesizedDecodeTimestamps = 0
    /// Where the arrival clock stood at the last frame it placed.
    public var arrivalClock: ArrivalClockState?
    /// Whether the run ended because it was cancelled.
    public var stopped = false
}

/// One input, read start to end (or until cancelled): packets in, frames out, with their clock.
///
/// Opens the input through its endpoint's whitelists and the guard, reopens a live input with
/// bounded backoff when it stalls, fails or ends, skips corrupt packets, detects timestamp
/// discontinuities (epochs), joins epochs into one continuous output timeline, and places every
/// frame in UTC with the chosen clock source.
public final class IngestSession {
    /// The checked endpoint.
    public let endpoint: InputEndpoint
    /// The streams of the input.
    public let streams: [StreamDescription]
    /// The video stream the frames come from.
    public let video: StreamDescription
    /// The container format name.
    public let formatName: String
    /// The clock source in use.
    public let clockSource: ClockSource?
    /// The frame rate used for durations and timecodes.
    public let frameRate: Rational
    /// Stops the run from any thread.
    public let cancellation: InputCancellation

    let policy: InputPolicy
    private(set) var input: MediaInput
    let settings: ClockSettings
    /// The capture instant of the first frame, from a tmcd track, when that is the clock.
    let tmcdReference: UTCInstant?
    /// Whether the tmcd track counts drop-frame, when that is the clock.
    let tmcdDropFrame: Bool?

    /// Opens `url` (a live input that is not there yet is retried per the policy).
    public init(url: String, policy: InputPolicy = InputPolicy(), clock: ClockSettings, cancellation: InputCancellation = InputCancellation()) throws(MediaError) {
        let endpoint = try InputEndpoint(url, policy: policy)
        self.endpoint = endpoint
        self.policy = policy
        self.settings = clock
        self.cancellation = cancellation
        var attempt = 0
        var opened: MediaInput?
        while opened == nil {
            let started = ContinuousClock.now
            do {
                opened = try MediaInput(guarding: InputGuard(endpoint: endpoint, policy: policy, cancellation: cancellation, wallClock: settings.wallClock))
            } catch {
                attempt += 1
                // Only a connection can be retried: a refusal, or bytes that are not media, stay so.
                guard endpoint.kind.isLive, error.isConnectionFailure, !cancellation.isCancelled,
                      policy.reconnect.maximumAttempts.map({ attempt < $0 }) ?? true else { throw error }
                IngestSession.sleep(policy.reconnect.sleep(beforeAttempt: attempt, afterAnAttemptOf: started.secondsAgo), unless: cancellation)
            }
        }
        input = opened!
        streams = input.streams
        formatName = input.formatName
        guard let video = streams.first(where: { $0.kind == .video }) else { throw .noVideoStream(url: url) }
        self.video = video
        guard let rate = clock.frameRate ?? video.frameRate, rate > .zero else {
            throw .clock("\(url) states no frame rate; give one in the clock file")
        }
        frameRate = rate
        let timecode = input.startTimecode(ofStream: video.index)
        let source = try IngestSession.chooseSource(clock, endpoint: endpoint, video: video, tmcd: timecode)
        clockSource = source
        if source == .timecodeTrack, let timecode, let day = clock.timecodeDay {
            guard let parsed = SMPTETimecode(timecode), let utc = day.instant(of: parsed, frameRate: rate) else {
                throw .clock("the tmcd start timecode \(timecode) of \(url) is not a valid timecode at \(rate) fps")
            }
            tmcdReference = utc
            tmcdDropFrame = parsed.dropFrame
        } else {
            tmcdReference = nil
            tmcdDropFrame = nil
        }
    }

    /// Reads the input through, handing out every frame, and gap; returns what was seen.
    public func run(frame: (IngestFrame) throws -> Void, gap: (InputGap) throws -> Void = { _ in }, progress: ((Double) -> Void)? = nil) throws -> IngestStats {
        try run(packet: nil, frame: frame, gap: gap, progress: progress)
    }

    /// The full loop; `packet` receives every readable packet that is passed on, with its
    /// timestamps on the output's continuous timeline (in the input stream's time base). It may
    /// take the packet's reference (`Packet.takingReference()`): the session is done with it then.
    func run(
        packet packetHandler: ((Packet, StreamDescription, Int64?, Int64?) throws -> Void)?,
        frame frameHandler: (IngestFrame) throws -> Void, gap gapHandler: (InputGap) throws -> Void, progress: ((Double) -> Void)?
    ) throws -> IngestStats {
        // The loop keeps the handlers only while it runs, and it ends before this returns.
        try withoutActuallyEscaping(frameHandler) { frameHandler in
            try withoutActuallyEscaping(gapHandler) { gapHandler in
                var loop = try IngestReadLoop(
                    session: self, handlers: .init(packet: packetHandler, frame: frameHandler, gap: gapHandler, progress: progress)
                )
                return try loop.run()
            }
        }
    }

    /// Reopens a live input with backoff; the new streams are matched to the first ones by kind and order.
    /// Returns false when the job was cancelled while waiting.
    func reopen(after reason: String, stats: inout IngestStats, streamMap: inout [Int: Int]) throws(MediaError) -> Bool {
        var attempt = 0
        // The first attempt waits the whole first delay after the loss.
        var previousAttemptSeconds = 0.0
        while true {
            attempt += 1
            if let limit = policy.reconnect.maximumAttempts, attempt > limit {
                throw .inputLost(url: endpoint.url, attempts: attempt - 1, lastError: reason)
            }
            input.close()
            IngestSession.sleep(policy.reconnect.sleep(beforeAttempt: attempt, afterAnAttemptOf: previousAttemptSeconds), unless: cancellation)
            if cancellation.isCancelled { return false }
            let started = ContinuousClock.now
            defer { previousAttemptSeconds = started.secondsAgo }
            do {
                let reopened = try MediaInput(guarding: InputGuard(endpoint: endpoint, policy: policy, cancellation: cancellation, wallClock: settings.wallClock))
                streamMap = IngestSession.match(reopened.streams, to: streams)
                input = reopened
                stats.reconnects += 1
                return true
            } catch {
                if error.isRefusal { throw error }
                if cancellation.isCancelled { return false }
            }
        }
    }

    static func match(_ new: [StreamDescription], to original: [StreamDescription]) -> [Int: Int] {
        var map: [Int: Int] = [:]
        for kind in [StreamKind.video, .audio, .subtitle, .data, .other] {
            let before = original.filter { $0.kind == kind }
            let after = new.filter { $0.kind == kind }
            for (newStream, oldStream) in zip(after, before) where newStream.codecName == oldStream.codecName {
                map[newStream.index] = oldStream.index
            }
        }
        return map
    }

    /// The operator's anchor moved by whole wrap periods to the representation nearest the first
    /// frame: an operator reads it off the stream as a 33-bit value, which may sit on the other
    /// side of a wrap from where Podium's unwrapped count begins.
    func adjusted(_ anchor: ClockAnchor, toFrameAt firstPTS: Int64) -> ClockAnchor {
        guard anchor.pts.timeBase == video.timeBase else { return anchor }
        let ticks = TimestampUnwrapper(wrapBits: video.timestampWrapBits).nearest(anchor.pts.ticks, to: firstPTS)
        return ClockAnchor(pts: MediaTime(ticks: ticks, timeBase: anchor.pts.timeBase), utc: anchor.utc)
    }

    private static func chooseSource(_ settings: ClockSettings, endpoint: InputEndpoint, video: StreamDescription, tmcd: String?) throws(MediaError) -> ClockSource? {
        let name = endpoint.url
        if let chosen = settings.source {
            switch chosen {
            case .anchor where settings.anchor == nil:
                throw .clock("the anchor source needs an anchor (a clock file)")
            case .timecodeTrack where tmcd == nil:
                throw .clock("\(name) has no tmcd start timecode")
            case .timecodeTrack where settings.timecodeDay == nil, .pictureTiming where settings.timecodeDay == nil:
                throw .clock("the \(chosen) source needs the date the timecodes belong to (--timecode-date)")
            case .pictureTiming where !["h264", "hevc"].contains(video.codecName):
                throw .clock("picture-timing timecodes are read from H.264 or HEVC, not \(video.codecName)")
            case .producerReference where endpoint.kind != .rtsp:
                throw .clock("producer reference times come with RTSP inputs; \(name) is \(endpoint.kind.rawValue)")
            case .programDateTime where endpoint.kind != .hls:
                throw .clock("program date-times come with HLS inputs; \(name) is \(endpoint.kind.rawValue)")
            case .arrival where !endpoint.kind.isLive:
                throw .clock("arrival times mean nothing for a recorded \(endpoint.kind.rawValue) input")
            default:
                return chosen
            }
        }
        if settings.anchor != nil { return .anchor }
        if tmcd != nil, settings.timecodeDay != nil { return .timecodeTrack }
        if endpoint.kind == .hls { return .programDateTime }
        if endpoint.kind == .rtsp { return .producerReference }
        if endpoint.kind.isLive { return .arrival }
        guard settings.required else { return nil }
        let hint = tmcd.map { " (it has a tmcd start timecode \($0): give --timecode-date)" } ?? ""
        throw .clock("\(name) carries no clock Podium can use\(hint); give an anchor (--clock FILE) or choose sei-timecode with --timecode-date")
    }

    /// A read that waits this long for data has found the input silent.
    public static let silentReadSeconds = Rational(1, 2)

    /// When a live packet arrived, given when the read that returned it started and ended. A
    /// demuxer hands out a packet once the next one begins: when the input falls silent, the
    /// last packet comes out only as the read gives up, seconds after its bytes came. A read
    /// that waited that long returned bytes that were there when it began.
    public static func arrival(ofPacketReadFrom started: UTCInstant?, to ended: UTCInstant?) -> UTCInstant? {
        guard let started, let ended else { return ended }
        return ended.seconds(since: started) > silentReadSeconds ? started : ended
    }

    /// Sleeps in short slices so a cancelled job does not wait out a long backoff.
    static func sleep(_ seconds: Double, unless cancellation: InputCancellation) {
        var remaining = seconds
        while remaining > 0, !cancellation.isCancelled {
            let slice = min(remaining, 0.05)
            usleep(UInt32(slice * 1_000_000))
            remaining -= slice
        }
    }
}

extension VideoFrame {
    /// The same frame with the capture UTC its clock source states (nil keeps the one it has).
    func with(reference stated: UTCInstant?) -> VideoFrame {
        guard let stated else { return self }
        return VideoFrame(pts: pts, dts: dts, duration: duration, keyframe: keyframe, epoch: epoch, arrival: arrival, reference: stated)
    }
}

extension IngestSession {
    /// Whether two frame rates differ by more than 0.1 % (59.94 against 60 does; a container's
    /// rounding of 30000/1001 does not).
    static func ratesDiffer(_ first: Rational, _ second: Rational) -> Bool {
        guard second > .zero else { return false }
        let ratio = first / second
        return ratio > Rational(1001, 1000) || ratio < Rational(999, 1000)
    }
}

extension ContinuousClock.Instant {
    /// Seconds from this instant to now.
    var secondsAgo: Double {
        let elapsed = ContinuousClock.now - self
        return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    }
}
