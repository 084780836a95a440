import Foundation
@testable import Overlay
import TestSupport
import Testing

/// A 50 fps clock whose frame 0 is captured at the start signal minus 1.5 s, as in the fixture.
struct RaceFixture {
    static let start = UTCInstant(millisecondsSinceEpoch: 1_785_526_931_500)
    static let unit = UnitCode("SWMM100MFR------------FNL-000100--")!
    let clock = CaptureClock(
        anchor: ClockAnchor(pts: MediaTime(ticks: 0, timeBase: Rational(1, 90000)), utc: UTCInstant(millisecondsSinceEpoch: 1_785_526_930_000)),
        frameRate: Rational(50)
    )

    func frame(_ index: Int) -> FrameTiming {
        clock.timing(sequence: index, pts: MediaTime(ticks: Int64(index) * 1800, timeBase: Rational(1, 90000)))
    }

    static func lane(_ lane: Int, reaction: Int64? = nil, split: Int64? = nil, splitRank: Int? = nil, finish: Int64? = nil, rank: Int? = nil) -> LaneResult {
        LaneResult(
            lane: lane, competitorCode: "C\(lane)", describedAthlete: Athlete(id: "C\(lane)", givenName: "G\(lane)", familyName: "F\(lane)", organisation: "NOC"),
            reaction: reaction.map { RaceTime(milliseconds: $0) },
            intermediates: split.map { [Intermediate(distance: 50, time: RaceTime(milliseconds: $0), rank: splitRank)] } ?? [],
            finish: finish.map { RaceTime(milliseconds: $0) }, rank: rank, records: []
        )
    }

    static func timeline(_ lanes: [LaneResult], start: UTCInstant? = RaceFixture.start) -> RaceTimeline {
        RaceTimeline(results: UnitResults(unit: unit, status: "LIVE", startTime: start, lanes: lanes), athletes: [:])
    }
}

struct RaceTimelineTests {
    let race = RaceFixture()

    @Test func anEventOnAFrameBoundaryAppearsOnTheFrameThatBeginsThere() {
        // Start + 700 ms = 2.200 s after frame 0: exactly the start of frame 110.
        let timeline = RaceFixture.timeline([RaceFixture.lane(1, reaction: 700)])
        #expect(timeline.overlay(for: race.frame(109)).lanes[0].reaction == nil)
        #expect(timeline.overlay(for: race.frame(110)).lanes[0].reaction?.display == "0.70")
    }

    @Test func anEventInsideAFrameAppearsOnThatFrame() {
        // Start + 590 ms = 2.090 s: inside frame 104 = [2.080, 2.100).
        let timeline = RaceFixture.timeline([RaceFixture.lane(4, reaction: 590)])
        #expect(timeline.overlay(for: race.frame(103)).lanes[0].reaction == nil)
        #expect(timeline.overlay(for: race.frame(104)).lanes[0].reaction?.hundredths == 59)
    }

    @Test func theClockIsZeroBeforeAndOnTheStartFrameAndTruncatesAfter() {
        let timeline = RaceFixture.timeline([RaceFixture.lane(1)])
        #expect(timeline.overlay(for: race.frame(74)).clock == .init(state: .notStarted, hundredths: 0))
        #expect(timeline.overlay(for: race.frame(75)).clock == .init(state: .running, hundredths: 0, startUTC: RaceFixture.start.iso8601))
        #expect(timeline.overlay(for: race.frame(76)).clock == .init(state: .running, hundredths: 2, startUTC: RaceFixture.start.iso8601))
        #expect(timeline.overlay(for: race.frame(300)).clock.display == "4.50")
    }

    @Test func theClockIsNeverNegativeWhenTheStartFallsInsideAFrame() {
        // The gun 5 ms into frame 75: frame 75 shows a running 0.00, frame 76 shows 0.01 (15 ms, truncated).
        let gun = RaceFixture.start.advanced(by: Rational(5, 1000))
        let timeline = RaceFixture.timeline([RaceFixture.lane(1)], start: gun)
        #expect(timeline.overlay(for: race.frame(75)).clock == .init(state: .running, hundredths: 0, startUTC: gun.iso8601))
        #expect(timeline.overlay(for: race.frame(76)).clock.hundredths == 1)
    }

