/// A value that becomes visible at the venue instant it happened.
public struct Timed<Value: Sendable & Hashable>: Sendable, Hashable {
    /// Venue UTC at which the timing system stamped the event.
    public let happenedAt: UTCInstant
    /// What happened.
    public let value: Value
}

/// One lane of a race, with every timing event placed at the venue UTC it happened.
public struct LaneTimeline: Sendable, Hashable {
    /// Lane number.
    public let lane: Int
    /// The athlete in the lane.
    public let athlete: Athlete?
    /// Reaction time, happening at start + reaction.
    public let reaction: Timed<RaceTime>?
    /// Intermediates, each happening at start + cumulative time.
    public let intermediates: [Timed<Intermediate>]
    /// The touch, happening at start + finish time.
    public let finish: Timed<RaceTime>?
    /// Final rank from the results system.
    public let rank: Int?
    /// Records set by the finish.
    public let records: [String]
}

/// The competition as a function of venue time: what had happened by any instant.
///
/// Built from the current results of one unit; every event is placed at start + its race time,
/// because that is when it happened, whatever time the document carrying it was sent.
public struct RaceTimeline: Sendable, Hashable {
    /// The unit.
    public let unit: UnitCode
    /// The start signal, if the unit has started.
    public let start: UTCInstant?
    /// The first touch: the running clock stops here and shows the winning time.
    public let clockStop: Timed<RaceTime>?
    /// Lanes in lane order.
    public let lanes: [LaneTimeline]

    /// Places the results of a unit on the venue clock; athletes are looked up by competitor code.
    public init(results: UnitResults, athletes: [String: Athlete]) {
        unit = results.unit
        start = results.startTime
        let start = results.startTime
        func place(_ time: RaceTime?) -> Timed<RaceTime>? {
            guard let start, let time else { return nil }
            return Timed(happenedAt: start.advanced(by: time.seconds), value: time)
        }
        lanes = results.lanes.map { lane in
            LaneTimeline(
                lane: lane.lane,
                athlete: athletes[lane.competitorCode] ?? lane.describedAthlete,
                reaction: place(lane.reaction),
                intermediates: start.map { start in
                    lane.intermediates.map { Timed(happenedAt: start.advanced(by: $0.time.seconds), value: $0) }
                } ?? [],
                finish: place(lane.finish),
                rank: lane.rank,
                records: lane.records
            )
        }
        clockStop = lanes.compactMap(\.finish).min { $0.happenedAt < $1.happenedAt }
    }

    /// The overlay state on one frame: every event whose instant falls before the end of the
    /// frame's capture interval is shown, so each appears first on the frame that contains it.
    public func overlay(for frame: FrameTiming) -> FrameOverlay {
        FrameOverlay(
            seq: frame.sequence,
            pts: frame.pts.ticks,
            timeBase: frame.pts.timeBase.description,
            captureUTC: frame.captureStart.iso8601,
            unit: unit.rawValue,
            clock: clock(on: frame),
            lanes: lanes.map { lane(lane: $0, on: frame) }
        )
    }

    private func clock(on frame: FrameTiming) -> FrameOverlay.Clock {
        guard let start, frame.shows(eventAt: start) else {
            return FrameOverlay.Clock(state: .notStarted, hundredths: 0)
        }
        if let clockStop, frame.shows(eventAt: clockStop.happenedAt) {
            return FrameOverlay.Clock(state: .stopped, hundredths: clockStop.value.hundredths)
        }
        // Truncated to hundredths, and zero on the start frame, whose capture began before the gun.
        let elapsed = frame.captureStart.seconds(since: start) * Rational(100)
        return FrameOverlay.Clock(state: .running, hundredths: Int64(max(0, elapsed.floor)))
    }

    private func lane(lane: LaneTimeline, on frame: FrameTiming) -> FrameOverlay.Lane {
        let visibleIntermediates = lane.intermediates.filter { frame.shows(eventAt: $0.happenedAt) }
        let splits = visibleIntermediates.map { timed in
            FrameOverlay.Split(
                distance: timed.value.distance,
                time: FrameOverlay.Time(timed.value.time),
                rank: timed.value.rank ?? splitRank(of: timed.value)
            )
        }
        var finish: FrameOverlay.Finish?
        if let touch = lane.finish, frame.shows(eventAt: touch.happenedAt) {
            finish = FrameOverlay.Finish(
                time: FrameOverlay.Time(touch.value), rank: lane.rank ?? finishRank(of: touch.value),
                records: lane.records
            )
        }
        return FrameOverlay.Lane(
            lane: lane.lane,
            athlete: lane.athlete.map { FrameOverlay.AthleteTag($0) },
            reaction: lane.reaction.flatMap { frame.shows(eventAt: $0.happenedAt) ? FrameOverlay.Time($0.value) : nil },
            splits: splits,
            finish: finish
        )
    }

    /// Rank at a distance when the results system gave none: one plus the lanes strictly faster
    /// there. Faster lanes reached the distance earlier, so this is final the moment it shows.
    private func splitRank(of intermediate: Intermediate) -> Int {
        1 + lanes.filter { lane in
            lane.intermediates.contains { $0.value.distance == intermediate.distance && $0.value.time < intermediate.time }
        }.count
    }

    private func finishRank(of time: RaceTime) -> Int {
        1 + lanes.filter { ($0.finish?.value).map { $0 < time } ?? false }.count
    }
}
