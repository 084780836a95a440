import Foundation
public import MediaFormats
import MediaIO
public import Overlay

/// What an enrichment run did, for the operator's summary and the job record.
public struct EnrichmentReport: Sendable, Equatable {
    /// Video frames seen, in presentation order.
    public var frames = 0
    /// Frames that carried an overlay.
    public var tagged = 0
    /// Packets copied per input stream index.
    public var copiedPackets: [Int: Int] = [:]
    /// Input streams not carried into the outputs, with the reason.
    public var droppedStreams: [String] = []
    /// Video packets without any timestamp; passed through, but no frame clock can place them.
    public var untimedVideoPackets = 0
    /// Video packets that came without a decode timestamp and were given one (see `DecodeTimestampSynthesizer`).
    public var synthesizedDecodeTimestamps = 0
    /// Upstream timed-ID3 packets that were neither a whole tag nor one FFmpeg had cut (not carried).
    public var unrepairableID3Packets = 0
    /// Access units in which no slice was found, so no SEI could be placed before it.
    public var accessUnitsWithoutSlice = 0
    /// The frame rate the clock used.
    public var frameRate: Rational = .zero
    /// The input's container format.
    public var inputFormat = ""
    /// The streams of the input.
    public var inputStreams: [StreamDescription] = []
    /// What ingest saw: clock source, epochs, gaps, reconnections, corrupt packets.
    public var ingest = IngestStats()
    /// What each output did: written, dropped, reopened, failure, added latency.
    public var outputs: [OutputStats] = []
}

/// What one frame carries in band, computed when the frame leaves the look-ahead buffer.
public struct FrameCarriage: Sendable, Equatable {
    /// The timed-ID3 tag (MPEG-TS outputs), or nil.
    public var id3Tag: [UInt8]?
    /// The SEI payload (after Podium's UUID), or nil.
    public var seiPayload: [UInt8]?
    /// Race moments that first show on this frame (HLS `EXT-X-DATERANGE`).
    public var markers: [RaceMarker]
    /// Race windows that close and open on this frame (HLS `EXT-X-DATERANGE` with an end).
    public var windows: [RaceWindowEdge]
    /// What the payload shows (`CueSignature`), for outputs that send cues on change; nil when
    /// not computed (every output then gets this frame's cue).
    public var cueSignature: Int?

    /// A carriage of explicit bytes.
    public init(
        id3Tag: [UInt8]? = nil, seiPayload: [UInt8]? = nil, markers: [RaceMarker] = [], windows: [RaceWindowEdge] = [], cueSignature: Int? = nil
    ) {
        self.id3Tag = id3Tag
        self.seiPayload = seiPayload
        self.markers = markers
        self.windows = windows
        self.cueSignature = cueSignature
    }

    /// The same payload in each of `carriers`.
    public init(
        _ payload: InBandPayload, carriers: Carriers, markers: [RaceMarker] = [], windows: [RaceWindowEdge] = [], cueSignature: Int? = nil
    ) throws(ID3TagError) {
        self.init(
            id3Tag: carriers.contains(.id3) ? try payload.id3Tag() : nil,
            seiPayload: carriers.contains(.sei) ? payload.json : nil,
            markers: markers, windows: windows, cueSignature: cueSignature
        )
    }
}

/// How a job carries and delivers its frames.
public struct EnrichmentSettings: Sendable {
    /// The in-band carriers.
    public var carriers: Carriers
    /// Seconds a frame waits before its overlay is computed, so data arriving within it still
    /// lands on its exact frame (live inputs; a recording uses its receipt times instead).
    public var lookahead: Double
    /// Packets an output may have waiting before its policy applies.
    public var queueCapacity: Int
    /// Seconds per HLS segment (cut at the first keyframe after it).
    public var hlsTargetDuration: Double
    /// Segments in a live HLS playlist.
    public var hlsWindow: Int
    /// Which frames get a timed-ID3 cue, for every output; nil gives each output its standard
    /// mode (`CueMode.standard(for:)`). SEI goes in every frame whatever the mode.
    public var cues: CueMode?

    /// The cue mode of `target`.
    public func cueMode(for target: OutputTarget) -> CueMode { cues ?? CueMode.standard(for: target) }

    /// Timed ID3 only, no look-ahead.
    public init(carriers: Carriers = .id3, lookahead: Double = 0, queueCapacity: Int = 4096, hlsTargetDuration: Double = 2, hlsWindow: Int = 6) {
        self.carriers = carriers
        self.lookahead = lookahead
        self.queueCapacity = queueCapacity
        self.hlsTargetDuration = hlsTargetDuration
        self.hlsWindow = hlsWindow
    }
}