    @Test func theClockStopsOnTheWinnersTouchAndShowsTheWinningTime() {
        let timeline = RaceFixture.timeline([RaceFixture.lane(1, finish: 8400, rank: 2), RaceFixture.lane(2, finish: 8310, rank: 1)])
        // Touch at 1.5 + 8.31 = 9.81 s, inside frame 490 = [9.80, 9.82).
        #expect(timeline.overlay(for: race.frame(489)).clock == .init(state: .running, hundredths: 828, startUTC: RaceFixture.start.iso8601))
        #expect(timeline.overlay(for: race.frame(490)).clock == .init(state: .stopped, hundredths: 831))
        #expect(timeline.overlay(for: race.frame(494)).clock == .init(state: .stopped, hundredths: 831))
        // Lane 1 touches at 1.5 + 8.40 = 9.90 s, frame 495: every lane has touched, the result is final.
        #expect(timeline.overlay(for: race.frame(495)).clock == .init(state: .final, hundredths: 831))
        #expect(timeline.overlay(for: race.frame(490)).lanes[1].finish?.rank == 1)
        #expect(timeline.overlay(for: race.frame(490)).lanes[0].finish == nil)
    }

    @Test func splitRanksShareTiesWhenTheResultsSystemGivesNone() {
        let timeline = RaceFixture.timeline([
            RaceFixture.lane(1, split: 4120), RaceFixture.lane(2, split: 3980), RaceFixture.lane(3, split: 4120), RaceFixture.lane(4, split: 4150),
        ])
        let ranks = timeline.overlay(for: race.frame(599)).lanes.map { $0.splits.first?.rank }
        #expect(ranks == [2, 1, 2, 4])
    }

    @Test func withoutAStartNothingTimedIsShown() {
        let timeline = RaceFixture.timeline([RaceFixture.lane(1, reaction: 600, split: 4000, finish: 8000, rank: 1)], start: nil)
        let overlay = timeline.overlay(for: race.frame(599))
        #expect(overlay.clock.state == .notStarted)
        #expect(overlay.lanes[0].reaction == nil && overlay.lanes[0].splits.isEmpty && overlay.lanes[0].finish == nil)
        #expect(overlay.lanes[0].athlete?.familyName == "F1")
    }

    @Test func participantNamesWinOverNamesInTheResultDocument() {
        let timeline = RaceTimeline(
            results: UnitResults(unit: RaceFixture.unit, status: nil, startTime: nil, lanes: [RaceFixture.lane(3)]),
            athletes: ["C3": Athlete(id: "C3", givenName: "Luca", familyName: "FERRANTE", organisation: "ITA")]
        )
        #expect(timeline.overlay(for: race.frame(0)).lanes[0].athlete?.familyName == "FERRANTE")
    }
}

struct PayloadTests {
    let overlay = RaceFixture.timeline([RaceFixture.lane(4, reaction: 590)]).overlay(for: RaceFixture().frame(120))

    @Test func theCanonicalJSONHasSortedKeysAndTheFrameKeys() throws {
        let text = String(decoding: overlay.canonicalJSON(), as: UTF8.self)
        #expect(text.hasPrefix(#"{"captureUTC":"2026-07-31T19:42:12.400000Z","clock":{"display":"0.90","hundredths":90,"startUTC":"2026-07-31T19:42:11.500000Z","state":"running"},"elements":[],"frame":120,"lanes":[{"athlete":"#))
        #expect(text.hasSuffix(#""order":[4],"pts":216000,"records":[],"resultStatus":"LIVE","seq":120,"timeBase":"1/90000","timecode":"19:42:12:20","unit":"SWMM100MFR------------FNL-000100--"}"#))
        #expect(try JSONDecoder().decode(FrameOverlay.self, from: overlay.canonicalJSON()) == overlay)
    }

    @Test func theID3TagIsVersion2Point4WithOneUTF8TXXXFrameHoldingTheJSON() throws {
        let tag = try ParsedID3Tag(bytes: try OverlayPayload.id3Tag(for: overlay))
        #expect(tag.majorVersion == 4)
        #expect(tag.flags == 0)
        let texts = try tag.userTexts()
        #expect(texts.count == 1)
        #expect(texts.first?.description == "com.podium.overlay")
        #expect(texts.first?.value == String(decoding: overlay.canonicalJSON(), as: UTF8.self))
    }

    @Test func sizesAreSyncsafeEvenWhenTheyNeedEveryByte() throws {
        let big = String(repeating: "é", count: 100_000)
        let bytes = try ID3Tag(frames: [.userText(description: "d", value: big), .privateData(owner: "com.podium", data: [0xFF, 0xFE])]).encoded()
        let tag = try ParsedID3Tag(bytes: bytes)
        #expect(try tag.userTexts().first?.value == big)
        #expect(tag.frames.last?.id == "PRIV")
        #expect(Array(tag.frames.last!.content) == Array("com.podium".utf8) + [0, 0xFF, 0xFE])
    }
}

