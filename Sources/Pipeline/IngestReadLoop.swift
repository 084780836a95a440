import Foundation
import MediaFormats
import MediaIO
import Overlay

/// One run of an `IngestSession`: reads packets, puts video through the sequencer and the frame
/// clock, joins epochs into one output timeline, reopens a live input that was lost, and hands
/// out packets, frames and gaps. Its state lives in its own stored properties, each step is a
/// method, and it lives only for the length of `IngestSession.run`.
struct IngestReadLoop {
    /// Where the loop's packets, frames, gaps and progress go (see `IngestSession.run`).
    struct Handlers {
        let packet: ((Packet, StreamDescription, Int64?, Int64?) throws -> Void)?
        let frame: (IngestFrame) throws -> Void
        let gap: (InputGap) throws -> Void
        let progress: ((Double) -> Void)?
    }

    private let session: IngestSession
    private let handlers: Handlers
    private var stats = IngestStats()
    /// A frame's length in video ticks.
    private let frameTicks: Int64
    private var sequencer: VideoFrameSequencer
    private var joiner: EpochJoiner
    private var clock: FrameClockEngine
    private let timecodes: PictureTimingReader?
    private let flaggedCheck: FlaggedAccessUnitCheck?
    /// Frames waiting for their decoded timecode (when that is the clock).
    private var held: [VideoFrame] = []
    /// Frames that came before a stated-time source first spoke, with their output PTS.
    private var unplaced: [(VideoFrame, Int64)] = []
    private var previous: (index: Int, timing: FrameTiming, video: VideoFrame)?
    private var reconnectedSinceLastFrame = false
    private var pendingProducerReference: UTCInstant?
    private var firstFrame = true
    private var consecutiveErrors = 0
    /// Stream indexes of the open input to those of the first one.
    private var streamMap: [Int: Int]
    /// Frames are labelled with the time of day of their capture, counted as the stream's own
    /// timecode counts once it has been read (drop-frame or not).
    private var labelsCountDropFrame: Bool?
    private var timecodeLabels: TimecodeLabeling
    private var videoWentThrough = false
    /// An untimed first access unit waiting to be dated by the next one.
    private var heldUntimed: (packet: Packet, arrival: UTCInstant?, reference: UTCInstant?)?

    private var video: StreamDescription { session.video }
    private var settings: ClockSettings { session.settings }
    private var endpoint: InputEndpoint { session.endpoint }
    private var live: Bool { session.endpoint.kind.isLive }

    init(session: IngestSession, handlers: Handlers) throws {
        self.session = session
        self.handlers = handlers
        let video = session.video, settings = session.settings, rate = session.frameRate
        stats.inputFormat = session.formatName
        stats.streams = session.streams
        stats.clockSource = session.clockSource
        stats.frameRate = rate
        if let stated = settings.frameRate, let own = video.frameRate, IngestSession.ratesDiffer(stated, own) { stats.conflictingStreamRate = own }
        frameTicks = max(1, Int64((Rational(1) / (rate * video.timeBase)).floor))
        let jumpTicks = Int64((Rational(Int128((settings.discontinuitySeconds * 1000).rounded()), 1000) / video.timeBase).floor)
        sequencer = VideoFrameSequencer(wrapBits: video.timestampWrapBits, frameTicks: frameTicks, reorderDepth: video.reorderDepth, discontinuityTicks: jumpTicks)
        joiner = EpochJoiner(streams: session.streams, margin: Rational(1, 2))
        clock = FrameClockEngine(source: session.clockSource ?? .arrival, frameRate: rate, anchor: settings.anchor, latency: settings.latency)
        timecodes = session.clockSource == .pictureTiming
            ? try PictureTimingReader(input: session.input, video: video, rate: rate, day: settings.timecodeDay!) : nil
        flaggedCheck = session.endpoint.kind == .file && session.formatName == "mpegts"
            ? FlaggedAccessUnitCheck(path: session.endpoint.openURL, pid: video.containerID) : nil
        streamMap = Dictionary(uniqueKeysWithValues: session.streams.map { ($0.index, $0.index) })
        labelsCountDropFrame = session.tmcdDropFrame
        timecodeLabels = TimecodeLabeling(day: settings.timecodeDay, frameRate: rate, dropFrame: session.tmcdDropFrame)
    }

