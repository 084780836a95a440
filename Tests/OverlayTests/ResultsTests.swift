import Foundation
import Overlay
import TestSupport
import Testing

struct RaceTimeTests {
    @Test(arguments: [
        ("8.31", Int64(8310)), ("+0.62", 620), ("+14", 14000), ("47.92", 47920), ("1:47.92", 107_920),
        ("1:02:03.45", 3_723_450), ("9.987", 9987), ("0.7", 700),
    ])
    func parsesResultBoardTimes(text: String, milliseconds: Int64) {
        #expect(RaceTime(parsing: text)?.milliseconds == milliseconds)
    }

    @Test(arguments: ["", "abc", "1:7.92", "1:60.00", "8.3141", "-1.00", "1::2.00", "8."])
    func refusesMalformedTimes(text: String) {
        #expect(RaceTime(parsing: text) == nil)
    }

    @Test(arguments: [(Int64(0), "0.00"), (831, "8.31"), (4792, "47.92"), (10792, "1:47.92"), (372_345, "1:02:03.45"), (5, "0.05")])
    func displaysLikeAResultBoard(hundredths: Int64, text: String) {
        #expect(RaceTime.display(hundredths: hundredths) == text)
    }

    @Test func truncatesThousandthsToHundredths() {
        #expect(RaceTime(milliseconds: 9989).hundredths == 998)
    }
}

struct UnitCodeTests {
    @Test func splitsAnRSCIntoItsParts() throws {
        let code = try #require(UnitCode("SWMM100MFR------------FNL-000100--"))
        #expect(code.discipline == "SWM")
        #expect(code.gender == "M")
        #expect(code.event == "100MFR------------")
        #expect(code.phase == "FNL-")
        #expect(code.unit == "000100--")
    }

    /// Paris 2024 codes whose discipline carries a digit (3x3 basketball, rugby sevens).
    @Test(arguments: ["BK3W3X3---------------GPA-000100--", "RU7M7S----------------QFNL000100--"])
    func acceptsDisciplinesWithADigit(text: String) throws {
        let code = try #require(UnitCode(text))
        #expect(code.discipline == String(text.prefix(3)))
    }

    @Test(arguments: ["SWMM100MFR", "swmM100MFR------------FNL-000100--", "SWMM100MFR------------FNL-000100-- ", "S-MM100MFR------------FNL-000100--", "---M100MFR------------FNL-000100--"])
    func refusesCodesThatAreNotRSCs(text: String) {
        #expect(UnitCode(text) == nil)
    }
}

struct ODFDocumentTests {
    static func fixtureDocument(_ name: String) throws -> Data {
        try Data(contentsOf: Fixtures.swim.appendingPathComponent("results/\(name)"))
    }

    @Test func readsTheParticipants() throws {
        let document = try ODFDocument.parse(try Self.fixtureDocument("01-DT_PARTIC.xml"))
        guard case .participants(let athletes) = document.body else {
            Issue.record("expected participants, got \(document.body)")
            return
        }
        #expect(athletes.count == 8)
        #expect(athletes.first { $0.id == "1100007" } == Athlete(id: "1100007", givenName: "Mateusz", familyName: "WRÓBEL", organisation: "POL", gender: "M", birthDate: "2003-06-21"))
    }

    @Test func readsTheOfficialResultWithStartTimeSplitsFinishesAndRecord() throws {
        let document = try ODFDocument.parse(try Self.fixtureDocument("05-DT_RESULT-OFFICIAL.xml"))
        #expect(document.header.version == 4)
        #expect(document.header.resultStatus == "OFFICIAL")
        guard case .unitResults(let results) = document.body else {
            Issue.record("expected results, got \(document.body)")
            return
        }
        #expect(results.startTime == UTCInstant(iso8601: "2026-07-31T19:42:11.500Z"))
        #expect(results.lanes.map(\.lane) == Array(1...8))
        let lane4 = results.lanes[3]
        #expect(lane4.reaction == RaceTime(milliseconds: 590))
        #expect(lane4.intermediates == [Intermediate(distance: 50, time: RaceTime(milliseconds: 3980), rank: 1)])
        #expect(lane4.finish == RaceTime(milliseconds: 8310))
        #expect(lane4.rank == 1)
        #expect(lane4.records == ["WR"])
    }

    @Test func aStartListHasLanesButNoTimes() throws {
        let document = try ODFDocument.parse(try Self.fixtureDocument("02-DT_RESULT-START_LIST.xml"))
        guard case .unitResults(let results) = document.body else {
            Issue.record("expected results")
            return
        }
        #expect(results.startTime == nil)
        #expect(results.lanes.allSatisfy { $0.reaction == nil && $0.finish == nil && $0.intermediates.isEmpty })
    }

    static let header = #"<OdfBody CompetitionCode="OG2026" DocumentCode="SWMM100MFR------------FNL-000100--" DocumentType="DT_RESULT" Version="2" ResultStatus="LIVE" FeedFlag="P" Date="2026-07-31" Time="214212300">"#

