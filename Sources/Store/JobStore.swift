public import Foundation
public import Overlay

/// What is known of a job when it starts: what it reads, what it writes, how it is timed.
public struct JobDescription: Sendable, Equatable {
    /// UTC (ISO 8601) the job was created.
    public let createdUTC: String
    /// Input URL or path.
    public let input: String
    /// Output URL or path.
    public let output: String
    /// The competition unit bound to the job.
    public let unit: String?
    /// Which clock source times the frames (`anchor` for an operator anchor).
    public let clockSource: String
    /// Frame rate used by the clock, `num/den`, or `stream` when the stream's own rate applies.
    public let frameRate: String

    /// The broadcaster the job belongs to (its API key's owner); nil for a job only admins and viewers see.
    public let owner: String?
    /// The node (`NodeRecord.id`) that runs the job; nil for jobs recorded before nodes were.
    public let node: String?

    /// Describes a job about to run.
    public init(createdUTC: String, input: String, output: String, unit: String?, clockSource: String, frameRate: String, owner: String? = nil, node: String? = nil) {
        self.owner = owner
        self.node = node
        self.createdUTC = createdUTC
        self.input = input
        self.output = output
        self.unit = unit
        self.clockSource = clockSource
        self.frameRate = frameRate
    }
}

/// An enrichment job as recorded: its description and how far it got.
public struct JobRecord: Sendable, Equatable {
    /// Store-assigned identifier.
    public let id: Int64
    /// What the job does.
    public let description: JobDescription
    /// `running`, `completed`, `stopped`, `failed`, or `interrupted` when the node that ran it
    /// died and left it unfinished (`JobRecord.states`).
    public let state: String
    /// Frames tagged so far.
    public let frames: Int
    /// Why the job failed, when it did.
    public let failure: String?

    /// Creates a job record.
    /// Frames whose visible state changed after they aired (documents that arrived too late for them).
    public let corrections: Int
    /// What the run did (outputs, drops, gaps, reconnects, clock source), as JSON, once it ended.
    public let stats: Data?

    public init(id: Int64, description: JobDescription, state: String, frames: Int, failure: String?, corrections: Int = 0, stats: Data? = nil) {
        self.stats = stats
        self.id = id
        self.description = description
        self.state = state
        self.frames = frames
        self.failure = failure
        self.corrections = corrections
    }
}

/// One frame's overlay as stored: its keys and the canonical JSON that also went in band.
public struct StoredFrame: Sendable, Equatable {
    /// Presentation-order index.
    public let seq: Int
    /// Unwrapped PTS.
    public let pts: Int64
    /// Capture UTC, ISO 8601.
    public let captureUTC: String
    /// The overlay's canonical JSON, byte for byte as carried in band.
    public let overlayJSON: Data
    /// Bytes of `overlayJSON` that neighbouring frames are likely to repeat exactly (a frame's
    /// lanes change only when a result arrives): the store keeps one copy of them while they
    /// repeat. Nil when the frame is stored whole; reads give the whole JSON either way.
    public let sharedRange: Range<Int>?
    /// The capture instant exactly, in seconds since the epoch as `n/d`, when `captureUTC` (whole
    /// microseconds) is not exact: at 59.94 fps a frame lasts 1001/60000 s. A job reads its aired
    /// frames back to correct them, and must see the instants it rendered them at.
    public let captureExact: String?

    /// Creates a stored frame.
    public init(seq: Int, pts: Int64, captureUTC: String, overlayJSON: Data, sharedRange: Range<Int>? = nil, captureExact: String? = nil) {
        self.seq = seq
        self.pts = pts
        self.captureUTC = captureUTC
        self.overlayJSON = overlayJSON
        self.sharedRange = sharedRange
        self.captureExact = captureExact
    }

    /// Frames are equal when they hold the same state; how they were stored does not count.
    public static func == (left: StoredFrame, right: StoredFrame) -> Bool {
        left.seq == right.seq && left.pts == right.pts && left.captureUTC == right.captureUTC && left.overlayJSON == right.overlayJSON
    }
}

