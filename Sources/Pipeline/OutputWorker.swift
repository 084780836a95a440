import Foundation
import MediaFormats
import MediaIO
import Overlay

/// What happened to one output during a job.
public struct OutputStats: Sendable, Equatable {
    /// The output as the operator wrote it.
    public var target = ""
    /// Packets written.
    public var written = 0
    /// Packets dropped: the queue was full, the output was down, or it was waiting for a keyframe after either.
    public var dropped = 0
    /// Packets a network output skipped when it (re)started: those queued while it waited for its
    /// peer, and those before its first video keyframe.
    public var skippedToKeyframe = 0
    /// Times a network output was lost and opened again.
    public var reopened = 0
    /// The most packets ever waiting in the queue.
    public var deepestQueue = 0
    /// The most payload bytes ever waiting in the queue.
    public var deepestQueueBytes = 0
    /// Packets whose timestamps were repaired for the muxer (decode time not increasing, or
    /// presentation before decode: a corrupt input).
    public var repairedTimestamps = 0
    /// Podium's tags left out because their frame showed nothing new (cues on change).
    public var unchangedCues = 0
    /// Packets the muxer refused for their content (`EINVAL`, `AVERROR_INVALIDDATA`) and that were
    /// left out; the output went on.
    public var refusedByMuxer = 0
    /// Why the output stopped for good (a file that could not be written), if it did.
    public var failure: String?
    /// Added latency per packet, from read to written, in microseconds: median and 99th percentile.
    public var latencyMedianMicroseconds = 0
    public var latencyP99Microseconds = 0
}

/// An output's state during a job, for monitoring.
public struct OutputHealth: Sendable, Equatable {
    /// The output as the operator wrote it.
    public let target: String
    /// Packets waiting in its queue now.
    public let queued: Int
    /// Packets written so far.
    public let written: Int
    /// Packets dropped so far.
    public let dropped: Int
}

/// When an output's queue is full.
public enum QueuePolicy: Sendable, Equatable {
    /// The job waits for the output (recorded inputs to files: nothing is lost by waiting).
    case wait
    /// The packet is dropped, and the output then skips to the next video keyframe so its
    /// receiver sees a clean cut, not broken pictures (live inputs and network outputs).
    case drop
}

/// One output on its own thread behind a bounded queue, so a slow or dead output never holds up
/// the job or the other outputs.
///
/// A network output is opened on its thread (an SRT listener waits there for its caller) and
/// opened again, with backoff, when a write fails; until it is open its packets are dropped.
/// After any drop it resumes on a video keyframe. A file output that fails stops for good and
/// says why; the other outputs go on.
final class OutputWorker: @unchecked Sendable {
    // The queue and stats are guarded by `condition`; the sink is touched only by the worker thread.
    let target: OutputTarget
    private let open: (InputCancellation) throws(MediaError) -> any OutputSink
    private let policy: QueuePolicy
    private let capacity: Int
    /// Payload bytes the queue may hold besides the packet count, for an output the job waits
    /// for (a file): read ahead of its writer, a recording's packets would otherwise fill all
    /// `capacity` slots, and a job's memory would grow with the length of its input up to there
    /// (26 MB of 8 Mb/s H.264 at 4,096 packets). Enough for the writer's batches; a live output
    /// (which drops rather than waits) is bounded by `capacity` alone.
    static let waitingByteCapacity = 4 << 20
    private let byteCapacity: Int
    /// Payload bytes in `queue`.
    private var queuedBytes = 0
    private let condition = NSCondition()
    /// Packets in order; a `.dropped` entry marks where packets were dropped (the output resumes on a keyframe there).
    private var queue: [Item] = []
    /// What the worker took from `queue` and is writing (worker thread only).
    private var batch: [Item] = []
    private var batchHead = 0
    private var consumerWaiting = false
    private var producerWaiting = false
    private var closing = false
    private var done = false
    private var stats: OutputStats
    private var latencies = LatencyHistogram()
    private var resyncing = false
    /// Podium's tags that came while the output waited for a keyframe.
    private var waitingTags: [OutputPacket] = []
    /// Stops a blocked open or write of this output only (the job's own stop also reaches it).
    let cancellation = InputCancellation()
    private let jobCancellation: InputCancellation
    /// Paces a UDP output (touched by the worker thread only).
    private var pacer: UDPPacer?
    /// Which of Podium's tags go out (worker thread only).
    private var cueFilter: CueFilter

