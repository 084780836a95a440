public import Foundation

/// Everything that belongs on one video frame, as carried in band and served by the API.
///
/// The keys `seq`, `pts` and `captureUTC` identify the frame, so in-band and JSON consumers meet
/// on the same frame. Absent values (no reaction yet, no finish yet) are omitted from the JSON.
public struct FrameOverlay: Sendable, Hashable, Codable {
    /// The payload's sequence number: one per tagged frame, from 0.
    public let seq: Int
    /// The frame's index in presentation order in the stream, from 0.
    public let frame: Int
    /// The frame's presentation timestamp in `timeBase` ticks (unwrapped).
    public let pts: Int64
    /// Seconds per PTS tick, as `num/den`.
    public let timeBase: String
    /// Capture UTC of the frame, ISO 8601 with microseconds.
    public let captureUTC: String
    /// SMPTE timecode of the frame, when the stream carries one.
    public var timecode: String?
    /// Which version of the results the state was computed from.
    public let dataVersion: String?
    /// The tracked camera's pose paired with the frame, when tracking is configured.
    public let camera: CameraPose?
    /// The competition unit (RSC) on screen.
    public let unit: String?
    /// The status of the results shown, as the results system gave it (ODF `ResultStatus`:
    /// `START_LIST`, `LIVE`, `INTERMEDIATE`, `UNOFFICIAL`, `OFFICIAL`, …); nil when it gave none.
    public let resultStatus: String?
    /// The running race clock.
    public let clock: Clock
    /// Lanes in lane order.
    public let lanes: [Lane]
    /// Lanes in race order: touched by time, then by distance reached; marked lanes last. Empty before the start.
    public let order: [Int]
    /// The leading lane, once the race has started.
    public let leader: Int?
    /// Records in force for the event.
    public let records: [RecordTag]
    /// Where the world-record holder would be, while a world record with splits is known and the race runs.
    public let worldRecordLine: WorldRecordLine?
    /// What the designer's template puts on screen on this frame.
    public var elements: [Element]

    /// The same frame with another data version.
    public func withDataVersion(_ version: String?) -> FrameOverlay {
        FrameOverlay(
            seq: seq, frame: frame, pts: pts, timeBase: timeBase, captureUTC: captureUTC, timecode: timecode, dataVersion: version,
            camera: camera, unit: unit, clock: clock, lanes: lanes, order: order, leader: leader, records: records,
            worldRecordLine: worldRecordLine, elements: elements, resultStatus: resultStatus
        )
    }

    /// Creates a frame overlay.
    public init(
        seq: Int, frame: Int, pts: Int64, timeBase: String, captureUTC: String, timecode: String? = nil, dataVersion: String?,
        camera: CameraPose?, unit: String?, clock: Clock, lanes: [Lane], order: [Int], leader: Int?, records: [RecordTag],
        worldRecordLine: WorldRecordLine?, elements: [Element], resultStatus: String? = nil
    ) {
        self.seq = seq
        self.frame = frame
        self.pts = pts
        self.timeBase = timeBase
        self.captureUTC = captureUTC
        self.timecode = timecode
        self.dataVersion = dataVersion
        self.camera = camera
        self.unit = unit
        self.resultStatus = resultStatus
        self.clock = clock
        self.lanes = lanes
        self.order = order
        self.leader = leader
        self.records = records
        self.worldRecordLine = worldRecordLine
        self.elements = elements
    }

    /// The race clock as shown on the frame.
    public struct Clock: Sendable, Hashable, Codable {
        /// Not started, running, stopped at the first touch, or final once every lane has touched.
        public let state: State
        /// Elapsed race time in whole hundredths, truncated, never negative.
        public let hundredths: Int64
        /// The clock as shown: `0.00`, `8.31`, `1:47.92`.
        public let display: String
        /// While the clock runs: the start signal's time on the capture clock (ISO 8601, microseconds).
        /// A reader runs the clock from it for frames that carry no payload of their own (cues
        /// on change): the reading of a frame captured at `u` is ⌊(u − startUTC) × 100⌋ hundredths, at least 0.
        public let startUTC: String?

        /// Whether the clock runs.
        public enum State: String, Sendable, Hashable, Codable {
            case notStarted, running, stopped, final
        }

        /// Creates a clock reading; `startUTC` (ISO 8601) is kept while the clock runs.
        public init(state: State, hundredths: Int64, startUTC: String? = nil) {
            self.state = state
            self.hundredths = hundredths
            self.display = RaceTime.display(hundredths: hundredths)
            self.startUTC = state == .running ? startUTC : nil
        }