/// A results document exactly as received, for the audit log.
/// A frame's state as it should have been, once documents that arrived after it aired are counted.
public struct StoredCorrection: Sendable, Equatable {
    /// The frame's sequence number.
    public let seq: Int
    /// The corrected `FrameOverlay`, canonical JSON.
    public let overlayJSON: Data
    /// The results version the correction comes from.
    public let dataVersion: String?
    /// Whether a viewer would see the difference (not only a newer data version).
    public let visible: Bool
    /// Bytes of `overlayJSON` other stored states are likely to repeat (see `StoredFrame.sharedRange`).
    public let sharedRange: Range<Int>?

    /// Creates a correction.
    public init(seq: Int, overlayJSON: Data, dataVersion: String?, visible: Bool, sharedRange: Range<Int>? = nil) {
        self.seq = seq
        self.overlayJSON = overlayJSON
        self.dataVersion = dataVersion
        self.visible = visible
        self.sharedRange = sharedRange
    }

    /// A correction that changes nothing of the aired frame but its data version: stored as the
    /// version alone (no second copy of the frame), and read as the aired frame's JSON with the
    /// version replaced. Only for a frame whose aired JSON has a data version to replace.
    public init(seq: Int, changingDataVersionTo dataVersion: String) {
        self.init(seq: seq, overlayJSON: Data(), dataVersion: dataVersion, visible: false)
    }

    /// Corrections are equal when they hold the same state; how they were stored does not count.
    public static func == (left: StoredCorrection, right: StoredCorrection) -> Bool {
        left.seq == right.seq && left.overlayJSON == right.overlayJSON && left.dataVersion == right.dataVersion && left.visible == right.visible
    }
}

/// Which state of a frame to read.
public enum FrameVersion: String, Sendable, CaseIterable {
    /// What went out in band.
    case aired
    /// With every correction applied.
    case latest
}

public struct ReceivedDocument: Sendable, Equatable {
    /// Where it came from (file name, feed endpoint).
    public let source: String
    /// `odf`, `lenex`, `podium-json`.
    public let format: String
    /// When it was received, ISO 8601 UTC, if known.
    public let receivedUTC: String?
    /// The bytes as received.
    public let bytes: Data
    /// How it was taken (`applied`, `duplicate`, `superseded`, or the refusal).
    public let outcome: String

    /// Creates a received-document record.
    public init(source: String, format: String, receivedUTC: String?, bytes: Data, outcome: String) {
        self.source = source
        self.format = format
        self.receivedUTC = receivedUTC
        self.bytes = bytes
        self.outcome = outcome
    }
}

/// The reads the API needs. Implementations run their I/O off the cooperative thread pool.
public protocol JobReading: Sendable {
    /// The jobs `query` selects, newest first.
    func jobs(_ query: JobQuery) async throws -> [JobRecord]
    /// One job, or nil.
    func job(id: Int64) async throws -> JobRecord?
    /// Frames of a job with `from ≤ seq ≤ to`, at most `limit`, in order.
    func frames(jobID: Int64, from: Int, to: Int, limit: Int, asOf version: FrameVersion) async throws -> [StoredFrame]
    /// The first frame at or after `key` (`atOrAfter`), or the last at or before it; nil when none.
    func seq(jobID: Int64, key: FrameKey, atOrAfter: Bool) async throws -> Int?
    /// Rings when a job's frames or state change through this store (in this process).
    var bell: FrameBell { get }
}

/// A point on a job's frames other than the sequence number.
public enum FrameKey: Sendable, Equatable {
    /// A presentation timestamp, in the job's time base, unwrapped.
    case pts(Int64)
    /// A capture UTC, ISO 8601 with microseconds as stored (`2026-07-31T19:42:19.800000Z`).
    case captureUTC(String)
}

/// Which jobs to list: a page of them, newest first, optionally of one state or one owner.
public struct JobQuery: Sendable, Hashable {
    /// Only jobs with an id below this (the last id of the page before); nil from the newest.
    public var before: Int64?
    /// Only jobs in this state (one of `JobRecord.states`).
    public var state: String?
    /// Only jobs of this owner.
    public var owner: String?
    /// At most this many.
    public var limit: Int

