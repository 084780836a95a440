package import Foundation
public import MediaFormats
package import MediaIO
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

    /// Creates settings; by default the source is chosen automatically and a UTC is required.
    public init(
        source: ClockSource? = nil, anchor: ClockAnchor? = nil, timecodeDay: TimecodeDay? = nil, latency: Double = 0,
        frameRate: Rational? = nil, discontinuitySeconds: Double = 1, required: Bool = true
    ) {
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
    private let settings: ClockSettings
    private let tmcdReference: UTCInstant?
    /// Whether the tmcd track counts drop-frame, when that is the clock.
    private let tmcdDropFrame: Bool?

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
                opened = try MediaInput(guarding: InputGuard(endpoint: endpoint, policy: policy, cancellation: cancellation))
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
        var stats = IngestStats()
        stats.inputFormat = formatName
        stats.streams = streams
        stats.clockSource = clockSource
        stats.frameRate = frameRate
        if let stated = settings.frameRate, let own = video.frameRate, IngestSession.ratesDiffer(stated, own) { stats.conflictingStreamRate = own }
        let frameTicks = max(1, Int64((Rational(1) / (frameRate * video.timeBase)).floor))
        let jumpTicks = Int64((Rational(Int128((settings.discontinuitySeconds * 1000).rounded()), 1000) / video.timeBase).floor)
        var sequencer = VideoFrameSequencer(wrapBits: video.timestampWrapBits, frameTicks: frameTicks, reorderDepth: video.reorderDepth, discontinuityTicks: jumpTicks)
        var joiner = EpochJoiner(streams: streams, margin: Rational(1, 2))
        var clock = FrameClockEngine(source: clockSource ?? .arrival, frameRate: frameRate, anchor: settings.anchor, latency: settings.latency)
        let timecodes = clockSource == .pictureTiming ? try PictureTimingReader(input: input, video: video, rate: frameRate, day: settings.timecodeDay!) : nil
        var held: [VideoFrame] = []
        var unplaced: [(VideoFrame, Int64)] = []
        var previous: (index: Int, timing: FrameTiming, video: VideoFrame)?
        var reconnectedSinceLastFrame = false
        var pendingProducerReference: UTCInstant?
        var firstFrame = true
        var consecutiveErrors = 0
        var streamMap: [Int: Int] = Dictionary(uniqueKeysWithValues: streams.map { ($0.index, $0.index) })
        // Frames are labelled with the time of day of their capture, counted as the stream's own
        // timecode counts once it has been read (drop-frame or not).
        var labelsCountDropFrame = tmcdDropFrame
        var timecodeLabels = TimecodeLabeling(day: settings.timecodeDay, frameRate: frameRate, dropFrame: labelsCountDropFrame)

        func emit(_ video: VideoFrame, placement: FramePlacement?, outputPTS: Int64) throws {
            // The frame is known by its PTS on the output's timeline (epochs joined), so the
            // payload's `pts` is the one a player finds on the enriched frame.
            let pts = MediaTime(ticks: outputPTS, timeBase: self.video.timeBase)
            if let stated = timecodes?.labelsDropFrame, stated != labelsCountDropFrame {
                labelsCountDropFrame = stated
                timecodeLabels = TimecodeLabeling(day: settings.timecodeDay, frameRate: frameRate, dropFrame: stated)
            }
            let timing = placement.map {
                FrameTiming(
                    sequence: stats.frames, pts: pts, captureStart: $0.captureUTC, captureEnd: $0.captureUTC.advanced(by: clock.frameDuration),
                    timecode: timecodeLabels.label($0.captureUTC)
                )
            }
            if let placement { stats.placedBy[placement.source, default: 0] += 1 }
            // Within an epoch the timestamps say how many frames are missing (an arrival estimate
            // jitters); across epochs only the capture times can.
            if let timing, let last = previous,
               timing.captureStart.seconds(since: last.timing.captureStart) > clock.frameDuration * Rational(3, 2),
               last.video.epoch != video.epoch || Rational(Int128(video.pts - last.video.pts)) * self.video.timeBase > clock.frameDuration * Rational(3, 2) {
                let span = last.video.epoch == video.epoch
                    ? Rational(Int128(video.pts - last.video.pts)) * self.video.timeBase - clock.frameDuration
                    : timing.captureStart.seconds(since: last.timing.captureEnd)
                let missing = Int((span / clock.frameDuration + Rational(1, 2)).floor)
                let found = InputGap(afterFrame: last.index, start: last.timing.captureEnd, end: timing.captureStart, framesMissing: missing, reconnected: reconnectedSinceLastFrame)
                stats.gaps.append(found)
                try gapHandler(found)
            }
            reconnectedSinceLastFrame = false
            let arrivalClock = placement?.source == .arrival ? clock.arrivalState : nil
            if let arrivalClock { stats.arrivalClock = arrivalClock }
            try frameHandler(IngestFrame(
                index: stats.frames, video: video, timeBase: self.video.timeBase, outputPTS: outputPTS, timing: timing,
                source: placement?.source, arrivalClock: arrivalClock
            ))
            if let timing { previous = (stats.frames, timing, video) }
            stats.frames += 1
        }

        func place(_ released: [VideoFrame]) throws {
            for var frame in released {
                if firstFrame, let tmcdReference {
                    frame = frame.with(reference: tmcdReference)
                }
                if firstFrame, let anchor = settings.anchor {
                    clock = FrameClockEngine(
                        source: clockSource ?? .arrival, frameRate: frameRate, anchor: adjusted(anchor, toFrameAt: frame.pts), latency: settings.latency
                    )
                }
                firstFrame = false
                let outputPTS = joiner.outputTicks(frame.pts, stream: video.index, epoch: frame.epoch)
                let placement = clock.place(FrameClockInput(
                    pts: MediaTime(ticks: frame.pts, timeBase: video.timeBase), epoch: frame.epoch, arrival: frame.arrival, reference: frame.reference
                ))
                guard let placement else {
                    if settings.required && clockSource?.statesFrameTimes == true { unplaced.append((frame, outputPTS)); continue }
                    try emit(frame, placement: nil, outputPTS: outputPTS)
                    continue
                }
                // Frames that came before the source first spoke take its mapping backwards (within their epoch only).
                if let stale = unplaced.first, stale.0.epoch != frame.epoch {
                    throw MediaError.clock("the \(clockSource?.rawValue ?? "chosen") source stated no time in epoch \(stale.0.epoch) of \(endpoint.url)")
                }
                for (waiting, waitingPTS) in unplaced {
                    let utc = clock.project(
                        MediaTime(ticks: waiting.pts, timeBase: video.timeBase),
                        from: ClockAnchor(pts: MediaTime(ticks: frame.pts, timeBase: video.timeBase), utc: placement.captureUTC)
                    )
                    try emit(waiting, placement: FramePlacement(captureUTC: utc, source: placement.source, reanchored: false), outputPTS: waitingPTS)
                }
                unplaced.removeAll()
                try emit(frame, placement: placement, outputPTS: outputPTS)
            }
        }

        /// Frames wait here for their decoded timecode when that is the clock; `flush` ends an epoch.
        func release(_ frames: [VideoFrame], flush: Bool = false) throws {
            guard let reader = timecodes else { return try place(frames) }
            held += frames
            if flush { try reader.drain() }
            let ready = held.prefix { flush || reader.decoded(through: $0.pts) }
            held.removeFirst(ready.count)
            try place(ready.map { $0.with(reference: reader.take($0.pts)) })
            if flush { reader.restart() }
        }

        let flaggedCheck = endpoint.kind == .file && formatName == "mpegts"
            ? FlaggedAccessUnitCheck(path: endpoint.openURL, pid: video.containerID) : nil
        func tally(_ verdicts: [FlaggedAccessUnitCheck.Verdict]) {
            for verdict in verdicts {
                switch verdict {
                case .damaged: stats.corruptPackets += 1
                case .breakBetweenUnits: stats.breaksBetweenAccessUnits += 1
                }
            }
        }

        /// One video packet through the sequencer, the clock and out.
        func pushVideo(_ packet: Packet, arrival: UTCInstant?, reference: UTCInstant?) throws {
            let streamIndex = video.index
            let step = sequencer.push(
                pts: packet.pts, dts: packet.dts, duration: packet.duration, keyframe: packet.isKeyframe, arrival: arrival, reference: reference
            )
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
            try packetHandler?(packet, video, outputPTS, outputDTS)
            try release(released)
        }
        var videoWentThrough = false
        var heldUntimed: (packet: Packet, arrival: UTCInstant?, reference: UTCInstant?)?
        /// The held untimed packet goes out: dated by then, or as it is when nothing timed followed it.
        func releaseHeldUntimed() throws {
            guard let held = heldUntimed else { return }
            heldUntimed = nil
            try pushVideo(held.packet, arrival: held.arrival, reference: held.reference)
        }

        let packet = Packet()
        reading: while true {
            if cancellation.isCancelled { stats.stopped = true; break }
            var more = false
            var failure: String?
            let readStarted = endpoint.kind.isLive ? IngestSession.wallClock() : nil
            do {
                more = try input.read(into: packet)
                consecutiveErrors = 0
            } catch {
                if error.isRefusal { throw error }
                if cancellation.isCancelled { stats.stopped = true; break }
                if !endpoint.kind.isLive, error.isInvalidData, consecutiveErrors < 1000 {
                    // Damaged stretch of a recording: count it and read on.
                    stats.corruptPackets += 1
                    consecutiveErrors += 1
                    continue
                }
                guard endpoint.kind.isLive else { throw error }
                failure = "\(error)"
            }
            if let reason = failure ?? (more ? nil : "the input ended") {
                guard endpoint.kind.isLive, !cancellation.isCancelled else { break }
                // A complete HLS playlist that has been read to its end is over, not lost.
                if failure == nil, endpoint.kind == .hls, input.inputGuard.playlistEnded { break }
                // Everything read so far goes out before the input is reopened.
                try releaseHeldUntimed()
                videoWentThrough = false
                try release(sequencer.startEpoch(), flush: true)
                guard try reopen(after: reason, stats: &stats, streamMap: &streamMap) else { stats.stopped = true; break }
                joiner.startEpoch()
                pendingProducerReference = nil
                reconnectedSinceLastFrame = true
                stats.epochs += 1
                continue
            }
            defer { packet.unreference() }
            guard let streamIndex = streamMap[packet.streamIndex] else { continue }
            // A packet flagged corrupt (part of its transport packets lost) is carried as it is, as
            // `ffmpeg -c copy` carries it: its timestamps come from its intact PES header, and
            // FFmpeg 5.1 flags the whole access unit before a continuity break, often one intact.
            if streamIndex == video.index, let check = flaggedCheck, let position = packet.position {
                // A recording's flagged video access unit is judged by its own packets.
                tally(check.accessUnit(at: position, flagged: packet.isCorrupt))
            } else if packet.isCorrupt {
                stats.corruptPackets += 1
            }
            let stream = streams[streamIndex]
            if let progress, stats.packets[streamIndex, default: 0] % 500 == 0, let done = input.progress { progress(done) }
            stats.packets[streamIndex, default: 0] += 1
            if streamIndex == video.index {
                // Dated by its first byte where the input's bytes are dated, by its read otherwise.
                let arrival = input.arrival(of: packet)
                    ?? IngestSession.arrival(ofPacketReadFrom: readStarted, to: endpoint.kind.isLive ? IngestSession.wallClock() : nil)
                var reference: UTCInstant?
                if clockSource == .producerReference {
                    // FFmpeg's parser hands an access unit out when the first RTP packet of the
                    // next one comes in, and moves that packet's side data onto it: the PRFT a
                    // packet carries dates the next access unit in decode order, so it is kept
                    // for that one (measured against a GStreamer sender's own sender reports).
                    let stated = packet.producerReferenceMicroseconds.map { UTCInstant(secondsSinceEpoch: Rational(Int128($0), 1_000_000)) }
                    if endpoint.kind == .rtsp {
                        reference = pendingProducerReference
                        pendingProducerReference = stated
                    } else {
                        reference = stated
                    }
                }
                if clockSource == .programDateTime, packet.isKeyframe, let date = input.inputGuard.takeSegmentDate() {
                    reference = date
                }
                if packet.pts == nil, packet.dts == nil, !videoWentThrough, heldUntimed == nil {
                    // The first access unit of an RTSP session comes without timestamps (FFmpeg
                    // 5.1): it is the keyframe the next pictures need, so it waits to be dated
                    // one frame before the next one rather than go out untimed.
                    heldUntimed = (packet.takingReference(), arrival, reference)
                    continue
                }
                if let held = heldUntimed, let pts = packet.pts, packet.dts == nil || packet.dts == pts, pts >= frameTicks {
                    held.packet.setTimestamps(pts: pts - frameTicks, dts: pts - frameTicks)
                    stats.synthesizedDecodeTimestamps += 1
                }
                try releaseHeldUntimed()
                videoWentThrough = true
                try pushVideo(packet, arrival: arrival, reference: reference)
            } else {
                let (pts, dts) = joiner.place(pts: packet.pts, dts: packet.dts, duration: packet.duration, stream: streamIndex)
                try packetHandler?(packet, stream, pts, dts)
            }
        }
        try releaseHeldUntimed()
        tally(flaggedCheck?.finish() ?? [])
        try release(sequencer.drain(), flush: true)
        if !unplaced.isEmpty {
            throw MediaError.clock("the \(clockSource?.rawValue ?? "chosen") source stated no time for any of the \(unplaced.count) frames of \(endpoint.url)")
        }
        progress?(1)
        return stats
    }

    /// Reopens a live input with backoff; the new streams are matched to the first ones by kind and order.
    /// Returns false when the job was cancelled while waiting.
    private func reopen(after reason: String, stats: inout IngestStats, streamMap: inout [Int: Int]) throws(MediaError) -> Bool {
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
                let reopened = try MediaInput(guarding: InputGuard(endpoint: endpoint, policy: policy, cancellation: cancellation))
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
    private func adjusted(_ anchor: ClockAnchor, toFrameAt firstPTS: Int64) -> ClockAnchor {
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

    static func wallClock() -> UTCInstant {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return UTCInstant(secondsSinceEpoch: Rational(Int128(now.tv_sec) * 1_000_000 + Int128(now.tv_nsec / 1000), 1_000_000))
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
