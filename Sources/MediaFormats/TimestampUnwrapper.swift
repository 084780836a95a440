public import Overlay

/// Unwraps timestamps that a container stores modulo 2^bits (MPEG-TS: 33 bits, about 26.5 h at 90 kHz).
///
/// Each raw value is moved by the multiple of 2^bits that lands it closest to the previous
/// unwrapped value, so it is correct whether or not the demuxer already corrected one period,
/// and a 24/7 feed keeps counting past any number of wraps. Pure; no FFmpeg.
public struct TimestampUnwrapper: Sendable {
    private let period: Int64
    private var last: Int64?

    /// Creates an unwrapper for timestamps of `wrapBits` bits (64 or more means no wrapping).
    public init(wrapBits: Int) {
        period = wrapBits >= 63 ? 0 : Int64(1) << wrapBits
    }

    /// The unwrapped value of `raw`.
    ///
    /// The first value is brought into [0, 2^bits): FFmpeg hands out values from before a wrap as
    /// negative numbers once it has seen the wrap coming, but the container's own value, the one
    /// written in the stream and the one an operator reads off it, is never negative.
    public mutating func unwrap(_ raw: Int64) -> Int64 {
        guard period > 0 else { return raw }
        guard let last else {
            let first = raw - raw.floorDivided(by: period) * period
            self.last = first
            return first
        }
        let value = TimestampUnwrapper.nearest(raw, to: last, period: period)
        self.last = value
        return value
    }

    /// `raw + k·2^bits` for the k that lands closest to `reference`.
    public func nearest(_ raw: Int64, to reference: Int64) -> Int64 {
        period > 0 ? TimestampUnwrapper.nearest(raw, to: reference, period: period) : raw
    }

    private static func nearest(_ raw: Int64, to reference: Int64, period: Int64) -> Int64 {
        raw + (reference - raw + period / 2).floorDivided(by: period) * period
    }
}

extension Int64 {
    fileprivate func floorDivided(by divisor: Int64) -> Int64 {
        let quotient = self / divisor
        return (self % divisor != 0 && (self < 0) != (divisor < 0)) ? quotient - 1 : quotient
    }
}

/// Puts video frames, read in decode order, back into presentation order.
///
/// Once a packet with decode timestamp d has been read, no later packet can present before d
/// (PTS ≥ DTS, and DTS only grows), so every frame with PTS ≤ d is final in order and can be
/// released. This is also what the MPEG-TS muxer needs: the metadata stream's timestamps
/// must increase, and the video stream's DTS must already have passed them.
public struct PresentationOrder<Frame: Sendable>: Sendable {
    private var waiting: [(pts: Int64, frame: Frame)] = []

    /// Creates an empty queue.
    public init() {}

    /// How many frames wait for release.
    public var count: Int { waiting.count }

    /// Queues `frame`, presented at `pts`.
    public mutating func insert(pts: Int64, frame: Frame) {
        // Reorder depth is a handful of frames, so a sorted insert beats a heap here.
        let index = waiting.firstIndex { $0.pts > pts } ?? waiting.endIndex
        waiting.insert((pts, frame), at: index)
    }

    /// Releases, in presentation order, every frame presented at or before `decodeTimestamp`.
    public mutating func release(throughDecodeTimestamp decodeTimestamp: Int64) -> [Frame] {
        let ready = waiting.prefix { $0.pts <= decodeTimestamp }.map(\.frame)
        waiting.removeFirst(ready.count)
        return ready
    }

    /// Releases, in presentation order, the frames that follow `previous` (the PTS of the last
    /// frame released) one frame interval (`frameTicks`) apart: no frame can come between two
    /// pictures one interval apart, so each is final as soon as it is read, before the decode
    /// timestamp reaches it. Stops at the first wider step (a frame still to come, or one lost),
    /// which waits for `release(throughDecodeTimestamp:)` as before.
    public mutating func releaseContiguous(after previous: Int64, frameTicks: Int64) -> [Frame] {
        // A sixteenth of a frame covers the alternating 1,501/1,502 ticks of 59.94 fps at 90 kHz;
        // a frame between two others is at least half an interval from each.
        let slack = max(1, frameTicks / 16)
        var last = previous
        let ready = waiting.prefix { entry in
            guard abs(entry.pts - last - frameTicks) <= slack else { return false }
            last = entry.pts
            return true
        }.map(\.frame)
        waiting.removeFirst(ready.count)
        return ready
    }

