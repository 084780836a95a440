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
    /// Upstream timed-ID3 packets that were neither a whole tag nor one FFmpeg had cut (not carried).
    public var unrepairableID3Packets = 0
    /// The frame rate the clock used.
    public var frameRate: Rational = .zero
    /// The input's container format.
    public var inputFormat = ""
    /// The streams of the input.
    public var inputStreams: [StreamDescription] = []
    /// What ingest saw: clock source, epochs, gaps, reconnections, corrupt packets.
    public var ingest = IngestStats()
}

/// A job's frame source and sink: demuxes an input, copies every stream unchanged, and adds one
/// timed-ID3 tag per video frame carrying what `tagFrame` returns for it.
public struct Enricher {
    /// The input URL or path.
    public let inputURL: String
    /// The MPEG-TS output path.
    public let outputURL: String
    /// What the input may reach and how a live input is reopened.
    public var policy: InputPolicy
    /// Stops the run from another thread.
    public var cancellation: InputCancellation

    /// Creates an enrichment of `inputURL` into `outputURL`.
    public init(inputURL: String, outputURL: String, policy: InputPolicy = InputPolicy(), cancellation: InputCancellation = InputCancellation()) {
        self.inputURL = inputURL
        self.outputURL = outputURL
        self.policy = policy
        self.cancellation = cancellation
    }

    /// Runs the whole input through with the operator's anchor.
    public func run(
        anchor: ClockAnchor, frameRate: Rational?, tagFrame: (FrameTiming) throws -> [UInt8]
    ) throws -> EnrichmentReport {
        try run(clock: ClockSettings(source: .anchor, anchor: anchor, frameRate: frameRate), tagFrame: { frame, _ in try tagFrame(frame) })
    }

    /// Runs the whole input through.
    ///
    /// - Parameters:
    ///   - clock: the clock source and what it needs.
    ///   - tagFrame: the ID3 tag for a frame; called once per frame, in presentation order, with the source that placed it.
    ///   - gap: called for every gap in the input.
    public func run(
        clock: ClockSettings, tagFrame: (FrameTiming, IngestFrame) throws -> [UInt8], gap: (InputGap) throws -> Void = { _ in }
    ) throws -> EnrichmentReport {
        guard outputURL.hasSuffix(".ts") else {
            throw MediaError.unsupportedOutput(url: outputURL, detail: "timed ID3 needs an MPEG-TS output; name it *.ts")
        }
        let session = try IngestSession(url: inputURL, policy: policy, clock: clock, cancellation: cancellation)
        var report = EnrichmentReport()
        report.inputFormat = session.formatName
        report.inputStreams = session.streams
        report.frameRate = session.frameRate
        var copied: [StreamDescription] = []
        for stream in session.streams {
            if stream.isTimedID3 {
                // Upstream timed metadata (an encoder's, a packager's) stays, on its own PID, repaired (see TimedID3Repair).
                copied.append(stream)
            } else if stream.kind == .data || stream.kind == .other {
                report.droppedStreams.append("stream \(stream.index) (\(stream.codecName)): not carried in MPEG-TS")
            } else {
                copied.append(stream)
            }
        }
        let output = try MediaOutput(url: outputURL, input: session.input, copying: copied)
        let video = session.video
        let stats = try session.run(
            packet: { packet, stream, pts, dts in
                guard output.outputIndex[stream.index] != nil else { return }
                if stream.isTimedID3 {
                    guard let pts, let tag = TimedID3Repair.restore(Array(packet.bytes)) else {
                        report.unrepairableID3Packets += 1
                        return
                    }
                    try output.writeMetadata(tag, pts: pts, timeBase: stream.timeBase, inputIndex: stream.index)
                    report.copiedPackets[stream.index, default: 0] += 1
                    return
                }
                try output.write(packet, inputIndex: stream.index, inputTimeBase: stream.timeBase, pts: pts, dts: dts)
                report.copiedPackets[stream.index, default: 0] += 1
            },
            frame: { frame in
                guard let timing = frame.timing else {
                    throw MediaError.clock("frame \(frame.index) of \(inputURL) could not be placed in time")
                }
                try output.writeMetadata(try tagFrame(timing, frame), pts: frame.outputPTS, timeBase: video.timeBase)
                report.frames += 1
            },
            gap: gap, progress: nil
        )
        try output.finish()
        report.untimedVideoPackets = stats.untimedVideoPackets
        report.synthesizedDecodeTimestamps = stats.synthesizedDecodeTimestamps
        report.ingest = stats
        return report
    }
}
