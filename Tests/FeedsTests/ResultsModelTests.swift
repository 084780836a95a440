import Foundation
@testable import Feeds
import Overlay
import TestSupport
import Testing

struct ODFMessageTypeTests {
    func book(_ documents: [Data]) throws -> ResultsBook {
        var book = ResultsBook()
        for data in documents {
            guard case .odf(let document) = try DocumentDecoder.decode(data) else { throw DocumentError(format: "test", reason: "not ODF") }
            _ = try book.accept(document)
        }
        return book
    }

    @Test func aScheduleUpdatePatchesOnlyTheUnitsItNames() throws {
        let book = try book([try FeedFixtures.data("odf-messages/DT_SCHEDULE_UPDATE.xml"), try FeedFixtures.data("odf-messages/DT_SCHEDULE.xml")])
        let schedule = book.schedule
        #expect(schedule.count == 1, "the butterfly final is deleted by the update")
        let swim = try #require(schedule[FeedFixtures.swimUnit])
        #expect(swim.status == "FINISHED")
        #expect(swim.start == UTCInstant(iso8601: "2026-07-31T19:42:11.5Z"))
    }

    @Test func aParticipantUpdateGeneratedAfterTheFullMessageRenamesOneAthlete() throws {
        let book = try book([try FeedFixtures.data("odf-messages/DT_PARTIC_UPDATE.xml"), try FeedFixtures.swim("01-DT_PARTIC.xml")])
        #expect(book.athletes["1100003"]?.familyName == "FERRANTE-ROSSI")
        #expect(book.athletes["1100004"]?.familyName == "OKAFOR")
        #expect(book.athletes.count == 8)
    }

    @Test func recordsTeamsConfigurationAndCurrentUnitsAreRead() throws {
        let book = try book([
            try FeedFixtures.data("odf-messages/DT_RECORD.xml"), try FeedFixtures.data("odf-messages/DT_PARTIC_TEAMS.xml"),
            try FeedFixtures.data("odf-messages/DT_CURRENT.xml"),
        ])
        #expect(book.records.count == 1, "a RecordData with Current=\"false\" is history, not in force")
        let record = try #require(book.records.first)
        #expect(record.type == "WR" && record.time == RaceTime(milliseconds: 8350))
        #expect(record.splits == [Intermediate(distance: 50, time: RaceTime(milliseconds: 4010), rank: nil)])
        #expect(record.holder?.familyName == "OKAFOR")
        #expect(book.teams["SWMM4X100MFRUSA01"]?.members == ["1100004", "1100009"])
        #expect(book.currentUnits == [FeedFixtures.swimUnit])
        guard case .odf(let config) = try DocumentDecoder.decode(try FeedFixtures.data("odf-messages/DT_CONFIG.xml")),
              case .configuration(let values) = config.body
        else {
            Issue.record("DT_CONFIG not read")
            return
        }
        #expect(values == ["POOL_LENGTH": "50", "LANES": "8"])
    }

    @Test func theAthleticsFinalCarriesPhotoFinishDisqualificationAndRecord() throws {
        let folder = "athletics-100m/"
        let unofficial = try book(try FeedFixtures.athleticsSeries.prefix(4).map { try FeedFixtures.data(folder + $0) })
        let pending = try #require(unofficial.results(of: FeedFixtures.athleticsUnit)).lanes.filter(\.photoFinishPending).map(\.lane)
        #expect(pending == [5, 6])
        let official = try #require(try book(try FeedFixtures.athleticsSeries.map { try FeedFixtures.data(folder + $0) }).results(of: FeedFixtures.athleticsUnit))
        #expect(official.status == "OFFICIAL")
        #expect(official.lanes.allSatisfy { !$0.photoFinishPending })
        let lane3 = try #require(official.lanes.first { $0.lane == 3 })
        #expect(lane3.status == .dsq && lane3.finish == nil && lane3.reaction == RaceTime(milliseconds: 98))
        #expect(official.lanes.first { $0.lane == 4 }?.records == ["WR"])
        #expect(official.lanes.filter { $0.finish == RaceTime(milliseconds: 9810) }.map(\.rank) == [2, 3])
    }
}