    /// Creates a query; by default every job.
    public init(before: Int64? = nil, state: String? = nil, owner: String? = nil, limit: Int = .max) {
        self.before = before
        self.state = state
        self.owner = owner
        self.limit = limit
    }
}

extension JobRecord {
    /// Every state a job can be in.
    public static let states: [String] = ["running", "completed", "stopped", "failed", "interrupted"]
}

extension JobReading {
    /// Every job, newest first.
    public func jobs() async throws -> [JobRecord] {
        try await jobs(JobQuery())
    }

    /// Frames as they aired.
    public func frames(jobID: Int64, from: Int, to: Int, limit: Int) async throws -> [StoredFrame] {
        try await frames(jobID: jobID, from: from, to: to, limit: limit, asOf: .aired)
    }
}

/// What an enrichment run did, as the job records it and the API shows it (`JobRecord.stats`).
public struct JobStats: Codable, Sendable, Equatable {
    /// What one output did.
    public struct Output: Codable, Sendable, Equatable {
        public let target: String
        public let written: Int
        public let dropped: Int
        public let skippedToKeyframe: Int
        public let reopened: Int
        public let deepestQueue: Int
        public let latencyMedianMicroseconds: Int
        public let latencyP99Microseconds: Int
        /// Packets whose timestamps were repaired for the muxer (absent in records made before it was counted).
        public let repairedTimestamps: Int?
        /// Packets the muxer refused for their content and that were left out (absent likewise).
        public let refusedByMuxer: Int?
        /// Podium's tags left out because their frame showed nothing new (cues on change; absent likewise).
        public let unchangedCues: Int?
        public let failure: String?

        /// Creates an output's record.
        public init(
            target: String, written: Int, dropped: Int, skippedToKeyframe: Int, reopened: Int, deepestQueue: Int,
            latencyMedianMicroseconds: Int, latencyP99Microseconds: Int, repairedTimestamps: Int = 0, refusedByMuxer: Int = 0, unchangedCues: Int = 0,
            failure: String?
        ) {
            self.repairedTimestamps = repairedTimestamps
            self.refusedByMuxer = refusedByMuxer
            self.unchangedCues = unchangedCues
            self.target = target
            self.written = written
            self.dropped = dropped
            self.skippedToKeyframe = skippedToKeyframe
            self.reopened = reopened
            self.deepestQueue = deepestQueue
            self.latencyMedianMicroseconds = latencyMedianMicroseconds
            self.latencyP99Microseconds = latencyP99Microseconds
            self.failure = failure
        }
    }

    public let frames: Int
    public let tagged: Int
    public let corrections: Int
    public let clockSource: String
    public let epochs: Int
    public let gaps: Int
    public let reconnects: Int
    public let corruptPackets: Int
    /// Where the arrival clock stood at the end (jobs it placed frames for).
    public let arrivalClock: ArrivalClockState?
    /// The peak resident memory of the process that ran the job, in bytes, as the job ended (the
    /// whole process: on a server, its other jobs and the API too; absent where not measured).
    public let peakResidentBytes: Int?
    public let outputs: [Output]

    /// Creates a run's record.
    public init(
        frames: Int, tagged: Int, corrections: Int, clockSource: String, epochs: Int, gaps: Int, reconnects: Int, corruptPackets: Int,
        arrivalClock: ArrivalClockState? = nil, peakResidentBytes: Int? = nil, outputs: [Output]
    ) {
        self.arrivalClock = arrivalClock
        self.peakResidentBytes = peakResidentBytes
        self.frames = frames
        self.tagged = tagged
        self.corrections = corrections
        self.clockSource = clockSource
        self.epochs = epochs
        self.gaps = gaps
        self.reconnects = reconnects
        self.corruptPackets = corruptPackets
        self.outputs = outputs
    }

    /// The JSON the store keeps (sorted keys, so equal stats are equal bytes).
    public var json: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return (try? encoder.encode(self)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
    }
}