    /// Releases everything (end of input, or the end of an epoch).
    public mutating func drain() -> [Frame] {
        defer { waiting.removeAll() }
        return waiting.map(\.frame)
    }
}

extension PresentationOrder where Frame == Int64 {
    /// Queues a frame known by its PTS alone.
    public mutating func insert(pts: Int64) { insert(pts: pts, frame: pts) }
}

/// Decode timestamps for video packets that arrive without one (Matroska and some RTMP sources
/// carry only presentation times).
///
/// The n-th packet in decode order gets `first PTS − depth × duration + n × duration`: it grows
/// by one frame per packet and, with the codec's reorder depth, stays at or below every later
/// packet's PTS for constant-rate video. Should a packet's PTS still fall below it (a variable
/// rate), the sequence is pulled down to that PTS and continues from there, so it never
/// decreases and never exceeds the PTS of the packet it is given to.
public struct DecodeTimestampSynthesizer: Sendable {
    private let duration: Int64
    private let depth: Int64
    private var next: Int64?

    /// Creates a synthesizer for frames of `duration` ticks reordered up to `depth` frames deep.
    public init(duration: Int64, depth: Int) {
        self.duration = max(1, duration)
        self.depth = Int64(max(0, depth))
    }

    /// The decode timestamp of the next packet, presented at `pts`.
    public mutating func decodeTimestamp(forPresentation pts: Int64) -> Int64 {
        var value = next ?? pts - depth * duration
        if value > pts { value = pts }
        next = value + duration
        return value
    }
}

/// One video frame as Ingest knows it once its packet has been read.
public struct VideoFrame: Sendable, Equatable {
    /// Presentation timestamp, unwrapped to 64 bits by Podium.
    public let pts: Int64
    /// Decode timestamp (unwrapped, or supplied when the packet had none).
    public let dts: Int64
    /// Duration in stream ticks (the packet's, or one nominal frame).
    public let duration: Int64
    /// Whether the packet is a keyframe.
    public let keyframe: Bool
    /// Discontinuity epoch: 0 at the start, raised at every timestamp jump and every reconnection.
    public let epoch: Int
    /// When the packet arrived (live inputs).
    public let arrival: UTCInstant?
    /// The capture UTC the chosen clock source states for this frame, if any.
    public let reference: UTCInstant?

    /// A frame with every field given.
    package init(pts: Int64, dts: Int64, duration: Int64, keyframe: Bool, epoch: Int, arrival: UTCInstant?, reference: UTCInstant?) {
        self.pts = pts
        self.dts = dts
        self.duration = duration
        self.keyframe = keyframe
        self.epoch = epoch
        self.arrival = arrival
        self.reference = reference
    }
}

/// The video stream's packets turned into frames: timestamps unwrapped, a missing decode
/// timestamp supplied, discontinuities detected, and frames released in presentation order
/// once final. One definition for every reader of video packets.
///
/// A decode timestamp that jumps forward by more than `discontinuityTicks`, or back by more
/// than a frame, starts a new epoch: the frames of the old epoch are all released first (their
/// order cannot mix with the new timestamps), then counting starts afresh.
public struct VideoFrameSequencer: Sendable {
    private let wrapBits: Int
    private let frameTicks: Int64
    private let reorderDepth: Int
    private let discontinuityTicks: Int64
    private var pts: TimestampUnwrapper
    private var dts: TimestampUnwrapper
    private var synthesizer: DecodeTimestampSynthesizer
    private var order = PresentationOrder<VideoFrame>()
    private var lastDecode: Int64?
    /// The PTS of the last frame released in this epoch.
    private var lastReleased: Int64?
    /// The epoch of the frames being read; `startEpoch()` and timestamp jumps raise it.
    public private(set) var epoch = 0

    /// What one packet became.
    public struct Step: Sendable, Equatable {
        /// Unwrapped presentation timestamp, if the packet had one.
        public let pts: Int64?
        /// Unwrapped or supplied decode timestamp.
        public let dts: Int64?
        /// The decode timestamp was supplied by Podium.
        public let synthesized: Bool
        /// The packet started a new epoch.
        public let newEpoch: Bool
        /// Frames final in presentation order after this packet.
        public let released: [VideoFrame]
    }