/// The fixture's golden per-frame overlay, recomputed from the documents by the pure core alone.
struct GoldenFixtureTests {
    @Test func everyFrameMatchesTheGoldenFile() throws {
        let clock = try ClockFile(json: try Data(contentsOf: Fixtures.swim.appendingPathComponent("clock.json")))
        var book = ResultsBook()
        for file in ResultsBookTests.files { _ = try book.accept(try ODFDocument.parse(try ODFDocumentTests.fixtureDocument(file))) }
        let timeline = try #require(RaceTimeline(book: book, unit: RaceFixture.unit))
        let capture = CaptureClock(anchor: clock.anchor, frameRate: try #require(clock.frameRate))
        let camera = try CameraTrack.recording(try Data(contentsOf: Fixtures.swim.appendingPathComponent("camera.jsonl")))
        let golden = try Fixtures.swimGolden()
        #expect(golden.count == 600)
        for (index, line) in golden.enumerated() {
            let pts = MediaTime(ticks: clock.anchor.pts.ticks + Int64(index) * 1800, timeBase: clock.anchor.pts.timeBase)
            let timing = capture.timing(sequence: index, pts: pts)
            let computed = String(decoding: timeline.overlay(for: timing, camera: camera.pose(forCaptureAt: timing.captureStart)).canonicalJSON(), as: UTF8.self)
            #expect(computed == line, "frame \(index)")
            if computed != line { break }
        }
    }
}

struct RaceStateTests {
    let race = RaceFixture()

    static func marked(_ lane: Int, _ status: CompetitorStatus, reaction: Int64? = nil) -> LaneResult {
        LaneResult(lane: lane, competitorCode: "C\(lane)", describedAthlete: nil, reaction: reaction.map { RaceTime(milliseconds: $0) },
                   intermediates: [], finish: RaceTime(milliseconds: 9000), rank: 3, records: ["WR"], status: status)
    }

    @Test func aDNSShowsFromTheStartAndADSQOnceTheRaceIsComplete() {
        let timeline = RaceFixture.timeline([
            RaceFixture.lane(1, finish: 8400, rank: 1), Self.marked(2, .dsq, reaction: 600), Self.marked(3, .dns), RaceFixture.lane(4, finish: 8500, rank: 2),
        ])
        let none: [String?] = [nil, nil, nil, nil]
        let onlyDNS: [String?] = [nil, nil, "DNS", nil]
        let all: [String?] = [nil, "DSQ", "DNS", nil]
        #expect(timeline.overlay(for: race.frame(74)).lanes.map(\.status) == none)
        #expect(timeline.overlay(for: race.frame(200)).lanes.map(\.status) == onlyDNS)
        // Lane 4 touches at 1.5 + 8.5 = 10.0 s: frame 500 completes the race.
        #expect(timeline.overlay(for: race.frame(499)).lanes[1].status == nil)
        let complete = timeline.overlay(for: race.frame(500))
        #expect(complete.lanes.map(\.status) == all)
        #expect(complete.lanes[1].finish == nil, "a disqualified lane shows no time, rank or record")
        #expect(complete.clock.state == .final)
        #expect(complete.order == [1, 4, 2, 3])
    }

    @Test func photoFinishPendingShowsFromTheTouch() {
        let pending = LaneResult(lane: 5, competitorCode: "C5", describedAthlete: nil, reaction: nil, intermediates: [],
                                 finish: RaceTime(milliseconds: 9810), rank: 2, records: [], photoFinishPending: true)
        let timeline = RaceFixture.timeline([pending])
        // 1.5 + 9.81 = 11.31 s: frame 565.
        #expect(timeline.overlay(for: race.frame(564)).lanes[0].photoFinishPending == nil)
        #expect(timeline.overlay(for: race.frame(565)).lanes[0].photoFinishPending == true)
    }

    @Test func theLeaderIsNobodyUntilSomebodyReachesATimingPoint() {
        let timeline = RaceFixture.timeline([RaceFixture.lane(1, split: 4100), RaceFixture.lane(2, split: 4000)])
        #expect(timeline.overlay(for: race.frame(100)).leader == nil)
        #expect(timeline.overlay(for: race.frame(100)).order == [1, 2])
        // 1.5 + 4.0 = 5.5 s: frame 275.
        let atSplit = timeline.overlay(for: race.frame(275))
        #expect(atSplit.leader == 2)
        #expect(atSplit.order == [2, 1])
        #expect(atSplit.lanes[1].splits.first?.gap == nil)
        let later = timeline.overlay(for: race.frame(281))
        #expect(later.lanes[0].splits.first?.gap?.display == "+0.10")
        #expect(timeline.overlay(for: race.frame(74)).order.isEmpty)
    }

