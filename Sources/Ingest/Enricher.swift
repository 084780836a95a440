import Foundation
public import Overlay

/// What an enrichment run did, for the operator's summary and the job record.
public struct EnrichmentReport: Sendable, Equatable {
    /// Video frames seen and tagged, in presentation order.
    public var frames = 0
    /// Packets copied per input stream index.
    public var copiedPackets: [Int: Int] = [:]
    /// Input streams not carried into the output, with the reason.
    public var droppedStreams: [String] = []
    /// Video packets without any timestamp; passed through, but no frame clock can place them.
    public var untimedVideoPackets = 0
    /// Video packets that came without a decode timestamp and were given one (see `DecodeTimestampSynthesizer`).
    public var synthesizedDecodeTimestamps = 0
    /// The frame rate the clock used.
    public var frameRate: Rational = .zero
    /// The input's container format.
    public var inputFormat = ""
    /// The streams of the input.
    public var inputStreams: [StreamDescription] = []
}

/// A job's frame source and sink: demuxes an input, copies every stream unchanged, and adds one
/// timed-ID3 tag per video frame carrying what `tagFrame` returns for it.
public struct Enricher {
    /// The input path.
    public let inputURL: String
    /// The MPEG-TS output path.
    public let outputURL: String

    /// Creates an enrichment of `inputURL` into `outputURL`.
    public init(inputURL: String, outputURL: String) {
        self.inputURL = inputURL
        self.outputURL = outputURL
    }

    /// Runs the whole input through.
    ///
    /// - Parameters:
    ///   - anchor: the operator's clock anchor; its PTS is in the anchor's own time base.
    ///   - frameRate: overrides the stream's frame rate for frame durations.
    ///   - tagFrame: the ID3 tag for a frame; called once per frame, in presentation order.
    public func run(
        anchor: ClockAnchor, frameRate: Rational?, tagFrame: (FrameTiming) throws -> [UInt8]
    ) throws -> EnrichmentReport {
        guard outputURL.hasSuffix(".ts") else {
            throw MediaError.unsupportedOutput(url: outputURL, detail: "timed ID3 needs an MPEG-TS output; name it *.ts")
        }
        let input = try MediaInput(url: inputURL)
        var report = EnrichmentReport()
        report.inputFormat = input.formatName
        report.inputStreams = input.streams
        guard let video = input.streams.first(where: { $0.kind == .video }) else {
            throw MediaError.noVideoStream(url: inputURL)
        }
        guard let rate = frameRate ?? video.frameRate, rate > .zero else {
            throw MediaError.clock("\(inputURL) states no frame rate; give one in the clock file")
        }
        report.frameRate = rate
        var clock: CaptureClock?

        var copied: [StreamDescription] = []
        for stream in input.streams {
            if stream.isTimedID3 {
                // FFmpeg 5.1's TS demuxer drops the first 5 bytes of these PES; passing them on would corrupt them.
                report.droppedStreams.append("stream \(stream.index) (timed ID3): FFmpeg 5.1 demuxes it truncated")
            } else if stream.kind == .data || stream.kind == .other {
                report.droppedStreams.append("stream \(stream.index) (\(stream.codecName)): not carried in MPEG-TS")
            } else {
                copied.append(stream)
            }
        }
        let output = try MediaOutput(url: outputURL, input: input, copying: copied)
        // Other streams' timestamps are only unwrapped; the video stream's also become frames.
        var unwrappers = input.streams.map {
            (pts: TimestampUnwrapper(wrapBits: $0.timestampWrapBits), dts: TimestampUnwrapper(wrapBits: $0.timestampWrapBits))
        }
        var frames = VideoFrameSequencer(
            wrapBits: video.timestampWrapBits, frameTicks: Int64((Rational(1) / (rate * video.timeBase)).floor), reorderDepth: video.reorderDepth
        )
        let packet = Packet()

        func release(_ presentationTimestamps: [Int64]) throws {
            for pts in presentationTimestamps {
                let frameClock = clock ?? Enricher.clock(
                    anchor: anchor, frameRate: rate, timeBase: video.timeBase, wrapBits: video.timestampWrapBits, firstPTS: pts
                )
                clock = frameClock
                let timing = frameClock.timing(sequence: report.frames, pts: MediaTime(ticks: pts, timeBase: video.timeBase))
                try output.writeMetadata(try tagFrame(timing), pts: pts, timeBase: video.timeBase)
                report.frames += 1
            }
        }

        while try input.read(into: packet) {
            defer { packet.unreference() }
            let index = packet.streamIndex
            guard output.outputIndex[index] != nil else { continue }
            if index == video.index {
                let step = frames.push(pts: packet.pts, dts: packet.dts)
                if step.synthesized { report.synthesizedDecodeTimestamps += 1 }
                if step.pts == nil && step.dts == nil { report.untimedVideoPackets += 1 }
                try output.write(packet, inputTimeBase: video.timeBase, pts: step.pts, dts: step.dts)
                report.copiedPackets[index, default: 0] += 1
                try release(step.released)
            } else {
                let pts = packet.pts.map { unwrappers[index].pts.unwrap($0) }
                let dts = packet.dts.map { unwrappers[index].dts.unwrap($0) }
                try output.write(packet, inputTimeBase: input.streams[index].timeBase, pts: pts, dts: dts)
                report.copiedPackets[index, default: 0] += 1
            }
        }
        try release(frames.drain())
        try output.finish()
        return report
    }

    /// The frame clock, with the anchor's PTS moved by whole wrap periods to the one nearest the
    /// first frame: an operator reads the anchor off the stream as a 33-bit value, which may sit
    /// on the other side of a wrap from where Podium's unwrapped count begins.
    public static func clock(anchor: ClockAnchor, frameRate: Rational, timeBase: Rational, wrapBits: Int, firstPTS: Int64) -> CaptureClock {
        var anchor = anchor
        if anchor.pts.timeBase == timeBase {
            let ticks = TimestampUnwrapper(wrapBits: wrapBits).nearest(anchor.pts.ticks, to: firstPTS)
            anchor = ClockAnchor(pts: MediaTime(ticks: ticks, timeBase: anchor.pts.timeBase), utc: anchor.utc)
        }
        return CaptureClock(anchor: anchor, frameRate: frameRate)
    }
}