    /// - Parameters:
    ///   - pace: for a UDP output, how many times real time it may send (nil: as fast as packets come).
    ///   - cues: which of Podium's tags it writes.
    init(
        target: OutputTarget, policy: QueuePolicy, capacity: Int, pace: Double? = nil, cues: CueMode = .everyFrame, jobCancellation: InputCancellation,
        open: @escaping (InputCancellation) throws(MediaError) -> any OutputSink
    ) {
        self.target = target
        cueFilter = CueFilter(mode: cues)
        pacer = pace.map { UDPPacer(speed: $0) }
        self.policy = policy
        self.capacity = max(16, capacity)
        byteCapacity = policy == .wait ? Self.waitingByteCapacity : .max
        self.open = open
        self.jobCancellation = jobCancellation
        stats = OutputStats(target: target.text)
    }

    /// Opens a file output now, so a path that cannot be written fails the job before anything is read.
    func openNow() throws(MediaError) -> any OutputSink { try open(cancellation) }

    /// Starts the worker thread; `sink` is an output already opened by `openNow()`. An output
    /// opened on its thread (network) starts on a video keyframe.
    func start(with sink: (any OutputSink)?) {
        resyncing = sink == nil
        let handoff = SinkHandoff(sink)
        let thread = Thread { [self] in run(handoff.sink) }
        thread.name = "podium-output"
        thread.start()
    }

    /// The output's state now.
    func health() -> OutputHealth {
        condition.lock()
        defer { condition.unlock() }
        return OutputHealth(target: target.text, queued: queue.count, written: stats.written, dropped: stats.dropped)
    }

    /// Hands a packet to the output, waiting or dropping per the policy when the queue is full.
    func send(_ packet: OutputPacket) {
        condition.lock()
        defer { condition.unlock() }
        while full, policy == .wait, !done, !jobCancellation.isCancelled {
            producerWaiting = true
            _ = condition.wait(until: Date().addingTimeInterval(0.05))
            producerWaiting = false
        }
        guard !done, !full else {
            stats.dropped += 1
            if queue.last.map({ if case .dropped = $0 { false } else { true } }) ?? true { queue.append(.dropped) }
            return
        }
        queue.append(.packet(packet))
        queuedBytes += packet.packet.byteCount
        stats.deepestQueue = max(stats.deepestQueue, queue.count)
        stats.deepestQueueBytes = max(stats.deepestQueueBytes, queuedBytes)
        // Waking the output thread costs a system call: only when it sleeps, and when nobody is
        // waiting on this output live, only once a batch has built up (it also wakes every 50 ms).
        if consumerWaiting, policy == .drop || queue.count >= 256 { condition.signal() }
    }

    /// Whether the queue holds as many packets, or as many bytes, as it may. Under `condition`.
    /// (A packet larger than the byte bound still goes into an empty queue.)
    private var full: Bool { queue.count >= capacity || (queuedBytes >= byteCapacity && !queue.isEmpty) }

    /// Lets the output write what is queued and its trailer, waiting at most `grace` seconds for
    /// a network output; returns what it did.
    func finish(grace: Double) -> OutputStats {
        condition.lock()
        closing = true
        condition.broadcast()
        // A stopped job does not wait out a network output that is blocked (a listener with no caller).
        let deadline = Date().addingTimeInterval(jobCancellation.isCancelled ? min(grace, 0.5) : grace)
        while !done {
            if target.isNetwork, Date() > deadline { cancellation.cancel() }
            _ = condition.wait(until: Date().addingTimeInterval(0.05))
        }
        var result = stats
        condition.unlock()
        result.latencyMedianMicroseconds = latencies.percentile(0.5)
        result.latencyP99Microseconds = latencies.percentile(0.99)
        return result
    }

    /// The stats so far (for progress and the API while the job runs).
    var currentStats: OutputStats {
        condition.lock()
        defer { condition.unlock() }
        return stats
    }

    private enum Item {
        case packet(OutputPacket)
        case dropped
    }

    /// The next packet; the worker takes everything queued at once, so the two threads meet once
    /// per batch, not once per packet.
    private func next() -> OutputPacket? {
        while true {
            if batchHead < batch.count {
                let item = batch[batchHead]
                batchHead += 1
                switch item {
                case .packet(let packet): return packet
                case .dropped:
                    resyncing = true
                    cueFilter.forget()
                }
                continue
            }
            // The written packets are let go before the lock is taken: freeing a batch of them
            // takes a while, and the job would wait for it in `send`.
            batch.removeAll(keepingCapacity: true)
            condition.lock()
            while queue.isEmpty {
                if closing {
                    condition.unlock()
                    return nil
                }
                consumerWaiting = true
                _ = condition.wait(until: Date().addingTimeInterval(0.05))
                consumerWaiting = false
            }
            swap(&batch, &queue)
            queuedBytes = 0
            batchHead = 0
            if producerWaiting { condition.broadcast() }
            condition.unlock()
        }
    }

