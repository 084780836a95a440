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
    /// DNS, DNF or DSQ.
    public let status: CompetitorStatus?
    /// The finish awaits the photo finish.
    public let photoFinishPending: Bool
}

/// The competition as a function of venue time: what had happened by any instant.
///
/// Built from the current results of one unit; every event is placed at start + its race time,
/// because that is when it happened, whatever time the document carrying it was sent.
public struct RaceTimeline: Sendable {
    /// The unit.
    public let unit: UnitCode
    /// The start signal, if the unit has started.
    public let start: UTCInstant?
    /// The results' status as the results system gave it (`OFFICIAL`, …).
    public let resultStatus: String?
    /// `start` as the running clock carries it, written once rather than on every frame.
    private let startText: String?
    /// The first touch: the running clock stops here and shows the winning time.
    public let clockStop: Timed<RaceTime>?
    /// The instant the race is complete: the last touch of the lanes that finish.
    public let raceComplete: UTCInstant?
    /// Lanes in lane order.
    public let lanes: [LaneTimeline]
    /// Records in force for this event (world, Olympic, …).
    public let records: [RecordEntry]
    /// The race distance in metres, read from the RSC (`100M…`), when it states one.
    public let raceDistance: Int?
    /// The pool (or track straight) length the world-record line folds onto.
    public let poolLength: Int
    /// What version of the results the timeline was built from (`DT_RESULT v4`), carried in every frame.
    public let dataVersion: String?
    /// Every instant at which something discrete changes (start, reactions, splits, touches,
    /// completion), sorted: the discrete state of a frame depends only on how many of these it shows.
    let instants: [UTCInstant]
    /// The records in force as every frame shows them.
    private let recordTags: [FrameOverlay.RecordTag]
    /// The time base as text: formatted once per time base, not once per frame.
    private let timeBaseText = LastValueCache<Rational, String>()
    /// The world-record holder's path in integer milliseconds and millimetres.
    private let recordPath: [(milliseconds: Int64, millimetres: Int64)]
    /// Discrete frame states by epoch (the number of instants shown), so frames between two
    /// timing events reuse their lanes, order and leader.
    private let states = EpochCache<DiscreteState>()

    /// The parts of a frame's state that change only at timing events.
    struct DiscreteState: Sendable {
        let lanes: [FrameOverlay.Lane]
        let order: [Int]
        let leader: Int?
        let complete: Bool
        let started: Bool
    }