    /// Reads the input to its end (or the job's stop) and returns what was seen.
    mutating func run() throws -> IngestStats {
        let packet = Packet()
        while try read(into: packet) {}
        try releaseHeldUntimed()
        tally(flaggedCheck?.finish() ?? [])
        try release(sequencer.drain(), flush: true)
        if !unplaced.isEmpty {
            throw MediaError.clock("the \(session.clockSource?.rawValue ?? "chosen") source stated no time for any of the \(unplaced.count) frames of \(endpoint.url)")
        }
        handlers.progress?(1)
        return stats
    }

    /// Reads one packet and passes it on; false when the loop is over.
    private mutating func read(into packet: Packet) throws -> Bool {
        if session.cancellation.isCancelled { stats.stopped = true; return false }
        var more = false
        var failure: String?
        let readStarted = live ? session.settings.wallClock.now() : nil
        do {
            more = try session.input.read(into: packet)
            consecutiveErrors = 0
        } catch {
            if error.isRefusal { throw error }
            if session.cancellation.isCancelled { stats.stopped = true; return false }
            if !live, error.isInvalidData, consecutiveErrors < 1000 {
                // Damaged stretch of a recording: count it and read on.
                stats.corruptPackets += 1
                consecutiveErrors += 1
                return true
            }
            guard live else { throw error }
            failure = "\(error)"
        }
        if let reason = failure ?? (more ? nil : "the input ended") { return try inputEnded(reason, failed: failure != nil) }
        defer { packet.unreference() }
        try pass(packet, readStarted: readStarted)
        return true
    }

    /// The input ended or failed: a recording is over; a live input is reopened (everything read
    /// so far goes out first) unless it was stopped. False when the loop is over.
    private mutating func inputEnded(_ reason: String, failed: Bool) throws -> Bool {
        guard live, !session.cancellation.isCancelled else { return false }
        // A complete HLS playlist that has been read to its end is over, not lost.
        if !failed, endpoint.kind == .hls, session.input.inputGuard.playlistEnded { return false }
        try releaseHeldUntimed()
        videoWentThrough = false
        try release(sequencer.startEpoch(), flush: true)
        guard try session.reopen(after: reason, stats: &stats, streamMap: &streamMap) else { stats.stopped = true; return false }
        joiner.startEpoch()
        pendingProducerReference = nil
        reconnectedSinceLastFrame = true
        stats.epochs += 1
        return true
    }

    /// One packet read: counted, judged, and passed on (video through the clock).
    private mutating func pass(_ packet: Packet, readStarted: UTCInstant?) throws {
        guard let streamIndex = streamMap[packet.streamIndex] else { return }
        // A packet flagged corrupt (part of its transport packets lost) is carried as it is, as
        // `ffmpeg -c copy` carries it: its timestamps come from its intact PES header, and
        // FFmpeg 5.1 flags the whole access unit before a continuity break, often one intact.
        if streamIndex == video.index, let check = flaggedCheck, let position = packet.position {
            // A recording's flagged video access unit is judged by its own packets.
            tally(check.accessUnit(at: position, flagged: packet.isCorrupt))
        } else if packet.isCorrupt {
            stats.corruptPackets += 1
        }
        if let progress = handlers.progress, stats.packets[streamIndex, default: 0] % 500 == 0, let done = session.input.progress { progress(done) }
        stats.packets[streamIndex, default: 0] += 1
        if streamIndex == video.index {
            try passVideo(packet, readStarted: readStarted)
        } else {
            let (pts, dts) = joiner.place(pts: packet.pts, dts: packet.dts, duration: packet.duration, stream: streamIndex)
            try handlers.packet?(packet, session.streams[streamIndex], pts, dts)
        }
    }

