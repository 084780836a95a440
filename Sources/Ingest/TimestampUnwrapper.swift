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
public struct PresentationOrder: Sendable {
    private var waiting: [Int64] = []

    /// Creates an empty queue.
    public init() {}

    /// How many frames wait for release.
    public var count: Int { waiting.count }

    /// Queues a frame presented at `pts`.
    public mutating func insert(pts: Int64) {
        // Reorder depth is a handful of frames, so a sorted insert beats a heap here.
        let index = waiting.firstIndex { $0 > pts } ?? waiting.endIndex
        waiting.insert(pts, at: index)
    }

    /// Releases, in presentation order, every frame presented at or before `decodeTimestamp`.
    public mutating func release(throughDecodeTimestamp decodeTimestamp: Int64) -> [Int64] {
        let ready = waiting.prefix { $0 <= decodeTimestamp }
        waiting.removeFirst(ready.count)
        return Array(ready)
    }

    /// Releases everything (end of input).
    public mutating func drain() -> [Int64] {
        defer { waiting.removeAll() }
        return waiting
    }
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

/// The video stream's packets turned into frames: timestamps unwrapped, a missing decode
/// timestamp supplied, and frames released in presentation order once final. One definition
/// for every reader of video packets (the enrichment and the frame listing).
public struct VideoFrameSequencer: Sendable {
    private var pts: TimestampUnwrapper
    private var dts: TimestampUnwrapper
    private var synthesizer: DecodeTimestampSynthesizer
    private var order = PresentationOrder()

    /// What one packet became.
    public struct Step: Sendable, Equatable {
        /// Unwrapped presentation timestamp, if the packet had one.
        public let pts: Int64?
        /// Unwrapped or supplied decode timestamp.
        public let dts: Int64?
        /// The decode timestamp was supplied by Podium.
        public let synthesized: Bool
        /// Frames (PTS) final in presentation order after this packet.
        public let released: [Int64]
    }

    /// Creates a sequencer for a stream wrapping at `wrapBits`, with frames of `frameTicks` reordered up to `reorderDepth` deep.
    public init(wrapBits: Int, frameTicks: Int64, reorderDepth: Int) {
        pts = TimestampUnwrapper(wrapBits: wrapBits)
        dts = TimestampUnwrapper(wrapBits: wrapBits)
        synthesizer = DecodeTimestampSynthesizer(duration: frameTicks, depth: max(reorderDepth, 2))
    }

    /// Takes the next video packet in decode order.
    public mutating func push(pts rawPTS: Int64?, dts rawDTS: Int64?) -> Step {
        let presented = rawPTS.map { pts.unwrap($0) }
        var decoded = rawDTS.map { dts.unwrap($0) }
        var synthesized = false
        if decoded == nil, let presented {
            decoded = synthesizer.decodeTimestamp(forPresentation: presented)
            synthesized = true
        }
        guard let frame = presented ?? decoded else { return Step(pts: nil, dts: nil, synthesized: false, released: []) }
        order.insert(pts: frame)
        return Step(pts: presented, dts: decoded, synthesized: synthesized, released: order.release(throughDecodeTimestamp: decoded ?? frame))
    }

    /// The frames still waiting, at the end of the input.
    public mutating func drain() -> [Int64] { order.drain() }
}