    /// Drops what is queued (counted as skipped): after a long open it is the past.
    private func discardQueued() {
        condition.lock()
        defer { condition.unlock() }
        let pending = queue + batch[batchHead...]
        stats.skippedToKeyframe += pending.filter { if case .packet = $0 { true } else { false } }.count
        queue.removeAll()
        queuedBytes = 0
        batch.removeAll()
        batchHead = 0
        if producerWaiting { condition.broadcast() }
    }

    private func record(_ change: (inout OutputStats) -> Void) {
        condition.lock()
        change(&stats)
        condition.unlock()
    }

    private var stopping: Bool { cancellation.isCancelled || jobCancellation.isCancelled }

    /// How a network output that failed is opened again: with a backoff between attempts.
    private struct Reopening {
        var failedOpens = 0
        var lastAttempt = Date.distantPast

        /// Whether it is time for another attempt.
        var isDue: Bool {
            let delay = min(5.0, 0.25 * pow(2, Double(min(failedOpens, 5))))
            return failedOpens == 0 || Date().timeIntervalSince(lastAttempt) >= delay
        }
    }

    private func run(_ opened: (any OutputSink)?) {
        var sink = opened
        var reopening = Reopening()
        while let packet = next() {
            if sink == nil {
                sink = openAgain(&reopening)
                // Meanwhile the packets go by (dropped, counted).
                guard sink != nil else {
                    record { $0.dropped += 1 }
                    continue
                }
            }
            if packet.role == .podiumMetadata, !cueFilter.admits(packet) {
                record { $0.unchangedCues += 1 }
                continue
            }
            if resyncing {
                guard resync(on: packet, into: sink!) else { continue }
            }
            pace(packet)
            write(packet, into: &sink, reopening: &reopening)
        }
        do {
            try sink?.finish()
        } catch {
            let reason = "\(error)"
            if !target.isNetwork { record { $0.failure = reason } }
        }
        condition.lock()
        done = true
        queue.removeAll()
        condition.broadcast()
        condition.unlock()
    }

    /// A network output opened again when its backoff allows; nil while it does not, or when
    /// the output is a file (which is never reopened) or the job stops.
    private func openAgain(_ reopening: inout Reopening) -> (any OutputSink)? {
        guard target.isNetwork, !stopping, reopening.isDue else { return nil }
        reopening.lastAttempt = Date()
        do {
            let sink = try open(cancellation)
            resyncing = true
            cueFilter.forget()
            // An open that waited (an SRT listener until its caller came) leaves a queue of
            // stale packets: a late receiver gets the stream from now, not a burst of the past.
            if Date().timeIntervalSince(reopening.lastAttempt) > 0.5 { discardQueued() }
            // A first open is not a reopening; one after failures or after writing is.
            let failed = reopening.failedOpens
            record { if failed > 0 || $0.written > 0 { $0.reopened += 1 } }
            reopening.failedOpens = 0
            return sink
        } catch {
            reopening.failedOpens += 1
            return nil
        }
    }

    /// After an open, the output starts on a keyframe. Returns whether `packet` goes out now.
    private func resync(on packet: OutputPacket, into sink: any OutputSink) -> Bool {
        // A frame's tag goes out just before its (held) video packet: the keyframe's own tags
        // wait here, so the first frame written still carries its tag.
        if packet.role == .podiumMetadata {
            waitingTags.append(packet)
            if waitingTags.count > 16 {
                waitingTags.removeFirst()
                record { $0.skippedToKeyframe += 1 }
            }
            return false
        }
        guard packet.isVideo, packet.isKeyframe else {
            record { $0.skippedToKeyframe += 1 }
            return false
        }
        resyncing = false
        let start = packet.pts ?? .min
        for tag in waitingTags {
            guard (tag.pts ?? .min) >= start else {
                record { $0.skippedToKeyframe += 1 }
                continue
            }
            do {
                try sink.write(tag)
                record { $0.written += 1 }
            } catch {
                record { $0.dropped += 1 }
            }
        }
        waitingTags = []
        return true
    }

    /// Waits for the packet's moment on a paced (UDP) output.
    private func pace(_ packet: OutputPacket) {
        guard var schedule = pacer else { return }
        let wait = schedule.wait(before: packet, now: DispatchTime.now().uptimeNanoseconds)
        pacer = schedule
        if wait > 0 { usleep(UInt32(min(wait / 1000, 1_000_000))) }
    }