    /// A video packet, dated by its first byte where the input's bytes are dated (by its read
    /// otherwise), with the reference time its source states.
    private mutating func passVideo(_ packet: Packet, readStarted: UTCInstant?) throws {
        let arrival = session.input.arrival(of: packet)
            ?? IngestSession.arrival(ofPacketReadFrom: readStarted, to: live ? session.settings.wallClock.now() : nil)
        var reference: UTCInstant?
        if session.clockSource == .producerReference {
            // FFmpeg's parser hands an access unit out when the first RTP packet of the next one
            // comes in, and moves that packet's side data onto it: the PRFT a packet carries
            // dates the next access unit in decode order, so it is kept for that one (measured
            // against a GStreamer sender's own sender reports).
            let stated = packet.producerReferenceMicroseconds.map { UTCInstant(secondsSinceEpoch: Rational(Int128($0), 1_000_000)) }
            if endpoint.kind == .rtsp {
                reference = pendingProducerReference
                pendingProducerReference = stated
            } else {
                reference = stated
            }
        }
        if session.clockSource == .programDateTime, packet.isKeyframe, let date = session.input.inputGuard.takeSegmentDate() {
            reference = date
        }
        if packet.pts == nil, packet.dts == nil, !videoWentThrough, heldUntimed == nil {
            // The first access unit of an RTSP session comes without timestamps (FFmpeg 5.1): it
            // is the keyframe the next pictures need, so it waits to be dated one frame before
            // the next one rather than go out untimed.
            heldUntimed = (packet.takingReference(), arrival, reference)
            return
        }
        if let held = heldUntimed, let pts = packet.pts, packet.dts == nil || packet.dts == pts, pts >= frameTicks {
            held.packet.setTimestamps(pts: pts - frameTicks, dts: pts - frameTicks)
            stats.synthesizedDecodeTimestamps += 1
        }
        try releaseHeldUntimed()
        videoWentThrough = true
        try pushVideo(packet, arrival: arrival, reference: reference)
    }

    /// The held untimed packet goes out: dated by then, or as it is when nothing timed followed it.
    private mutating func releaseHeldUntimed() throws {
        guard let held = heldUntimed else { return }
        heldUntimed = nil
        try pushVideo(held.packet, arrival: held.arrival, reference: held.reference)
    }

    /// One video packet through the sequencer, the clock and out.
    private mutating func pushVideo(_ packet: Packet, arrival: UTCInstant?, reference: UTCInstant?) throws {
        let streamIndex = video.index
        let step = sequencer.push(pts: packet.pts, dts: packet.dts, duration: packet.duration, keyframe: packet.isKeyframe, arrival: arrival, reference: reference)
        var released = step.released
        if step.newEpoch {
            // The old epoch's frames all go out before anything of the new one.
            stats.epochs += 1
            try release(released, flush: true)
            released = []
        }
        if step.synthesized { stats.synthesizedDecodeTimestamps += 1 }
        if step.pts == nil && step.dts == nil { stats.untimedVideoPackets += 1 }
        let outputPTS = step.pts.map { joiner.outputTicks($0, stream: streamIndex, epoch: sequencer.epoch) }
        let outputDTS = step.dts.map { joiner.outputTicks($0, stream: streamIndex, epoch: sequencer.epoch) }
        try timecodes?.decode(packet, pts: step.pts)
        try handlers.packet?(packet, video, outputPTS, outputDTS)
        try release(released)
    }

    private mutating func tally(_ verdicts: [FlaggedAccessUnitCheck.Verdict]) {
        for verdict in verdicts {
            switch verdict {
            case .damaged: stats.corruptPackets += 1
            case .breakBetweenUnits: stats.breaksBetweenAccessUnits += 1
            }
        }
    }

    /// Frames wait here for their decoded timecode when that is the clock; `flush` ends an epoch.
    private mutating func release(_ frames: [VideoFrame], flush: Bool = false) throws {
        guard let reader = timecodes else { return try place(frames) }
        held += frames
        if flush { try reader.drain() }
        let ready = held.prefix { flush || reader.decoded(through: $0.pts) }
        held.removeFirst(ready.count)
        try place(ready.map { $0.with(reference: reader.take($0.pts)) })
        if flush { reader.restart() }
    }