    static let record = RecordEntry(
        type: "WR", event: "SWMM100MFR------------", holder: nil, time: RaceTime(milliseconds: 8000), date: nil,
        splits: [Intermediate(distance: 50, time: RaceTime(milliseconds: 4000), rank: nil)]
    )

    @Test(arguments: [
        // (race hundredths, pool length, distance mm, position mm, length)
        (Int64(100), 50, Int64(12500), Int64(12500), 1),
        (400, 50, 50000, 50000, 1),
        (600, 50, 75000, 25000, 2),
        (800, 50, 100000, 0, 2),
        (1000, 50, 100000, 0, 2),
        (600, 25, 75000, 25000, 3),
        (700, 25, 87500, 12500, 4),
    ])
    func theWorldRecordLineFoldsOntoThePool(hundredths: Int64, pool: Int, distance: Int64, position: Int64, length: Int) throws {
        let timeline = RaceTimeline(
            results: UnitResults(unit: RaceFixture.unit, status: nil, startTime: RaceFixture.start, lanes: []),
            athletes: [:], records: [Self.record], poolLength: pool
        )
        // Frame 75 starts at the gun; each frame is 2 hundredths.
        let line = try #require(timeline.overlay(for: race.frame(75 + Int(hundredths / 2))).worldRecordLine)
        #expect(line.distanceMillimetres == distance)
        #expect(line.positionMillimetres == position)
        #expect(line.length == length)
        #expect(line.finished == (distance == 100_000))
    }

    @Test func theWorldRecordLineNeverMovesBackwardAlongTheRace() throws {
        let timeline = RaceTimeline(
            results: UnitResults(unit: RaceFixture.unit, status: nil, startTime: RaceFixture.start, lanes: []),
            athletes: [:], records: [Self.record]
        )
        var last: Int64 = -1
        for frame in 75..<600 {
            let distance = try #require(timeline.overlay(for: race.frame(frame)).worldRecordLine).distanceMillimetres
            #expect(distance >= last)
            last = distance
        }
        #expect(timeline.overlay(for: race.frame(74)).worldRecordLine == nil)
    }

    @Test func theClockNeverRunsBackwardsWithinARace() {
        let timeline = RaceFixture.timeline([RaceFixture.lane(1, finish: 8400, rank: 1), RaceFixture.lane(2, finish: 8310, rank: 2)])
        var last: Int64 = 0
        for frame in 0..<700 {
            let hundredths = timeline.overlay(for: race.frame(frame)).clock.hundredths
            #expect(hundredths >= last)
            last = hundredths
        }
    }

    @Test(arguments: [
        ("SWMM100MFR------------FNL-000100--", 100), ("ATHM100M--------------FNL-000100--", 100),
        ("SWMW1500MFR-----------FNL-000100--", 1500), ("SWMM4X100MFR----------FNL-000100--", nil),
    ])
    func readsTheRaceDistanceFromTheRSC(code: String, metres: Int?) throws {
        #expect(RaceTimeline.distance(of: try #require(UnitCode(code))) == metres)
    }

    @Test func keepsOnlyTheRecordsOfTheUnitsEvent() {
        let other = RecordEntry(type: "WR", event: "SWMW100MFR------------", holder: nil, time: RaceTime(milliseconds: 9000), date: nil, splits: [])
        let lenex = RecordEntry(type: "WR", event: "100 FREE M LCM", holder: nil, time: RaceTime(milliseconds: 46400), date: nil, splits: [])
        let timeline = RaceTimeline(
            results: UnitResults(unit: RaceFixture.unit, status: nil, startTime: nil, lanes: []),
            athletes: [:], records: [Self.record, other, lenex]
        )
        let kept: [RecordEntry] = [Self.record, lenex]
        #expect(timeline.records == kept, "WR records of the event, fastest first; the women's record is not this event's")
    }
}

struct TimelineReuseTests {
    /// One timeline serving frames of two time bases (a TS and an MP4 rendition) names each frame's own.
    @Test func eachFrameCarriesItsOwnTimeBase() {
        let timeline = RaceFixture.timeline([RaceFixture.lane(1)])
        let anchor = ClockAnchor(pts: MediaTime(ticks: 0, timeBase: Rational(1, 90000)), utc: RaceFixture.start)
        let clock = CaptureClock(anchor: anchor, frameRate: Rational(50))
        let ts = timeline.overlay(for: clock.timing(sequence: 0, pts: MediaTime(ticks: 0, timeBase: Rational(1, 90000))))
        let mp4 = timeline.overlay(for: clock.timing(sequence: 0, pts: MediaTime(ticks: 0, timeBase: Rational(1, 12800))))
        #expect(ts.timeBase == "1/90000")
        #expect(mp4.timeBase == "1/12800")
    }
}
