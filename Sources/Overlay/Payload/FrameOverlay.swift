public import Foundation

/// Everything that belongs on one video frame, as carried in band and served by the API.
///
/// The keys `seq`, `pts` and `captureUTC` identify the frame, so in-band and JSON consumers meet
/// on the same frame. Absent values (no reaction yet, no finish yet) are omitted from the JSON.
public struct FrameOverlay: Sendable, Hashable, Codable {
    /// The frame's index in presentation order, from 0.
    public let seq: Int
    /// The frame's presentation timestamp in `timeBase` ticks (unwrapped).
    public let pts: Int64
    /// Seconds per PTS tick, as `num/den`.
    public let timeBase: String
    /// Capture UTC of the frame, ISO 8601 with microseconds.
    public let captureUTC: String
    /// The competition unit (RSC) on screen.
    public let unit: String?
    /// The running race clock.
    public let clock: Clock
    /// Lanes in lane order.
    public let lanes: [Lane]

    /// The race clock as shown on the frame.
    public struct Clock: Sendable, Hashable, Codable {
        /// Not started, running, or stopped at the first touch.
        public let state: State
        /// Elapsed race time in whole hundredths, truncated, never negative.
        public let hundredths: Int64
        /// The clock as shown: `0.00`, `8.31`, `1:47.92`.
        public let display: String

        /// Whether the clock runs.
        public enum State: String, Sendable, Hashable, Codable {
            case notStarted, running, stopped
        }

        /// Creates a clock reading.
        public init(state: State, hundredths: Int64) {
            self.state = state
            self.hundredths = hundredths
            self.display = RaceTime.display(hundredths: hundredths)
        }
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
    }

    /// The canonical JSON of this overlay: sorted keys, no escaped slashes, one line.
    ///
    /// The same bytes go in band and out through the API.
    public func canonicalJSON() -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Encoding plain structs of strings and integers cannot fail.
        return try! encoder.encode(self)
    }
}
