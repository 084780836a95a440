import Foundation
@testable import Feeds
import Overlay
import Store
import TestSupport
import Testing

/// Real Lenex files from a real meet (fixtures/real/README.md: origin and licence). The expected
/// figures were counted with an independent reader (Python's ElementTree over the unzipped
/// `.lef`) and the two races read by hand.
struct RealLenexTests {
    static let folder = Fixtures.root.appendingPathComponent("fixtures/real/lenex")
    static let results = folder.appendingPathComponent("swiss-masters-2009-results.lxf")
    static let records = folder.appendingPathComponent("swiss-junior-records-2009.lxf")

    static func lenex(_ url: URL) throws -> LenexDocument {
        guard case .lenex(let document) = try DocumentDecoder.decode(try Data(contentsOf: url)) else {
            throw DocumentError(format: "lenex", reason: "not Lenex")
        }
        return document
    }

    @Test func aMeetsResultsBecomeItsRaces() throws {
        let document = try Self.lenex(Self.results)
        let races = document.races
        #expect(races.count == 97, "every heat with a placed swim")
        #expect(races.reduce(0) { $0 + $1.results.lanes.count } == 496, "every result with a lane")
        #expect(document.athletes.count == 136)
        #expect(Set(races.map(\.unit)).count == races.count, "unit codes are unique")
        #expect(races.allSatisfy { $0.course == "SCM" })
        let marks = races.flatMap(\.results.lanes).compactMap(\.status)
        #expect(marks.filter { $0 == .dsq }.count == 13)
    }

    @Test func aWomens200FreeHeatReadsFieldByField() throws {
        let races = try Self.lenex(Self.results).races
        let race = try #require(races.first { $0.unit.rawValue == "SWMW200MFR----LX2B8579TIM-0001001-" })
        #expect(race.title == "Schweizerische Masters Meisterschaften, event 1, heat 1")
        #expect(race.results.status == "OFFICIAL")
        #expect(race.results.startTime == nil, "Lenex carries no start instant")
        #expect(race.ageGroup == nil, "ranked in 20 age groups: an open race")
        let lanes = race.results.lanes
        #expect(lanes.map(\.lane) == [2, 3, 4])
        #expect(lanes.map(\.competitorCode) == ["7451", "6995", "7147"])
        #expect(lanes.map { $0.describedAthlete?.familyName } == ["Keller", "Richter", "Christen"])
        #expect(lanes.map { $0.describedAthlete?.organisation } == ["SUI", "SUI", "SUI"])
        #expect(lanes.map { $0.finish?.description } == ["8:14.48", "3:04.11", "3:42.27"])
        #expect(lanes.map(\.rank) == [3, 1, 2])
        let richter = lanes[1]
        #expect(richter.intermediates.map(\.distance) == [50, 100, 150])
        #expect(richter.intermediates.map(\.time.description) == ["44.31", "1:31.05", "2:18.17"])
        #expect(richter.reaction == nil)
    }

    @Test func aMixedMedleyRelayReadsFieldByField() throws {
        let races = try Self.lenex(Self.results).races
        let race = try #require(races.first { $0.unit.rawValue == "SWMX4X50MMD---LX2B8579TIM-0015001-" })
        let lanes = race.results.lanes
        #expect(lanes.map(\.lane) == [1, 2, 3, 4, 5, 6])
        #expect(lanes.map(\.competitorCode) == ["SV SS 2", "PLAN 1", "AMT 1", "SVB 1", "LN 1", "SV SS 1"])
        #expect(lanes.map { $0.finish?.description } == ["3:11.09", "2:28.87", "2:05.44", "2:18.20", "2:18.52", "2:30.14"])
        #expect(lanes.map(\.rank) == [6, 4, 1, 2, 3, 5])
        #expect(lanes[2].legs == ["7192", "7191", "7193", "7194"])
        #expect(lanes[2].intermediates.map(\.time.description) == ["33.27", "1:07.85", "1:36.51"])
        #expect(lanes.allSatisfy { $0.describedAthlete == nil })
    }

    /// Through the intake into the store, as `podium import` and the lenex feed take it.
    @Test(arguments: StoreKind.allCases)
    func theIntakeStoresEveryRaceAthleteAndTime(kind: StoreKind) throws {
        let store = try kind.make()
        let intake = try ResultsIntake(store: store)
        let receipt = try intake.receive(try Data(contentsOf: Self.results), source: "results.lxf", receivedAt: UTCInstant(iso8601: "2009-09-27T18:00:00Z")!)
        #expect(receipt.outcome == .accepted, "\(receipt)")
        let facts = try store.facts()
        #expect(facts.units.count == 97)
        #expect(facts.athletes.count == 136)
        #expect(facts.startLists.count == 496)
        // 496 placed swims: 13 disqualified and 11 that did not start have a mark, the rest a time.
        let finishes = facts.timing.filter { $0.kind == "finish" }.count
        let statuses = facts.timing.filter { $0.kind == "status" }.map(\.value)
        #expect(statuses.filter { $0 == "DSQ" }.count == 13)
        #expect(finishes + statuses.count == 496)
        #expect(facts.timing.filter { $0.kind == "split" }.count > 1_000)
        let view = try #require(intake.latest.results(of: UnitCode("SWMW200MFR----LX2B8579TIM-0001001-")!))
        #expect(view.lanes.count == 3)
    }