        /// Whether the clock runs and says when it started: its reading then follows from the
        /// frame's capture time, so a reader needs no payload per frame for it.
        public var runsOnItsOwn: Bool { state == .running && startUTC != nil }
    }

    /// A time as shown: whole hundredths and the display text.
    public struct Time: Sendable, Hashable, Codable {
        /// Whole hundredths, truncated.
        public let hundredths: Int64
        /// Display text, e.g. `22.74`.
        public let display: String

        /// Creates the shown form of a race time.
        public init(_ time: RaceTime) {
            hundredths = time.hundredths
            display = time.description
        }

        /// Creates the shown form of a reaction time in `discipline` (athletics: thousandths shown).
        public init(reaction time: RaceTime, discipline: String) {
            hundredths = time.hundredths
            display = time.reactionDisplay(inDiscipline: discipline)
        }

        /// Creates the shown form from whole hundredths and their text.
        init(hundredths: Int64, display: String) {
            self.hundredths = hundredths
            self.display = display
        }
    }

    /// The athlete tag of a lane.
    public struct AthleteTag: Sendable, Hashable, Codable {
        public let id: String
        public let givenName: String
        public let familyName: String
        /// NOC or federation code.
        public let organisation: String

        /// Creates the tag of an athlete.
        public init(_ athlete: Athlete) {
            id = athlete.id
            givenName = athlete.givenName
            familyName = athlete.familyName
            organisation = athlete.organisation
        }
    }

    /// An intermediate reached by a lane.
    public struct Split: Sendable, Hashable, Codable {
        /// Metres from the start.
        public let distance: Int
        /// Cumulative time.
        public let time: Time
        /// Rank at that distance.
        public let rank: Int
        /// Behind the leader at that distance; absent for the leader.
        public let gap: Gap?
    }

    /// A time behind the leader: `+0.03`.
    public struct Gap: Sendable, Hashable, Codable {
        /// Whole hundredths, truncated.
        public let hundredths: Int64
        /// Display text with its sign.
        public let display: String

        /// Creates a gap from milliseconds.
        public init(_ milliseconds: Int64) {
            hundredths = milliseconds / 10
            display = "+" + RaceTime.display(hundredths: milliseconds / 10)
        }
    }

    /// A record in force.
    public struct RecordTag: Sendable, Hashable, Codable {
        /// WR, OR, …
        public let type: String
        public let time: Time
        /// Holder's name, when known.
        public let holder: String?

        /// Creates the tag of a record.
        public init(_ record: RecordEntry) {
            type = record.type
            time = Time(record.time)
            holder = record.holder.map { "\($0.givenName) \($0.familyName)" }
        }
    }

    /// The world-record line: where the record holder would be at this race time.
    public struct WorldRecordLine: Sendable, Hashable, Codable {
        /// The record's type (WR).
        public let type: String
        /// The race time it was computed for.
        public let raceTime: Time
        /// Metres covered along the race, in millimetres.
        public let distanceMillimetres: Int64
        /// Position along the pool from the start wall, in millimetres (lengths alternate direction).
        public let positionMillimetres: Int64
        /// Which length it is in, from 1.
        public let length: Int
        /// The record holder would have finished.
        public let finished: Bool
    }

    /// A lane's finish.
    public struct Finish: Sendable, Hashable, Codable {
        public let time: Time
        /// Final rank, when known.
        public let rank: Int?
        /// Records set (WR, OR, …); empty when none.
        public let records: [String]
    }

    /// One lane on one frame.
    public struct Lane: Sendable, Hashable, Codable {
        public let lane: Int
        public let athlete: AthleteTag?
        /// Reaction time, once the athlete has left the blocks.
        public let reaction: Time?
        /// Intermediates reached so far.
        public let splits: [Split]
        /// The finish, once the athlete has touched.
        public let finish: Finish?
        /// DNS (from the start), DNF or DSQ (once the race is complete).
        public let status: String?
        /// True from the touch while the photo finish is pending; absent otherwise.
        public let photoFinishPending: Bool?
    }

    /// The canonical JSON of this overlay: what `JSONEncoder` writes with sorted keys and no
    /// escaped slashes, one line (written by `CanonicalJSONWriter`, held to `JSONEncoder` by the tests).
    ///
    /// The same bytes go in band and out through the API.
    public func canonicalJSON() -> Data { Data(canonicalJSONBytes()) }
}
