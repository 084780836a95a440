import Overlay
import Testing

/// The spans apps key on, found frame by frame: one phase at a time, each closing on the frame
/// the next opens, a record beside them, and a unit leaving the screen closing what was its.
struct RaceWindowTests {
    let race = RaceFixture()

    /// A 100 m race: start at frame 75, lane 2 touches at 8.31 with a world record (frame 490),
    /// lane 1 at 8.40 (frame 495); the results system says `status`.
    static func timeline(status: String, unit: UnitCode = RaceFixture.unit) -> RaceTimeline {
        let winner = LaneResult(
            lane: 2, competitorCode: "C2", describedAthlete: Athlete(id: "C2", givenName: "G2", familyName: "F2", organisation: "NOC"),
            reaction: nil, intermediates: [], finish: RaceTime(milliseconds: 8310), rank: 1, records: ["WR"]
        )
        return RaceTimeline(
            results: UnitResults(unit: unit, status: status, startTime: RaceFixture.start, lanes: [RaceFixture.lane(1, finish: 8400, rank: 2), winner]),
            athletes: [:]
        )
    }

    /// The edges of frames 0…699: results live until frame 519, unofficial until 559, official
    /// after, and the next unit on screen from frame 650.
    func edges() -> [(frame: Int, edge: RaceWindowEdge)] {
        let next = UnitCode("SWMM200MFR------------FNL-000100--")!
        var tracker = RaceWindowTracker()
        var found: [(Int, RaceWindowEdge)] = []
        for index in 0..<700 {
            let timeline = switch index {
            case ..<520: Self.timeline(status: "LIVE")
            case ..<560: Self.timeline(status: "UNOFFICIAL")
            case ..<650: Self.timeline(status: "OFFICIAL")
            default: RaceTimeline(results: UnitResults(unit: next, status: "START_LIST", startTime: nil, lanes: [RaceFixture.lane(3)]), athletes: [:])
            }
            let frame = race.frame(index)
            found += tracker.edges(on: timeline.overlay(for: frame), at: frame.captureStart).map { (index, $0) }
        }
        return found
    }

    @Test func eachPhaseClosesOnTheFrameTheNextOpensAndARecordRunsBeside() {
        let unit = RaceFixture.unit.rawValue
        let described = edges().map { frame, edge in
            switch edge {
            case .opens(let window):
                #expect(window.start == race.frame(frame).captureStart, "\(window.id) starts at its first frame")
                return "\(frame) opens \(window.id) \(window.kind.rawValue) \(window.lane.map(String.init) ?? "-") \(window.records)"
            case .closes(let id, let at):
                #expect(at == race.frame(frame).captureStart, "\(id) ends where the next frame starts")
                return "\(frame) closes \(id)"
            }
        }
        #expect(described == [
            "0 opens status/start-list/\(unit) start-list - []",
            "75 closes status/start-list/\(unit)", "75 opens status/running/\(unit) running - []",
            // The first touch stops the clock: the result is unofficial until the results say otherwise.
            "490 closes status/running/\(unit)", "490 opens status/unofficial/\(unit) unofficial - []",
            "490 opens status/record/\(unit)/2 record 2 [\"WR\"]",
            "560 closes status/unofficial/\(unit)", "560 opens status/official/\(unit) official - []",
            "650 closes status/official/\(unit)", "650 closes status/record/\(unit)/2",
            "650 opens status/start-list/SWMM200MFR------------FNL-000100-- start-list - []",
        ])
    }

    @Test func aSpanThatComesBackGetsAnIdOfItsOwn() {
        var tracker = RaceWindowTracker()
        let live = Self.timeline(status: "LIVE")
        // A touch taken back: the clock runs again after it stopped.
        let running = RaceTimeline(
            results: UnitResults(unit: RaceFixture.unit, status: "LIVE", startTime: RaceFixture.start, lanes: [RaceFixture.lane(1)]), athletes: [:]
        )
        var opened: [String] = []
        for (index, timeline) in [(100, live), (495, live), (496, running), (497, live)] {
            for case .opens(let window) in tracker.edges(on: timeline.overlay(for: race.frame(index)), at: race.frame(index).captureStart) {
                opened.append(window.id)
            }
        }
        let unit = RaceFixture.unit.rawValue
        #expect(opened == [
            "status/running/\(unit)", "status/unofficial/\(unit)", "status/record/\(unit)/2",
            "status/running/\(unit)/2", "status/unofficial/\(unit)/2",
        ])
    }
}