    @Test func recordListsKeepCourseGenderRelayAndAgeGroup() throws {
        let records = try Self.lenex(Self.records).records
        #expect(records.count == 133)
        #expect(records.allSatisfy { $0.race?.course == "LCM" })
        let women100Free = UnitCode("SWMW100MFR------------FNL-000100--")!
        func holders(_ unit: UnitCode, course: String?, ages: (Int?, Int?)?) -> [String] {
            records.filter { $0.belongs(to: unit, course: course, ages: ages.map { (minimum: $0.0, maximum: $0.1) }) }
                .map { "\($0.holder?.familyName ?? "") \($0.time)" }
        }
        #expect(holders(women100Free, course: "LCM", ages: (13, 13)) == ["Radke 1:01.59"])
        #expect(holders(women100Free, course: "LCM", ages: (nil, 12)) == ["Villars 1:01.57"])
        #expect(holders(UnitCode("SWMM100MFR------------FNL-000100--")!, course: "LCM", ages: (13, 13)) == ["Oderbolz 58.46"])
        #expect(holders(women100Free, course: "SCM", ages: (13, 13)).isEmpty, "a long-course record is not a short-course one")
        #expect(holders(women100Free, course: "LCM", ages: nil).isEmpty, "an open race shows no age-group record")
        let relays = records.filter { $0.race?.relayCount == 4 }
        #expect(relays.count == 6)
        let individual = UnitCode("SWMM100MFR------------FNL-000100--")!
        for relay in relays {
            let ages = (minimum: relay.race?.minimumAge, maximum: relay.race?.maximumAge)
            #expect(!relay.belongs(to: individual, course: "LCM", ages: ages), "a relay record is not an individual one")
        }
        let relay = try #require(relays.first { $0.race?.distance == 100 && $0.race?.stroke == "FR" })
        let relayUnit = UnitCode("SWM\(relay.race!.gender)4X100MFR----------FNL-000100--")!
        #expect(relay.belongs(to: relayUnit, course: "LCM", ages: (minimum: relay.race?.minimumAge, maximum: relay.race?.maximumAge)))
    }

    /// A record list with an `NT` placeholder is taken; the placeholder is skipped and said so.
    @Test func aRecordWithNoTimeIsSkippedWithANote() throws {
        let text = """
        <LENEX version="3.0"><RECORDLISTS><RECORDLIST course="SCM" gender="F" name="Club Records" type="CLUB">
        <RECORDS>
        <RECORD swimtime="NT"><SWIMSTYLE distance="50" relaycount="1" stroke="FLY"/></RECORD>
        <RECORD swimtime="00:00:25.10"><SWIMSTYLE distance="50" relaycount="1" stroke="FREE"/></RECORD>
        </RECORDS></RECORDLIST></RECORDLISTS></LENEX>
        """
        let store = InMemoryResultsStore()
        let receipt = try ResultsIntake(store: store).receive(Data(text.utf8), source: "records.lef", receivedAt: UTCInstant(iso8601: "2026-01-01T00:00:00Z")!)
        #expect(receipt.outcome == .accepted)
        #expect(receipt.notes == ["line 3: CLUB RECORD 50 FLY has no time (NT): skipped"])
        #expect(receipt.description.hasSuffix("; line 3: CLUB RECORD 50 FLY has no time (NT): skipped"))
        #expect(try store.facts().records.map(\.event) == ["50 FREE F SCM"])
    }

    /// The meet's heats are in the schedule, by their local time of day (Lenex has no zone).
    @Test func theMeetsHeatsAreInTheSchedule() throws {
        var book = ResultsBook()
        _ = try book.accept(.lenex(try Self.lenex(Self.results)))
        let schedule = book.schedule
        #expect(schedule.count == 97)
        let heat = try #require(schedule[UnitCode("SWMW200MFR----LX2B8579TIM-0001001-")!])
        #expect(heat.name == "Schweizerische Masters Meisterschaften, event 1, heat 1")
        #expect(heat.localStart == "2009-09-26T13:00")
        #expect(heat.start == nil && heat.status == "FINISHED")
        #expect(ScheduleQuery(from: UTCInstant(iso8601: "2009-09-26T00:00:00Z")).units(in: schedule).isEmpty, "no UTC start, so no window holds it")
    }
}