    /// Creates a sequencer for a stream wrapping at `wrapBits`, with frames of `frameTicks`
    /// reordered up to `reorderDepth` deep; `discontinuityTicks` (default: 1 s at 90 kHz scaled
    /// to 50 frames) is the forward jump that starts a new epoch.
    public init(wrapBits: Int, frameTicks: Int64, reorderDepth: Int, discontinuityTicks: Int64? = nil) {
        self.wrapBits = wrapBits
        self.frameTicks = max(1, frameTicks)
        self.reorderDepth = reorderDepth
        self.discontinuityTicks = discontinuityTicks ?? max(1, frameTicks) * 50
        pts = TimestampUnwrapper(wrapBits: wrapBits)
        dts = TimestampUnwrapper(wrapBits: wrapBits)
        synthesizer = DecodeTimestampSynthesizer(duration: frameTicks, depth: max(reorderDepth, 2))
    }

    /// Takes the next video packet in decode order.
    public mutating func push(
        pts rawPTS: Int64?, dts rawDTS: Int64?, duration: Int64 = 0, keyframe: Bool = false,
        arrival: UTCInstant? = nil, reference: UTCInstant? = nil
    ) -> Step {
        var presented = rawPTS.map { pts.unwrap($0) }
        var decoded = rawDTS.map { dts.unwrap($0) }
        var released: [VideoFrame] = []
        var newEpoch = false
        var synthesized = false
        func jumps(_ time: Int64, from last: Int64, slack: Int64) -> Bool {
            time - last > discontinuityTicks || last - time > slack
        }
        // A decode timestamp that jumps where its own presentation timestamp does not is damaged
        // (bytes flipped in a PES header): a real discontinuity moves both. It is replaced by the
        // next decode time it stands for, so one bad header neither starts two epochs nor
        // releases a frame out of order.
        if let lastDecode, let presentedTime = presented, let decodedTime = decoded,
           jumps(decodedTime, from: lastDecode, slack: frameTicks + frameTicks / 2) || decodedTime > presentedTime,
           !jumps(presentedTime, from: lastDecode, slack: frameTicks * Int64(reorderDepth + 2)) {
            decoded = max(lastDecode, min(presentedTime, lastDecode + frameTicks))
            synthesized = true
        }
        if let check = decoded ?? presented, let lastDecode, jumps(check, from: lastDecode, slack: frameTicks + frameTicks / 2) {
            released = startEpoch()
            newEpoch = true
            presented = rawPTS.map { pts.unwrap($0) }
            decoded = rawDTS.map { dts.unwrap($0) }
        }
        if decoded == nil, let presented {
            decoded = synthesizer.decodeTimestamp(forPresentation: presented)
            synthesized = true
        }
        guard let frame = presented ?? decoded, let decodeTime = decoded else {
            return Step(pts: nil, dts: nil, synthesized: false, newEpoch: newEpoch, released: released)
        }
        lastDecode = decodeTime
        order.insert(pts: frame, frame: VideoFrame(
            pts: frame, dts: decodeTime, duration: duration > 0 ? duration : frameTicks, keyframe: keyframe,
            epoch: epoch, arrival: arrival, reference: reference
        ))
        var ready = order.release(throughDecodeTimestamp: decodeTime)
        // A live follower should not wait the reorder depth (two or three frames of B-pictures)
        // for a frame that is already certain to be next.
        if let previous = ready.last?.pts ?? lastReleased {
            ready += order.releaseContiguous(after: previous, frameTicks: frameTicks)
        }
        if let last = ready.last { lastReleased = last.pts }
        released += ready
        return Step(pts: presented, dts: decoded, synthesized: synthesized, newEpoch: newEpoch, released: released)
    }

    /// Ends the current epoch (a timestamp jump, or a reopened input): releases every waiting
    /// frame and starts counting timestamps afresh.
    public mutating func startEpoch() -> [VideoFrame] {
        let released = order.drain()
        epoch += 1
        pts = TimestampUnwrapper(wrapBits: wrapBits)
        dts = TimestampUnwrapper(wrapBits: wrapBits)
        synthesizer = DecodeTimestampSynthesizer(duration: frameTicks, depth: max(reorderDepth, 2))
        lastDecode = nil
        lastReleased = nil
        return released
    }

    /// The frames still waiting, at the end of the input.
    public mutating func drain() -> [VideoFrame] { order.drain() }
}