    /// Writes one packet; a failed network output is closed to be opened again, a failed file
    /// output is closed for good with the reason.
    private func write(_ packet: OutputPacket, into sink: inout (any OutputSink)?, reopening: inout Reopening) {
        do {
            let repaired = try sink!.write(packet)
            let now = DispatchTime.now().uptimeNanoseconds
            condition.lock()
            stats.written += 1
            if repaired { stats.repairedTimestamps += 1 }
            latencies.record(microseconds: Int((now &- packet.readAt) / 1000))
            condition.unlock()
        } catch {
            // One packet the muxer cannot take (its content, not the output) is left out.
            if error.isRefusedPacket {
                record { $0.refusedByMuxer += 1 }
                return
            }
            record { $0.dropped += 1 }
            _ = try? sink?.finish()
            sink = nil
            if target.isNetwork {
                // The receiver went away: open again and resume on a keyframe.
                reopening = Reopening(failedOpens: 1, lastAttempt: Date())
            } else {
                let reason = "\(error)"
                record { $0.failure = reason }
            }
        }
    }
}

/// Spreads bursts on a UDP output. UDP has no flow control: the packets a live input yields at
/// once (what FFmpeg read while probing it, what arrived while a reconnection was made) would
/// overflow a receiver's socket buffer if sent back to back.
///
/// A token bucket in media time: sending a video packet costs the media time since the previous
/// one (by decode timestamp; the other streams ride between video packets, their timestamps
/// lead or lag by the muxer's interleaving), credit comes back at `speed` times real time, and
/// up to `allowance` seconds of media may go at once. Ordinary arrival jitter never waits; a
/// burst longer than the allowance goes out at `speed` times real time.
struct UDPPacer {
    let speed: Double
    let allowance: Double
    private var credit: Double
    private var lastRefill: UInt64?
    private var lastMedia: Double?

    init(speed: Double, allowance: Double = 0.25) {
        self.speed = speed
        self.allowance = allowance
        credit = allowance
    }

    /// Nanoseconds to wait before sending `packet` at `now` (monotonic nanoseconds).
    mutating func wait(before packet: OutputPacket, now: UInt64) -> UInt64 {
        guard packet.isVideo, let dts = packet.dts ?? packet.pts else { return 0 }
        return wait(beforeVideoAt: Double(dts) * Double(packet.timeBase), now: now)
    }

    /// Nanoseconds to wait before sending the video packet decoded at `media` seconds.
    mutating func wait(beforeVideoAt media: Double, now: UInt64) -> UInt64 {
        if let lastRefill, now > lastRefill {
            credit = min(allowance, credit + Double(now - lastRefill) / 1e9 * speed)
        }
        lastRefill = now
        // A timestamp jump (a new epoch) costs nothing: only the steady advance is paced.
        let cost = lastMedia.map { media - $0 }.map { $0 >= 0 && $0 <= 1 ? $0 : 0 } ?? 0
        lastMedia = media
        credit -= cost
        guard credit < 0 else { return 0 }
        let wait = UInt64(-credit / speed * 1e9)
        // The wait refills the bucket to exactly empty.
        credit = 0
        lastRefill = now &+ wait
        return wait
    }
}

/// Moves an opened sink to the worker thread, which owns it from then on.
private struct SinkHandoff: @unchecked Sendable {
    let sink: (any OutputSink)?
    init(_ sink: (any OutputSink)?) { self.sink = sink }
}

/// Latencies in 25 µs buckets up to 2 s (beyond is counted in the last bucket): fixed memory
/// however long the job runs.
struct LatencyHistogram {
    static let bucketMicroseconds = 25
    private var counts = [UInt32](repeating: 0, count: 80_001)
    private var total = 0

    mutating func record(microseconds: Int) {
        counts[min(max(0, microseconds) / Self.bucketMicroseconds, counts.count - 1)] &+= 1
        total += 1
    }

    /// The upper edge of the bucket holding the `fraction` quantile; 0 when nothing was recorded.
    func percentile(_ fraction: Double) -> Int {
        guard total > 0 else { return 0 }
        let rank = Int((Double(total) * fraction).rounded(.up))
        var seen = 0
        for (bucket, count) in counts.enumerated() {
            seen += Int(count)
            if seen >= rank { return (bucket + 1) * Self.bucketMicroseconds }
        }
        return counts.count * Self.bucketMicroseconds
    }
}