    /// Places the results of a unit on the venue clock; athletes are looked up by competitor code.
    ///
    /// - Parameters:
    ///   - records: records in force; those of this unit's event are kept.
    ///   - poolLength: metres; lengths alternate direction, so the world-record line folds onto it.
    public init(
        results: UnitResults, athletes: [String: Athlete], records: [RecordEntry] = [], poolLength: Int = 50,
        dataVersion: String? = nil
    ) {
        unit = results.unit
        start = results.startTime
        startText = results.startTime?.iso8601
        resultStatus = results.status
        self.poolLength = max(1, poolLength)
        self.dataVersion = dataVersion
        raceDistance = RaceTimeline.distance(of: results.unit)
        self.records = records.filter { RaceTimeline.record($0, belongsTo: results.unit) }
            .sorted { ($0.type, $0.time) < ($1.type, $1.time) }
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
                finish: lane.status == nil ? place(lane.finish) : nil,
                rank: lane.status == nil ? lane.rank : nil,
                records: lane.status == nil ? lane.records : [],
                status: lane.status,
                photoFinishPending: lane.photoFinishPending
            )
        }
        let touches = lanes.compactMap(\.finish)
        clockStop = touches.min { $0.happenedAt < $1.happenedAt }
        // Complete once every lane that will touch has touched (lanes with a mark never touch).
        let racing = lanes.filter { $0.status == nil }
        raceComplete = !touches.isEmpty && racing.allSatisfy { $0.finish != nil } ? touches.map(\.happenedAt).max() : nil
        var instants = [start, raceComplete].compactMap { $0 }
        for lane in lanes {
            instants += [lane.reaction?.happenedAt, lane.finish?.happenedAt].compactMap { $0 } + lane.intermediates.map(\.happenedAt)
        }
        self.instants = instants.sorted()
        recordTags = self.records.map(FrameOverlay.RecordTag.init)
        if let distance = raceDistance, let record = self.records.first(where: { $0.type == "WR" }) {
            var path: [(Int64, Int64)] = [(0, 0)]
            for split in record.splits where split.distance < distance { path.append((split.time.milliseconds, Int64(split.distance) * 1000)) }
            path.append((record.time.milliseconds, Int64(distance) * 1000))
            recordPath = path
        } else {
            recordPath = []
        }
    }

    /// How many of the timeline's instants the frame shows: frames with the same epoch share their discrete state.
    func epoch(of frame: FrameTiming) -> Int {
        var low = 0
        var high = instants.count
        while low < high {
            let middle = (low + high) / 2
            if frame.shows(eventAt: instants[middle]) { low = middle + 1 } else { high = middle }
        }
        return low
    }

    /// The timeline of `unit` from a results book: its athletes, the records in force, and the
    /// version of the result message it was built from. Nil when the book has no results for the unit.
    public init?(book: ResultsBook, unit: UnitCode, poolLength: Int = 50) {
        guard let results = book.results(of: unit) else { return nil }
        let version = book.odfResults(of: unit).map { "\($0.header.documentType) v\($0.header.version)" }
            ?? book.lenexRaces[unit].map { _ in "Lenex" }
        let events = book.events[unit]?.count ?? 0
        self.init(
            results: results, athletes: book.athletes, records: book.records(for: unit), poolLength: poolLength,
            dataVersion: [version, events > 0 ? "\(events) events" : nil].compactMap { $0 }.joined(separator: " + ")
        )
    }

    /// The overlay state on one frame: every event whose instant falls before the end of the
    /// frame's capture interval is shown, so each appears first on the frame that contains it.
    public func overlay(for frame: FrameTiming, camera: CameraPose? = nil) -> FrameOverlay {
        overlay(for: frame, camera: camera, epoch: epoch(of: frame))
    }

    /// The overlay of a frame whose epoch is already known.
    func overlay(for frame: FrameTiming, camera: CameraPose?, epoch: Int) -> FrameOverlay {
        let state = discreteState(on: frame, epoch: epoch)
        let clock = clock(on: frame, complete: state.complete)
        return FrameOverlay(
            seq: frame.sequence,
            frame: frame.sequence,
            pts: frame.pts.ticks,
            timeBase: timeBaseText.value(for: frame.pts.timeBase) { $0.description },
            captureUTC: frame.captureStart.iso8601,
            timecode: frame.timecode?.description,
            dataVersion: dataVersion,
            camera: camera,
            unit: unit.rawValue,
            clock: clock,
            lanes: state.lanes,
            order: state.started ? state.order : [],
            leader: state.leader,
            records: recordTags,
            worldRecordLine: worldRecordLine(on: frame, clock: clock),
            elements: [],
            resultStatus: resultStatus
        )
    }

    /// Lanes, order and leader on a frame: computed once per epoch.
    func discreteState(on frame: FrameTiming, epoch: Int) -> DiscreteState {
        states.value(for: epoch) {
            let complete = raceComplete.map(frame.shows(eventAt:)) ?? false
            let laneStates = lanes.map { lane(lane: $0, on: frame, complete: complete) }
            let order = RaceTimeline.order(laneStates)
            // Nobody leads before somebody has reached a timing point.
            let leading = order.first.flatMap { first in laneStates.first { $0.lane == first } }
            let leader = leading.flatMap { $0.finish != nil || !$0.splits.isEmpty ? $0.lane : nil }
            return DiscreteState(
                lanes: laneStates, order: order, leader: leader, complete: complete, started: start.map(frame.shows(eventAt:)) ?? false
            )
        }
    }

    private func clock(on frame: FrameTiming, complete: Bool) -> FrameOverlay.Clock {
        guard let start, frame.shows(eventAt: start) else {
            return FrameOverlay.Clock(state: .notStarted, hundredths: 0)
        }
        if let clockStop, frame.shows(eventAt: clockStop.happenedAt) {
            return FrameOverlay.Clock(state: complete ? .final : .stopped, hundredths: clockStop.value.hundredths)
        }
        return FrameOverlay.Clock(state: .running, hundredths: raceHundredths(on: frame, since: start), startUTC: startText)
    }

    /// Race time on a frame: truncated to hundredths, and zero on the start frame, whose capture began before the gun.
    private func raceHundredths(on frame: FrameTiming, since start: UTCInstant) -> Int64 {
        // floor((capture − start) × 100) over a common denominator: no gcd on the per-frame path.
        let capture = frame.captureStart.secondsSinceEpoch, gun = start.secondsSinceEpoch
        let numerator = (capture.numerator * gun.denominator - gun.numerator * capture.denominator) * 100
        let denominator = capture.denominator * gun.denominator
        guard numerator > 0 else { return 0 }
        return Int64(numerator / denominator)
    }

    private func lane(lane: LaneTimeline, on frame: FrameTiming, complete: Bool) -> FrameOverlay.Lane {
        let visibleIntermediates = lane.intermediates.filter { frame.shows(eventAt: $0.happenedAt) }
        let splits = visibleIntermediates.map { timed in
            let leaderTime = leaderTime(at: timed.value.distance)
            return FrameOverlay.Split(
                distance: timed.value.distance,
                time: FrameOverlay.Time(timed.value.time),
                rank: timed.value.rank ?? splitRank(of: timed.value),
                gap: leaderTime.flatMap { $0 < timed.value.time ? FrameOverlay.Gap(timed.value.time.milliseconds - $0.milliseconds) : nil }
            )
        }
        var finish: FrameOverlay.Finish?
        let touched = lane.finish.map { frame.shows(eventAt: $0.happenedAt) } ?? false
        if let touch = lane.finish, touched {
            finish = FrameOverlay.Finish(
                time: FrameOverlay.Time(touch.value), rank: lane.rank ?? finishRank(of: touch.value), records: lane.records
            )
        }
        // A DNS is known at the start; a DNF or DSQ shows once the race is complete.
        let started = start.map(frame.shows(eventAt:)) ?? false
        let statusVisible = lane.status == .dns ? started : complete
        return FrameOverlay.Lane(
            lane: lane.lane,
            athlete: lane.athlete.map { FrameOverlay.AthleteTag($0) },
            reaction: lane.reaction.flatMap {
                frame.shows(eventAt: $0.happenedAt) ? FrameOverlay.Time(reaction: $0.value, discipline: unit.discipline) : nil
            },
            splits: splits,
            finish: finish,
            status: statusVisible ? lane.status?.rawValue : nil,
            photoFinishPending: touched && lane.photoFinishPending ? true : nil
        )
    }

    /// The fastest time at a distance among all lanes (the leader there), whether or not shown yet:
    /// a lane's split only shows once reached, and the leader reached it first.
    private func leaderTime(at distance: Int) -> RaceTime? {
        lanes.compactMap { lane in lane.intermediates.first { $0.value.distance == distance }?.value.time }.min()
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

    /// Race order on a frame: touched lanes by time, then lanes by furthest distance reached and
    /// time there, then the rest by lane; lanes with a mark (DNS, DNF, DSQ) last.
    static func order(_ lanes: [FrameOverlay.Lane]) -> [Int] {
        func key(_ lane: FrameOverlay.Lane) -> (Int, Int, Int64, Int) {
            if lane.status != nil { return (3, 0, 0, lane.lane) }
            if let finish = lane.finish { return (0, 0, finish.time.hundredths, lane.lane) }
            if let split = lane.splits.last { return (1, -split.distance, split.time.hundredths, lane.lane) }
            return (2, 0, 0, lane.lane)
        }
        return lanes.sorted { key($0) < key($1) }.map(\.lane)
    }

    // MARK: - World-record line

    /// Where the world-record holder would be at the frame's race time: interpolated through the
    /// record's cumulative splits, folded onto the pool (lengths alternate direction).
    private func worldRecordLine(on frame: FrameTiming, clock: FrameOverlay.Clock) -> FrameOverlay.WorldRecordLine? {
        guard let start, frame.shows(eventAt: start), let distance = raceDistance, recordPath.count >= 2,
              let record = records.first(where: { $0.type == "WR" })
        else { return nil }
        let hundredths = raceHundredths(on: frame, since: start)
        let elapsed = hundredths * 10
        // Exact in integers: times are whole milliseconds and distances whole millimetres, so the
        // floor of the interpolated position is the segment start plus a floored integer quotient.
        let totalMillimetres = Int64(distance) * 1000
        var covered = totalMillimetres
        var exact = true
        if let upper = recordPath.firstIndex(where: { elapsed <= $0.milliseconds }), upper > 0 {
            let (t0, d0) = recordPath[upper - 1]
            let (t1, d1) = recordPath[upper]
            if t1 > t0 {
                let numerator = (d1 - d0) * (elapsed - t0)
                covered = d0 + numerator / (t1 - t0)
                exact = numerator % (t1 - t0) == 0
            } else {
                covered = d1
            }
        } else if elapsed <= 0 {
            covered = 0
        }
        let length = Int64(poolLength) * 1000
        let lap = covered / length
        let into = covered - lap * length
        let outward = lap % 2 == 0
        // Coming back, the position is the length minus the distance into it, rounded down.
        let position = outward ? into : length - into - (exact ? 0 : 1)
        let inLength = into > 0 || !exact
        return FrameOverlay.WorldRecordLine(
            type: record.type,
            // While the clock runs it shows this very race time: share its text.
            raceTime: clock.state == .running && clock.hundredths == hundredths
                ? FrameOverlay.Time(hundredths: hundredths, display: clock.display) : FrameOverlay.Time(RaceTime(milliseconds: elapsed)),
            distanceMillimetres: covered,
            positionMillimetres: position,
            length: max(1, min(Int(lap) + (inLength ? 1 : 0), max(1, distance / poolLength))),
            finished: covered >= totalMillimetres
        )
    }

    /// Metres from an RSC's event part: `SWMM100MFR…` is 100.
    static func distance(of unit: UnitCode) -> Int? {
        let digits = unit.event.prefix { $0.isNumber }
        guard !digits.isEmpty, unit.event.dropFirst(digits.count).first == "M" else { return nil }
        return Int(digits)
    }

    /// Whether a record belongs to the unit's event (course and age group unknown here: the
    /// results book filters by them, `ResultsBook.records(for:)`).
    static func record(_ record: RecordEntry, belongsTo unit: UnitCode) -> Bool {
        record.belongs(to: unit, course: nil)
    }
}