/// A job's frame source and sinks: demuxes an input, copies every stream unchanged to every
/// output, and adds to each video frame what `carry` returns for it (timed ID3 on its own PID,
/// SEI inside the access unit).
///
/// Source → look-ahead → overlay → carriers → one bounded queue and thread per output.
public struct Enricher: Sendable {
    /// The input URL or path.
    public let inputURL: String
    /// Where the enriched copies go.
    public let outputs: [OutputTarget]
    /// Carriers, look-ahead, queues.
    public var settings: EnrichmentSettings
    /// What the input may reach and how a live input is reopened.
    public var policy: InputPolicy
    /// Stops the run from another thread.
    public var cancellation: InputCancellation

    /// Creates an enrichment of `inputURL` into `outputs`.
    public init(inputURL: String, outputs: [OutputTarget], settings: EnrichmentSettings = EnrichmentSettings(), policy: InputPolicy = InputPolicy(), cancellation: InputCancellation = InputCancellation()) {
        self.inputURL = inputURL
        self.outputs = outputs
        self.settings = settings
        self.policy = policy
        self.cancellation = cancellation
    }

    /// Creates an enrichment of `inputURL` into one MPEG-TS file with timed ID3.
    public init(inputURL: String, outputURL: String, policy: InputPolicy = InputPolicy(), cancellation: InputCancellation = InputCancellation()) throws(MediaError) {
        self.init(inputURL: inputURL, outputs: [try OutputTarget(outputURL)], policy: policy, cancellation: cancellation)
    }

    /// Runs the whole input through with the operator's anchor; `tagFrame` gives each frame's ID3 tag.
    public func run(
        anchor: ClockAnchor, frameRate: Rational?, tagFrame: @escaping @Sendable (FrameTiming) throws -> [UInt8]
    ) throws -> EnrichmentReport {
        try run(
            clock: ClockSettings(source: .anchor, anchor: anchor, frameRate: frameRate),
            carrier: CarryingFunction { timing, _, _ in FrameCarriage(id3Tag: try tagFrame(timing)) }
        )
    }

    /// Runs the whole input through, each frame carried by `carry` (a carrier that keeps no state
    /// of its own; see `FrameCarrying`).
    public func run(
        clock: ClockSettings, opening: InputOpening? = nil, carry: @escaping @Sendable (FrameTiming, IngestFrame, UTCInstant) throws -> FrameCarriage,
        gap: (InputGap) throws -> Void = { _ in }, progress: ((Double) -> Void)? = nil, health: (([OutputHealth]) -> Void)? = nil
    ) throws -> EnrichmentReport {
        try run(clock: clock, opening: opening, carrier: CarryingFunction(carry), gap: gap, progress: progress, health: health)
    }