    @Test(arguments: [
        ("<OdfBody", "line 1: malformed XML"),
        ("<Other/>", "root element is <Other>"),
        (#"<OdfBody CompetitionCode="OG2026" DocumentType="DT_RESULT" Version="2" FeedFlag="P"/>"#, "no DocumentCode"),
        (#"<OdfBody CompetitionCode="OG2026" DocumentCode="X" DocumentType="DT_RESULT" Version="two" FeedFlag="P"/>"#, "Version \"two\""),
        (#"<OdfBody CompetitionCode="OG2026" DocumentCode="X" DocumentType="DT_RESULT" Version="2" FeedFlag="Q"/>"#, "FeedFlag \"Q\""),
        (#"<OdfBody CompetitionCode="OG2026" DocumentCode="SWM100" DocumentType="DT_RESULT" Version="2" FeedFlag="P"><Competition/></OdfBody>"#, "not a 34-character RSC"),
        (header + "\n<Competition><Result StartOrder=\"4\" Result=\"fast\"><Competitor Code=\"1\"/></Result></Competition></OdfBody>", "line 2: Result Result \"fast\" is not a race time"),
        (header + "<Competition><Result Result=\"8.31\"><Competitor Code=\"1\"/></Result></Competition></OdfBody>", "no StartOrder"),
        (header + "<Competition><Result StartOrder=\"4\"/></Competition></OdfBody>", "lane 4 has no Competitor Code"),
        (header + "<Competition><ExtendedInfos><UnitDateTime StartDate=\"2026-07-31T21:42:11\"/></ExtendedInfos></Competition></OdfBody>", "zone offset"),
        (header + "<Competition><Result StartOrder=\"4\"><Competitor Code=\"1\"/></Result><Result StartOrder=\"4\"><Competitor Code=\"2\"/></Result></Competition></OdfBody>", "two Result elements have StartOrder 4"),
    ])
    func refusesBrokenDocumentsNamingWhatIsWrong(xml: String, fragment: String) {
        #expect {
            _ = try ODFDocument.parse(Data(xml.utf8))
        } throws: { error in
            "\(error)".contains(fragment)
        }
    }

    @Test func aMessageWithoutCompetitionWithdrawsTheEarlierOne() throws {
        let document = try ODFDocument.parse(Data((Self.header + "</OdfBody>").utf8))
        #expect(document.body == .withdrawn)
    }
}

struct ResultsBookTests {
    static let files = [
        "00-DT_RECORD.xml", "01-DT_PARTIC.xml", "02-DT_RESULT-START_LIST.xml", "03-DT_RESULT-LIVE-reaction.xml",
        "04-DT_RESULT-LIVE-50m.xml", "05-DT_RESULT-OFFICIAL.xml",
    ]

    static func documents() throws -> [ODFDocument] {
        try files.map { try ODFDocument.parse(try ODFDocumentTests.fixtureDocument($0)) }
    }

    @Test func theHighestVersionWinsWhateverTheArrivalOrder() throws {
        let documents = try Self.documents()
        var inOrder = ResultsBook()
        for document in documents { _ = try inOrder.accept(document) }
        let unit = try #require(UnitCode("SWMM100MFR------------FNL-000100--"))
        // Every rotation and the reverse: arrival order never matters, Version does.
        var orders = (0..<documents.count).map { Array(documents[$0...] + documents[..<$0]) }
        orders.append(documents.reversed())
        for order in orders {
            var book = ResultsBook()
            for document in order { _ = try book.accept(document) }
            #expect(book.results(of: unit) == inOrder.results(of: unit))
            #expect(book.results(of: unit)?.status == "OFFICIAL")
            #expect(book.athletes == inOrder.athletes)
        }
    }

    @Test func aLowerVersionAfterAHigherOneIsKeptOutOfTheCurrentState() throws {
        let documents = try Self.documents()
        var book = ResultsBook()
        let official = documents[5], liveReaction = documents[3]
        #expect(try book.accept(official) == .applied)
        #expect(try book.accept(liveReaction) == .superseded(currentVersion: 4))
        #expect(try book.accept(official) == .duplicate)
    }

    @Test func theSameVersionWithOtherContentIsAConflict() throws {
        let documents = try Self.documents()
        var book = ResultsBook()
        _ = try book.accept(documents[4])
        let text = String(decoding: try ODFDocumentTests.fixtureDocument("04-DT_RESULT-LIVE-50m.xml"), as: UTF8.self)
        let altered = try ODFDocument.parse(Data(text.replacingOccurrences(of: "Value=\"3.98\"", with: "Value=\"3.97\"").utf8))
        #expect(throws: ResultsBookError.conflictingVersion(what: "\(altered.header.key)", version: 3)) {
            try book.accept(altered)
        }
        #expect(book.results(of: UnitCode("SWMM100MFR------------FNL-000100--")!)?.lanes[3].intermediates.first?.time.milliseconds == 3980)
    }

    @Test func aTestFeedDocumentNeverMixesWithProduction() throws {
        let text = String(decoding: try ODFDocumentTests.fixtureDocument("05-DT_RESULT-OFFICIAL.xml"), as: UTF8.self)
        let testDocument = try ODFDocument.parse(Data(text.replacingOccurrences(of: "FeedFlag=\"P\"", with: "FeedFlag=\"T\"").utf8))
        var book = ResultsBook()
        #expect(throws: ResultsBookError.self) { try book.accept(testDocument) }
        #expect(book.units.isEmpty)
    }

    @Test func aWithdrawalRemovesTheUnitsResults() throws {
        var book = ResultsBook()
        _ = try book.accept(try Self.documents()[3])
        let withdrawal = ODFDocumentTests.header.replacingOccurrences(of: "Version=\"2\"", with: "Version=\"3\"") + "</OdfBody>"
        #expect(try book.accept(try ODFDocument.parse(Data(withdrawal.utf8))) == .applied)
        #expect(book.units.isEmpty)
    }
}