    /// Frames in presentation order through the frame clock.
    private mutating func place(_ released: [VideoFrame]) throws {
        for var frame in released {
            if firstFrame, let reference = session.tmcdReference { frame = frame.with(reference: reference) }
            if firstFrame, let anchor = settings.anchor {
                clock = FrameClockEngine(
                    source: session.clockSource ?? .arrival, frameRate: session.frameRate, anchor: session.adjusted(anchor, toFrameAt: frame.pts),
                    latency: settings.latency
                )
            }
            firstFrame = false
            let outputPTS = joiner.outputTicks(frame.pts, stream: video.index, epoch: frame.epoch)
            let placement = clock.place(FrameClockInput(
                pts: MediaTime(ticks: frame.pts, timeBase: video.timeBase), epoch: frame.epoch, arrival: frame.arrival, reference: frame.reference
            ))
            guard let placement else {
                if settings.required && session.clockSource?.statesFrameTimes == true { unplaced.append((frame, outputPTS)); continue }
                try emit(frame, placement: nil, outputPTS: outputPTS)
                continue
            }
            try placeUnplaced(before: frame, placedAt: placement)
            try emit(frame, placement: placement, outputPTS: outputPTS)
        }
    }

    /// Frames that came before the source first spoke take its mapping backwards (within their epoch only).
    private mutating func placeUnplaced(before frame: VideoFrame, placedAt placement: FramePlacement) throws {
        if let stale = unplaced.first, stale.0.epoch != frame.epoch {
            throw MediaError.clock("the \(session.clockSource?.rawValue ?? "chosen") source stated no time in epoch \(stale.0.epoch) of \(endpoint.url)")
        }
        let waiting = unplaced
        unplaced.removeAll()
        for (early, earlyPTS) in waiting {
            let utc = clock.project(
                MediaTime(ticks: early.pts, timeBase: video.timeBase),
                from: ClockAnchor(pts: MediaTime(ticks: frame.pts, timeBase: video.timeBase), utc: placement.captureUTC)
            )
            try emit(early, placement: FramePlacement(captureUTC: utc, source: placement.source, reanchored: false), outputPTS: earlyPTS)
        }
    }

    /// A frame out: timed, its gap (if any) reported first.
    private mutating func emit(_ frame: VideoFrame, placement: FramePlacement?, outputPTS: Int64) throws {
        // The frame is known by its PTS on the output's timeline (epochs joined), so the
        // payload's `pts` is the one a player finds on the enriched frame.
        let pts = MediaTime(ticks: outputPTS, timeBase: video.timeBase)
        if let stated = timecodes?.labelsDropFrame, stated != labelsCountDropFrame {
            labelsCountDropFrame = stated
            timecodeLabels = TimecodeLabeling(day: settings.timecodeDay, frameRate: session.frameRate, dropFrame: stated)
        }
        let timing = placement.map {
            FrameTiming(
                sequence: stats.frames, pts: pts, captureStart: $0.captureUTC, captureEnd: $0.captureUTC.advanced(by: clock.frameDuration),
                timecode: timecodeLabels.label($0.captureUTC)
            )
        }
        if let placement { stats.placedBy[placement.source, default: 0] += 1 }
        if let timing { try reportGap(before: frame, at: timing) }
        reconnectedSinceLastFrame = false
        let arrivalClock = placement?.source == .arrival ? clock.arrivalState : nil
        if let arrivalClock { stats.arrivalClock = arrivalClock }
        try handlers.frame(IngestFrame(
            index: stats.frames, video: frame, timeBase: video.timeBase, outputPTS: outputPTS, timing: timing,
            source: placement?.source, arrivalClock: arrivalClock
        ))
        if let timing { previous = (stats.frames, timing, frame) }
        stats.frames += 1
    }

    /// Within an epoch the timestamps say how many frames are missing (an arrival estimate
    /// jitters); across epochs only the capture times can.
    private mutating func reportGap(before frame: VideoFrame, at timing: FrameTiming) throws {
        let duration = clock.frameDuration
        guard let last = previous, timing.captureStart.seconds(since: last.timing.captureStart) > duration * Rational(3, 2),
              last.video.epoch != frame.epoch || Rational(Int128(frame.pts - last.video.pts)) * video.timeBase > duration * Rational(3, 2)
        else { return }
        let span = last.video.epoch == frame.epoch
            ? Rational(Int128(frame.pts - last.video.pts)) * video.timeBase - duration
            : timing.captureStart.seconds(since: last.timing.captureEnd)
        let missing = Int((span / duration + Rational(1, 2)).floor)
        let found = InputGap(afterFrame: last.index, start: last.timing.captureEnd, end: timing.captureStart, framesMissing: missing, reconnected: reconnectedSinceLastFrame)
        stats.gaps.append(found)
        try handlers.gap(found)
    }
}