    /// Runs the whole input through.
    ///
    /// - Parameters:
    ///   - clock: the clock source and what it needs.
    ///   - opening: the input being opened already, with the same settings (see `InputOpening`).
    ///   - carry: what a frame carries; called once per placed frame, in presentation order,
    ///     with the instant up to which results count as known for it: the wall clock when the
    ///     frame leaves the look-ahead (live), or its capture time plus latency and look-ahead (a recording).
    ///   - gap: called for every gap in the input.
    ///   - progress: fraction of a file read, now and then.
    ///   - health: the outputs' queues and counts, about once a second.
    public func run(
        clock: ClockSettings, opening: InputOpening? = nil, carrier: some FrameCarrying,
        gap: (InputGap) throws -> Void = { _ in }, progress: ((Double) -> Void)? = nil,
        health: (([OutputHealth]) -> Void)? = nil
    ) throws -> EnrichmentReport {
        guard !outputs.isEmpty else { throw MediaError.unsupportedOutput(url: inputURL, detail: "no output given") }
        var seen: Set<String> = []
        for output in outputs {
            try output.check(carriers: settings.carriers)
            // Two muxers on one file (or one port) would interleave garbage.
            guard seen.insert(output.location).inserted else {
                throw MediaError.unsupportedOutput(url: output.text, detail: "this output is given twice")
            }
        }
        let session = if let opening, opening.url == inputURL {
            try opening.session()
        } else {
            try IngestSession(url: inputURL, policy: policy, clock: clock, cancellation: cancellation)
        }
        var report = EnrichmentReport()
        report.inputFormat = session.formatName
        report.inputStreams = session.streams
        report.frameRate = session.frameRate
        var copied: [StreamDescription] = []
        for stream in session.streams {
            if stream.kind == .data && !stream.isTimedID3 || stream.kind == .other {
                report.droppedStreams.append("stream \(stream.index) (\(stream.codecName)): not carried")
            } else {
                // Upstream timed metadata (an encoder's, a packager's) stays, on its own PID, repaired (see TimedID3Repair).
                copied.append(stream)
            }
        }
        let video = session.video
        let layout = StreamLayout(input: session.input, copying: copied, video: video)
        if settings.carriers.contains(.sei), layout.seiTarget == nil {
            throw MediaError.unsupportedOutput(url: inputURL, detail: "the SEI carrier needs H.264 or HEVC video; this video is \(video.codecName)")
        }
        let live = session.endpoint.kind.isLive
        let workers = try startWorkers(layout: layout, live: live)
        var pipeline = CarriagePipeline(
            video: video, layout: layout, workers: workers, live: live, wallClock: clock.wallClock, lookahead: settings.lookahead, latency: clock.latency,
            holdVideo: settings.carriers.contains(.sei) || outputs.contains { $0.kind == .hls },
            carryID3: settings.carriers.contains(.id3)
        )
        var lastHealth = DispatchTime.now().uptimeNanoseconds
        do {
            let stats = try {
                let worker = live ? nil : CarryWorker(carrier: carrier)
                pipeline.worker = worker
                var finished = false
                defer {
                    worker?.close(discarding: !finished)
                    pipeline.worker = nil
                }
                let stats = try session.run(
                    packet: { packet, stream, pts, dts in
                        let readAt = DispatchTime.now().uptimeNanoseconds
                        let copy: Packet
                        if stream.isTimedID3 {
                            guard pts != nil, let tag = TimedID3Repair.restore(Array(packet.bytes)) else {
                                report.unrepairableID3Packets += 1
                                return
                            }
                            copy = try packet.replacingData(with: tag)
                        } else {
                            // The session reads into the same packet again: its reference moves out, nothing is copied.
                            copy = packet.takingReference()
                        }
                        copy.setTimestamps(pts: pts, dts: dts)
                        report.copiedPackets[stream.index, default: 0] += 1
                        try pipeline.packet(copy, stream: stream, readAt: readAt, wall: live ? clock.wallClock.now() : nil, report: &report, carrier: carrier)
                    },
                    frame: { frame in
                        guard frame.timing != nil || !clock.required else {
                            throw MediaError.clock("frame \(frame.index) of \(inputURL) could not be placed in time")
                        }
                        report.frames += 1
                        try pipeline.frame(frame, report: &report, carrier: carrier)
                        // The outputs' queues, at most once a second (each look takes its output's lock).
                        if let health, DispatchTime.now().uptimeNanoseconds - lastHealth >= 1_000_000_000 {
                            lastHealth = DispatchTime.now().uptimeNanoseconds
                            health(workers.map { $0.health() })
                        }
                    },
                    gap: gap, progress: progress
                )
                try pipeline.flush(report: &report, carrier: carrier)
                finished = true
                return stats
            }()
            report.untimedVideoPackets = stats.untimedVideoPackets
            report.synthesizedDecodeTimestamps = stats.synthesizedDecodeTimestamps
            report.ingest = stats
        } catch {
            cancelWorkers(workers)
            throw error
        }
        report.outputs = workers.map { $0.finish(grace: 5) }
        return report
    }

    /// Opens every file output before anything is read (a path that cannot be written fails the
    /// job at once) and starts one thread per output; network outputs open on their thread.
    private func startWorkers(layout: StreamLayout, live: Bool) throws -> [OutputWorker] {
        var workers: [OutputWorker] = []
        let settings = settings
        let withMetadata = settings.carriers.contains(.id3)
        for target in outputs {
            let worker = OutputWorker(
                target: target, policy: live || target.isNetwork ? .drop : .wait, capacity: settings.queueCapacity,
                pace: target.kind == .udp ? (live ? 2 : 1) : nil, cues: settings.cueMode(for: target), jobCancellation: cancellation
            ) { (stop: InputCancellation) throws(MediaError) -> any OutputSink in
                if target.kind == .hls {
                    return try HLSWriter(
                        playlistPath: target.location, layout: layout, withMetadata: withMetadata, live: live,
                        targetDuration: settings.hlsTargetDuration, window: settings.hlsWindow, cancellation: stop
                    )
                }
                return try StreamMuxer(
                    location: target.kind == .file ? "file:" + target.location : target.location, protocolWhitelist: target.protocolWhitelist,
                    container: target.container, layout: layout, withMetadata: withMetadata,
                    interleaved: !live && !target.isNetwork, cancellation: stop, displayName: target.text
                )
            }
            do {
                worker.start(with: target.isNetwork ? nil : try worker.openNow())
            } catch {
                cancelWorkers(workers)
                throw error
            }
            workers.append(worker)
        }
        return workers
    }

