import Foundation
import Overlay
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
        #expect(timeline.overlay(for: race.frame(75)).clock == .init(state: .running, hundredths: 0))
        #expect(timeline.overlay(for: race.frame(76)).clock == .init(state: .running, hundredths: 2))
        #expect(timeline.overlay(for: race.frame(300)).clock.display == "4.50")
    }

    @Test func theClockIsNeverNegativeWhenTheStartFallsInsideAFrame() {
        // The gun 5 ms into frame 75: frame 75 shows a running 0.00, frame 76 shows 0.01 (15 ms, truncated).
        let timeline = RaceFixture.timeline([RaceFixture.lane(1)], start: RaceFixture.start.advanced(by: Rational(5, 1000)))
        #expect(timeline.overlay(for: race.frame(75)).clock == .init(state: .running, hundredths: 0))
        #expect(timeline.overlay(for: race.frame(76)).clock.hundredths == 1)
    }

    @Test func theClockStopsOnTheWinnersTouchAndShowsTheWinningTime() {
        let timeline = RaceFixture.timeline([RaceFixture.lane(1, finish: 8400, rank: 2), RaceFixture.lane(2, finish: 8310, rank: 1)])
        // Touch at 1.5 + 8.31 = 9.81 s, inside frame 490 = [9.80, 9.82).
        #expect(timeline.overlay(for: race.frame(489)).clock == .init(state: .running, hundredths: 828))
        #expect(timeline.overlay(for: race.frame(490)).clock == .init(state: .stopped, hundredths: 831))
        #expect(timeline.overlay(for: race.frame(600)).clock == .init(state: .stopped, hundredths: 831))
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
        #expect(text.hasPrefix(#"{"captureUTC":"2026-07-31T19:42:12.400000Z","clock":{"display":"0.90","hundredths":90,"state":"running"},"lanes":[{"athlete":"#))
        #expect(text.hasSuffix(#""pts":216000,"seq":120,"timeBase":"1/90000","unit":"SWMM100MFR------------FNL-000100--"}"#))
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
        let timeline = RaceTimeline(results: try #require(book.results(of: RaceFixture.unit)), athletes: book.athletes)
        let capture = CaptureClock(anchor: clock.anchor, frameRate: try #require(clock.frameRate))
        let golden = try String(contentsOf: Fixtures.swim.appendingPathComponent("expected/frames.jsonl"), encoding: .utf8)
            .split(separator: "\n").map(String.init)
        #expect(golden.count == 600)
        for (index, line) in golden.enumerated() {
            let pts = MediaTime(ticks: clock.anchor.pts.ticks + Int64(index) * 1800, timeBase: clock.anchor.pts.timeBase)
            let computed = String(decoding: timeline.overlay(for: capture.timing(sequence: index, pts: pts)).canonicalJSON(), as: UTF8.self)
            #expect(computed == line, "frame \(index)")
            if computed != line { break }
        }
    }
}