struct LenexTests {
    @Test func readsTheMeetResultsSplitsRelayAndRecordList() throws {
        guard case .lenex(let lenex) = try DocumentDecoder.decode(try FeedFixtures.data("lenex/podium-open.lef")) else {
            Issue.record("not Lenex")
            return
        }
        let meet = try #require(lenex.meets.first)
        #expect(meet.name == "Podium Open" && meet.course == "LCM")
        #expect(meet.events.map(\.distance) == [100, 50])
        #expect(meet.events[1].relayCount == 4)
        let athletes = try #require(meet.clubs.first?.athletes)
        let okafor = try #require(athletes.first { $0.lastName == "OKAFOR" }?.results.first)
        #expect(okafor.time == RaceTime(milliseconds: 47020))
        #expect(okafor.reaction == RaceTime(milliseconds: 590), "+59 is hundredths")
        #expect(okafor.splits == [Intermediate(distance: 50, time: RaceTime(milliseconds: 22610), rank: nil)])
        #expect(athletes.first { $0.lastName == "MOORE" }?.results.first?.reaction == RaceTime(milliseconds: 700), "+0.70 is seconds")
        let price = try #require(athletes.first { $0.lastName == "PRICE" }?.results.first)
        #expect(price.status == "DSQ" && price.time == nil)
        let relay = try #require(meet.clubs.first?.relays.first?.results.first)
        #expect(relay.splits.map(\.distance) == [50, 100, 150])
        #expect(relay.relayLegs.map(\.reaction) == [620, 210, 250, 180].map { RaceTime(milliseconds: $0) })
        #expect(lenex.records == [RecordEntry(
            type: "WR", event: "100 FREE M LCM",
            holder: Athlete(id: "", givenName: "Daniel", familyName: "OKAFOR", organisation: "USA", gender: "M", birthDate: "1998-08-19"),
            time: RaceTime(milliseconds: 46400), date: "2025-06-14",
            splits: [Intermediate(distance: 50, time: RaceTime(milliseconds: 22280), rank: nil)],
            race: RecordRace(distance: 100, stroke: "FR", gender: "M", relayCount: 1, course: "LCM")
        )])
    }
}

struct TimingEventMergeTests {
    func book(_ documents: [ResultsDocument]) throws -> ResultsBook {
        var book = ResultsBook()
        for document in documents { _ = try book.accept(document) }
        return book
    }

    @Test func eventsFillInWhatTheODFMessagesDoNotSayYet() throws {
        let startList = try DocumentDecoder.decode(try FeedFixtures.swim("02-DT_RESULT-START_LIST.xml"))
        let events = try DocumentDecoder.decode(try FeedFixtures.data("events/swim-100-free-events.json"))
        let results = try #require(try book([startList, events]).results(of: FeedFixtures.swimUnit))
        #expect(results.startTime == UTCInstant(iso8601: "2026-07-31T19:42:11.500Z"))
        let lanes = Dictionary(uniqueKeysWithValues: results.lanes.map { ($0.lane, $0) })
        #expect(lanes[4]?.reaction == RaceTime(milliseconds: 590))
        #expect(lanes[4]?.competitorCode == "1100004", "the start list still names the athlete")
        #expect(lanes[5]?.intermediates.first?.time == RaceTime(milliseconds: 4010), "no race time sent: the UTC minus the start")
        #expect(lanes[4]?.finish == RaceTime(milliseconds: 8310))
        #expect(lanes[2]?.photoFinishPending == true)
        #expect(lanes[7]?.status == .dsq)
    }

    @Test func theOfficialResultWinsWhereBothSpeak() throws {
        var documents = try FeedFixtures.swimSeries.map { try DocumentDecoder.decode(try FeedFixtures.swim($0)) }
        documents.append(try DocumentDecoder.decode(try FeedFixtures.data("events/swim-100-free-events.json")))
        let results = try #require(try book(documents).results(of: FeedFixtures.swimUnit))
        let lane5 = try #require(results.lanes.first { $0.lane == 5 })
        #expect(lane5.intermediates.first?.rank == 2, "the ODF split, with its rank, not the event's")
        #expect(results.status == "OFFICIAL")
    }

    @Test func anEventIdWithOtherContentIsAConflictAndChangesNothing() throws {
        var book = ResultsBook()
        _ = try book.accept(try DocumentDecoder.decode(try FeedFixtures.data("events/swim-100-free-events.json")))
        let altered = #"{"format":"podium-events","version":1,"unit":"SWMM100MFR------------FNL-000100--","events":[{"id":"swm-fnl-new","type":"reaction","lane":3,"time":"0.61","utc":"2026-07-31T19:42:12.110Z"},{"id":"swm-fnl-rt4","type":"reaction","lane":4,"time":"0.60","utc":"2026-07-31T19:42:12.100Z"}]}"#
        #expect(throws: ResultsBookError.conflictingEvent(unit: FeedFixtures.swimUnit, id: "swm-fnl-rt4")) {
            try book.accept(try DocumentDecoder.decode(Data(altered.utf8)))
        }
        #expect(book.results(of: FeedFixtures.swimUnit)?.lanes.first { $0.lane == 3 } == nil, "the batch is taken whole or not at all")
    }
}