    private func cancelWorkers(_ workers: [OutputWorker]) {
        for worker in workers {
            worker.cancellation.cancel()
            _ = worker.finish(grace: 0)
        }
    }
}

/// The middle of the pipeline: packets wait in decode order, frames in presentation order, each
/// for its look-ahead; a frame's carriage is computed when it leaves, its ID3 tag is sent then
/// (presentation order, once the video DTS has passed it), and a video packet that must carry
/// the SEI or the frame's date waits until its frame has been carried.
private struct CarriagePipeline {
    /// A copied packet waiting to go out.
    private struct WaitingPacket {
        let packet: Packet
        let stream: StreamDescription
        let readAt: UInt64
        let wall: UTCInstant?
    }

    /// What a carried frame leaves for its video packet.
    private struct VideoCarriage {
        let sei: [UInt8]?
        let capture: UTCInstant?
        let markers: [RaceMarker]
        let windows: [RaceWindowEdge]
        /// The input epoch of the frame (a splice or a reconnection starts the next).
        let epoch: Int
    }

    let video: StreamDescription
    let layout: StreamLayout
    let workers: [OutputWorker]
    let live: Bool
    /// The time of day a live input's frames are released by.
    let wallClock: any WallClock
    let lookahead: Double
    /// Seconds from capture to arrival: a recording's frame counts as aired at capture + latency + look-ahead.
    let latency: Double
    let holdVideo: Bool
    let carryID3: Bool
    private var packets: [WaitingPacket?] = []
    private var packetHead = 0
    private var frames: [IngestFrame] = []
    private var frameHead = 0
    /// Carried frames whose video packet has not gone out yet, by output PTS.
    private var carried: [Int64: VideoCarriage] = [:]
    /// A recording's frames are carried on this thread (nil: inline, as a live input's are).
    var worker: CarryWorker?
    /// Output PTS of the frames handed to `worker` whose carriage has not come back (held video only).
    private var carrying: Set<Int64> = []
    /// A stuck head (a frame whose packet never arrives) is let go past this many waiting packets.
    private static let maximumWaiting = 2048

    init(
        video: StreamDescription, layout: StreamLayout, workers: [OutputWorker], live: Bool, wallClock: any WallClock, lookahead: Double,
        latency: Double, holdVideo: Bool, carryID3: Bool
    ) {
        self.video = video
        self.layout = layout
        self.workers = workers
        self.live = live
        self.wallClock = wallClock
        self.lookahead = lookahead
        self.latency = latency
        self.holdVideo = holdVideo
        self.carryID3 = carryID3
    }

    private func send(_ packet: OutputPacket) {
        for worker in workers { worker.send(packet) }
    }

    /// Up to when results count as known for a frame: the wall clock as it leaves the look-ahead
    /// (live), or its capture time plus latency and look-ahead (a recording).
    private func knownAt(_ timing: FrameTiming) -> UTCInstant {
        live ? wallClock.now() : timing.captureStart.advanced(by: Self.seconds(latency + lookahead))
    }

    private static func seconds(_ value: Double) -> Rational { Rational(Int128((value * 1_000_000).rounded()), 1_000_000) }

    /// Whether something that arrived at `wall` has waited out the look-ahead.
    private func due(_ wall: UTCInstant?) -> Bool {
        guard live, lookahead > 0, let wall else { return true }
        return wallClock.now() >= wall.advanced(by: Self.seconds(lookahead))
    }

    mutating func packet(
        _ packet: Packet, stream: StreamDescription, readAt: UInt64, wall: UTCInstant?, report: inout EnrichmentReport,
        carrier: some FrameCarrying
    ) throws {
        packets.append(WaitingPacket(packet: packet, stream: stream, readAt: readAt, wall: wall))
        try advance(flush: false, report: &report, carrier: carrier)
    }

    mutating func frame(_ frame: IngestFrame, report: inout EnrichmentReport, carrier: some FrameCarrying) throws {
        frames.append(frame)
        try advance(flush: false, report: &report, carrier: carrier)
    }

    mutating func flush(report: inout EnrichmentReport, carrier: some FrameCarrying) throws {
        try advance(flush: true, report: &report, carrier: carrier)
    }

