import MediaFormats
import Overlay

/// Joins epochs into one continuous output timeline: each epoch's timestamps are shifted so
/// its first packet lands just after everything written before (plus a margin, because the
/// streams of a new epoch do not start at exactly the same instant). Streams other than video
/// detect their own jumps; the first stream to reach a new epoch fixes its shift for all.
struct EpochJoiner {
    private let timeBases: [Rational]
    private let wrapBits: [Int]
    private let margin: Rational
    private var offsets: [Rational?] = [.zero]
    private var streamEpoch: [Int]
    private var unwrappers: [(pts: TimestampUnwrapper, dts: TimestampUnwrapper)]
    private var lastDecode: [Int64?]
    /// The latest output instant placed with a shift (exact).
    private var shiftedEnd: Rational?
    /// Per stream, the highest output tick placed without a shift: its instant is exactly tick × time base.
    private var highestUnshifted: [Int64?]

    init(streams: [StreamDescription], margin: Rational) {
        timeBases = streams.map(\.timeBase)
        wrapBits = streams.map(\.timestampWrapBits)
        self.margin = margin
        streamEpoch = streams.map { _ in 0 }
        unwrappers = streams.map { (TimestampUnwrapper(wrapBits: $0.timestampWrapBits), TimestampUnwrapper(wrapBits: $0.timestampWrapBits)) }
        lastDecode = streams.map { _ in nil }
        highestUnshifted = streams.map { _ in nil }
    }

    /// A new epoch for every stream at once (the input was reopened).
    mutating func startEpoch() {
        offsets.append(nil)
        for index in streamEpoch.indices {
            streamEpoch[index] = offsets.count - 1
            unwrappers[index] = (TimestampUnwrapper(wrapBits: wrapBits[index]), TimestampUnwrapper(wrapBits: wrapBits[index]))
            lastDecode[index] = nil
        }
    }

    /// Output ticks of an (unwrapped, epoch-local) timestamp of `stream` in `epoch`.
    mutating func outputTicks(_ ticks: Int64, stream: Int, epoch: Int) -> Int64 {
        while offsets.count <= epoch { offsets.append(nil) }
        streamEpoch[stream] = max(streamEpoch[stream], epoch)
        let offset = offsets[epoch] ?? fixOffset(epoch: epoch, startingAt: Rational(Int128(ticks)) * timeBases[stream])
        if offset.numerator == 0 {
            // The usual case (the first epoch, from a recording's start): the output is the input,
            // and a packet costs no rational arithmetic.
            highestUnshifted[stream] = max(highestUnshifted[stream] ?? ticks, ticks)
            return ticks
        }
        let output = Rational(Int128(ticks)) * timeBases[stream] + offset
        if shiftedEnd == nil || shiftedEnd! < output { shiftedEnd = output }
        return Int64(((output / timeBases[stream]) + Rational(1, 2)).floor)
    }

    /// The latest output instant placed so far, every stream and epoch.
    private var end: Rational? {
        var latest = shiftedEnd
        for (stream, ticks) in highestUnshifted.enumerated() {
            guard let ticks else { continue }
            let instant = Rational(Int128(ticks)) * timeBases[stream]
            if latest == nil || latest! < instant { latest = instant }
        }
        return latest
    }

    /// Unwraps a non-video packet's timestamps, detecting its own jumps, and places them on the output timeline.
    mutating func place(pts rawPTS: Int64?, dts rawDTS: Int64?, duration: Int64, stream: Int) -> (Int64?, Int64?) {
        var pts = rawPTS.map { unwrappers[stream].pts.unwrap($0) }
        var dts = rawDTS.map { unwrappers[stream].dts.unwrap($0) }
        if let now = dts ?? pts, let last = lastDecode[stream] {
            // A jump of more than 1 s forward or 0.1 s back, compared over the time base's denominator.
            let jump = Int128(now - last) * timeBases[stream].numerator, second = timeBases[stream].denominator
            if jump > second || jump * 10 < -second {
                streamEpoch[stream] += 1
                unwrappers[stream] = (TimestampUnwrapper(wrapBits: wrapBits[stream]), TimestampUnwrapper(wrapBits: wrapBits[stream]))
                pts = rawPTS.map { unwrappers[stream].pts.unwrap($0) }
                dts = rawDTS.map { unwrappers[stream].dts.unwrap($0) }
            }
        }
        lastDecode[stream] = dts ?? pts ?? lastDecode[stream]
        let epoch = streamEpoch[stream]
        return (pts.map { outputTicks($0, stream: stream, epoch: epoch) }, dts.map { outputTicks($0, stream: stream, epoch: epoch) })
    }

    private mutating func fixOffset(epoch: Int, startingAt seconds: Rational) -> Rational {
        let offset = (end ?? seconds) + margin - seconds
        offsets[epoch] = offset
        return offset
    }
}