    private mutating func advance(flush: Bool, report: inout EnrichmentReport, carrier: some FrameCarrying) throws {
        try carryFrames(flush: flush, report: &report, carrier: carrier)
        try collectCarried(all: flush, report: &report)
        try releasePackets(flush: flush, report: &report)
    }

    /// Takes what the carry thread has finished (with `all`, everything handed to it) and delivers it.
    private mutating func collectCarried(all: Bool, report: inout EnrichmentReport) throws {
        guard let worker else { return }
        for done in try worker.take(all: all) {
            carrying.remove(done.frame.outputPTS)
            try deliver(done.carriage, of: done.frame, madeAt: done.madeAt, report: &report)
        }
    }

    /// Sends a frame's tag and leaves what its video packet carries.
    private mutating func deliver(_ carriage: FrameCarriage, of frame: IngestFrame, madeAt: UInt64, report: inout EnrichmentReport) throws {
        if carriage.id3Tag != nil || carriage.seiPayload != nil { report.tagged += 1 }
        if carryID3, let tag = carriage.id3Tag {
            send(OutputPacket(
                role: .podiumMetadata, packet: try Packet.metadata(tag, pts: frame.outputPTS), timeBase: video.timeBase, isVideo: false,
                cueSignature: carriage.cueSignature, cueOnKeyframe: frame.video.keyframe, readAt: madeAt
            ))
        }
        if holdVideo {
            carried[frame.outputPTS] = VideoCarriage(
                sei: carriage.seiPayload, capture: frame.timing?.captureStart, markers: carriage.markers, windows: carriage.windows, epoch: frame.video.epoch
            )
        }
    }

    private mutating func carryFrames(flush: Bool, report: inout EnrichmentReport, carrier: some FrameCarrying) throws {
        while frameHead < frames.count {
            let frame = frames[frameHead]
            guard flush || due(frame.video.arrival) else { break }
            frameHead += 1
            guard let timing = frame.timing else {
                if holdVideo { carried[frame.outputPTS] = VideoCarriage(sei: nil, capture: nil, markers: [], windows: [], epoch: frame.video.epoch) }
                continue
            }
            if let worker {
                try worker.submit(timing, frame: frame, knownAt: knownAt(timing))
                if holdVideo { carrying.insert(frame.outputPTS) }
                continue
            }
            let carriage = try carrier.carry(timing, frame, knownAt: knownAt(timing))
            // A tag's latency counts from when its frame's overlay was made.
            try deliver(carriage, of: frame, madeAt: DispatchTime.now().uptimeNanoseconds, report: &report)
        }
        if frameHead > 1024, frameHead * 2 > frames.count {
            frames.removeFirst(frameHead)
            frameHead = 0
        }
    }

    private mutating func releasePackets(flush: Bool, report: inout EnrichmentReport) throws {
        while packetHead < packets.count, let waiting = packets[packetHead] {
            let stuck = packets.count - packetHead > Self.maximumWaiting
            guard flush || stuck || due(waiting.wall) else { break }
            var packet = waiting.packet
            var frameCapture: UTCInstant?
            var markers: [RaceMarker] = []
            var windows: [RaceWindowEdge] = []
            var epoch: Int?
            let isVideo = waiting.stream.index == video.index
            if isVideo, holdVideo, let pts = packet.pts {
                // The packet waits for its frame: placed (presentation order) and carried. A frame
                // the carry thread is working on is waited for when the packet must go now.
                if carried[pts] == nil, carrying.contains(pts) {
                    guard flush || stuck else { break }
                    try collectCarried(all: true, report: &report)
                }
                if carried[pts] == nil, !flush, !stuck { break }
                if let done = carried.removeValue(forKey: pts) {
                    frameCapture = done.capture
                    markers = done.markers
                    windows = done.windows
                    epoch = done.epoch
                    if let sei = done.sei, let target = layout.seiTarget {
                        if let bytes = SEICarrier.insert(sei, into: packet.bytes, codec: target.codec, framing: target.framing) {
                            packet = try packet.replacingData(with: bytes)
                        } else {
                            report.accessUnitsWithoutSlice += 1
                        }
                    }
                }
            }
            packets[packetHead] = nil
            packetHead += 1
            send(OutputPacket(
                role: .stream(waiting.stream.index), packet: packet, timeBase: waiting.stream.timeBase, isVideo: isVideo,
                frameCapture: frameCapture, markers: markers, windows: windows, epoch: epoch, readAt: waiting.readAt
            ))
        }
        if packetHead > 1024, packetHead * 2 > packets.count {
            packets.removeFirst(packetHead)
            packetHead = 0
        }
    }
}
