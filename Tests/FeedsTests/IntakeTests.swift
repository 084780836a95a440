import Foundation
@testable import Feeds
import Overlay
import Store
import TestSupport
import Testing

/// Both store implementations must honour the same contract.
enum StoreKind: String, CaseIterable, CustomTestStringConvertible {
    case sqlite, memory

    var testDescription: String { rawValue }

    func make() throws -> any ResultsStore {
        switch self {
        case .sqlite: try SQLiteStore(path: try Fixtures.scratchFolder("feeds").appendingPathComponent("podium.sqlite").path)
        case .memory: InMemoryResultsStore()
        }
    }
}

/// A received document: its bytes, where from, when.
struct Delivery {
    let name: String
    let bytes: Data
    let receivedAt: UTCInstant

    static func swimSeries() throws -> [Delivery] {
        let manifest = try JSONSerialization.jsonObject(with: Data(contentsOf: Fixtures.swim.appendingPathComponent("results/manifest.json"))) as! [String: Any]
        return try (manifest["documents"] as! [[String: Any]]).map { entry in
            let file = entry["file"] as! String
            return Delivery(name: file, bytes: try FeedFixtures.swim(file), receivedAt: UTCInstant(iso8601: entry["receivedUTC"] as! String)!)
        }
    }

    static func athleticsSeries() throws -> [Delivery] {
        let manifest = try JSONSerialization.jsonObject(with: FeedFixtures.data("athletics-100m/manifest.json")) as! [String: Any]
        return try (manifest["documents"] as! [[String: Any]]).map { entry in
            let file = entry["file"] as! String
            return Delivery(name: file, bytes: try FeedFixtures.data("athletics-100m/\(file)"), receivedAt: UTCInstant(iso8601: entry["receivedUTC"] as! String)!)
        }
    }

    static func correction() throws -> Delivery {
        Delivery(
            name: "06-DT_RESULT-OFFICIAL-corrected.xml",
            bytes: try FeedFixtures.data("swim-100-free-correction/06-DT_RESULT-OFFICIAL-corrected.xml"),
            receivedAt: UTCInstant(iso8601: "2026-07-31T20:05:00.500Z")!
        )
    }
}

struct ResultsIntakeTests {
    @Test(arguments: StoreKind.allCases)
    func acceptsASeriesAndKeepsEveryDocumentVerbatim(kind: StoreKind) throws {
        let store = try kind.make()
        let intake = try ResultsIntake(store: store)
        let series = try Delivery.swimSeries()
        for delivery in series {
            let receipt = try intake.receive(delivery.bytes, source: delivery.name, receivedAt: delivery.receivedAt)
            #expect(receipt.outcome == .accepted, "\(receipt)")
        }
        let stored = try store.feedDocuments()
        #expect(stored.map(\.bytes) == series.map(\.bytes))
        #expect(stored.map(\.receivedUTC) == series.map(\.receivedAt.iso8601))
        #expect(stored.allSatisfy { $0.sha256.count == 64 && $0.outcome == "applied" && $0.format == "odf" })
        let facts = try store.facts()
        #expect(facts.athletes.count == 8)
        #expect(facts.records.map(\.milliseconds) == [8350])
        #expect(facts.units.map(\.unit) == [FeedFixtures.swimUnit.rawValue])
        #expect(facts.units.first?.status == "OFFICIAL")
        let finish4 = try #require(facts.timing.first { $0.lane == 4 && $0.kind == "finish" })
        #expect(finish4.milliseconds == 8310)
        #expect(finish4.happenedUTC == "2026-07-31T19:42:19.810000Z")
        #expect(finish4.source == FactSource(documentID: 6, reference: "DT_RESULT v4"))
        #expect(facts.athletes.first { $0.code == "1100001" }?.source.documentID == 2)
    }

    @Test(arguments: StoreKind.allCases)
    func theSameDocumentTwiceChangesNothing(kind: StoreKind) throws {
        let store = try kind.make()
        let intake = try ResultsIntake(store: store)
        let series = try Delivery.swimSeries()
        for delivery in series { try intake.receive(delivery.bytes, source: delivery.name, receivedAt: delivery.receivedAt) }
        let before = (try store.feedDocuments(), try store.facts())
        let again = try intake.receive(series[2].bytes, source: "again.xml", receivedAt: series[4].receivedAt)
        #expect(again.outcome == .duplicate(of: 3), "the third document received is stored as #3")
        #expect(try store.feedDocuments() == before.0)
        #expect(try store.facts() == before.1)
    }

    @Test(arguments: StoreKind.allCases)
    func aRejectedDocumentIsLoggedAndLosesNothing(kind: StoreKind) throws {
        let store = try kind.make()
        let intake = try ResultsIntake(store: store)
        for delivery in try Delivery.swimSeries() { try intake.receive(delivery.bytes, source: delivery.name, receivedAt: delivery.receivedAt) }
        let facts = try store.facts()
        let broken = try FeedFixtures.swim("05-DT_RESULT-OFFICIAL.xml").prefix(700)
        let receipt = try intake.receive(Data(broken), source: "broken.xml", receivedAt: UTCInstant(iso8601: "2026-07-31T19:50:00Z")!)
        guard case .rejected(let reason) = receipt.outcome else {
            Issue.record("expected a rejection, got \(receipt)")
            return
        }
        #expect(reason.hasPrefix("odf: line"))
        #expect(receipt.description.hasPrefix("broken.xml: rejected #7: odf: line"))
        let logged = try #require(try store.feedDocuments().last)
        #expect(logged.outcome == "rejected" && logged.detail != nil && logged.bytes == Data(broken))
        #expect(try store.facts() == facts)
    }

    /// A timing system that retries a refused document gets the same refusal, never an
    /// acknowledgement; also after a restart, when the intake is rebuilt from the log.
    @Test(arguments: StoreKind.allCases)
    func aRejectedDocumentSentAgainIsRejectedAgain(kind: StoreKind) throws {
        let store = try kind.make()
        let broken = Data(try FeedFixtures.swim("05-DT_RESULT-OFFICIAL.xml").prefix(700))
        let at = UTCInstant(iso8601: "2026-07-31T19:50:00Z")!
        let running = try ResultsIntake(store: store)
        let first = try running.receive(broken, source: "broken.xml", receivedAt: at)
        for intake in [running, try ResultsIntake(store: store)] {
            let again = try intake.receive(broken, source: "again.xml", receivedAt: at)
            #expect(again.outcome == first.outcome)
            #expect(again.documentID == first.documentID)
            guard case .rejected = again.outcome else {
                Issue.record("expected a rejection, got \(again)")
                return
            }
        }
        #expect(try store.feedDocuments().count == 1)
    }

    @Test(arguments: StoreKind.allCases)
    func anOversizedDocumentIsRejectedAndKeptOnlyUpToTheLimit(kind: StoreKind) throws {
        let store = try kind.make()
        let intake = try ResultsIntake(store: store)
        var big = Data(#"<?xml version="1.0"?><OdfBody "#.utf8)
        big.append(Data(repeating: 0x20, count: 12 * 1024 * 1024))
        let receipt = try intake.receive(big, source: "big.xml", receivedAt: UTCInstant(iso8601: "2026-07-31T19:50:00Z")!)
        guard case .rejected(let reason) = receipt.outcome else {
            Issue.record("expected a rejection, got \(receipt)")
            return
        }
        #expect(reason.contains("exceeds the 10 MB limit"))
        let logged = try #require(try store.feedDocuments().last)
        #expect(logged.bytes.count == DocumentDecoder.maximumDocumentSize)
        #expect(logged.detail?.hasSuffix("first 10485760 of \(big.count) bytes kept") == true)
        #expect(logged.sha256.count == 64)
    }

    @Test(arguments: StoreKind.allCases)
    func anOlderVersionArrivingLateIsSupersededAndLogged(kind: StoreKind) throws {
        let store = try kind.make()
        let intake = try ResultsIntake(store: store)
        let series = try Delivery.swimSeries()
        let official = try #require(series.first { $0.name == "05-DT_RESULT-OFFICIAL.xml" })
        let live = try #require(series.first { $0.name == "04-DT_RESULT-LIVE-50m.xml" })
        try intake.receive(official.bytes, source: official.name, receivedAt: official.receivedAt)
        let late = try intake.receive(live.bytes, source: live.name, receivedAt: official.receivedAt.advanced(by: Rational(1)))
        #expect(late.outcome == .superseded(currentVersion: 4))
        #expect(try store.feedDocuments().last?.outcome == "superseded")
    }

    @Test(arguments: StoreKind.allCases)
    func replayRebuildsTheSameFactsAndRepairsTamperedOnes(kind: StoreKind) throws {
        let store = try kind.make()
        let intake = try ResultsIntake(store: store)
        for delivery in try Delivery.swimSeries() + Delivery.athleticsSeries() {
            try intake.receive(delivery.bytes, source: delivery.name, receivedAt: delivery.receivedAt)
        }
        try intake.receive(try FeedFixtures.data("events/swim-100-free-events.json"), source: "events.json", receivedAt: UTCInstant(iso8601: "2026-07-31T19:42:31Z")!)
        try intake.receive(try FeedFixtures.data("lenex/podium-open.lxf"), source: "podium-open.lxf", receivedAt: UTCInstant(iso8601: "2026-08-01T20:00:00Z")!)
        let clean = try intake.replay(repair: false)
        #expect(clean.differences.isEmpty, "\(clean.differences)")
        #expect(clean.documents == 13)

        var tampered = try store.facts()
        tampered.timing.removeFirst()
        try store.replaceFacts(with: tampered)
        let found = try intake.replay(repair: true)
        #expect(found.differences.count == 1)
        #expect(try intake.replay(repair: false).differences.isEmpty)
    }

    @Test(arguments: StoreKind.allCases)
    func reopeningTheIntakeRestoresTheBookFromTheLog(kind: StoreKind) throws {
        let store = try kind.make()
        do {
            let intake = try ResultsIntake(store: store)
            for delivery in try Delivery.swimSeries() { try intake.receive(delivery.bytes, source: delivery.name, receivedAt: delivery.receivedAt) }
        }
        let reopened = try ResultsIntake(store: store)
        #expect(reopened.latest.results(of: FeedFixtures.swimUnit)?.status == "OFFICIAL")
        let receipt = try reopened.receive(try FeedFixtures.swim("04-DT_RESULT-LIVE-50m.xml") + Data("\n".utf8), source: "resent.xml", receivedAt: UTCInstant(iso8601: "2026-07-31T19:50:00Z")!)
        #expect(receipt.outcome == .superseded(currentVersion: 4), "different bytes, same message: the version decides")
    }
}

struct AsKnownAtTests {
    @Test func aCorrectionAfterOfficialChangesLatestButNotWhatWasOnAir() throws {
        let intake = try ResultsIntake(store: InMemoryResultsStore())
        for delivery in try Delivery.swimSeries() + [Delivery.correction()] {
            try intake.receive(delivery.bytes, source: delivery.name, receivedAt: delivery.receivedAt)
        }
        let onAir = try #require(intake.book(asKnownAt: UTCInstant(iso8601: "2026-07-31T19:45:00Z")!).results(of: FeedFixtures.swimUnit))
        let latest = try #require(intake.latest.results(of: FeedFixtures.swimUnit))
        #expect(onAir.lanes.first { $0.lane == 7 }?.rank == 6)
        #expect(onAir.lanes.first { $0.lane == 7 }?.status == nil)
        #expect(latest.lanes.first { $0.lane == 7 }?.status == .dsq)
        #expect(latest.lanes.first { $0.lane == 7 }?.rank == nil)
        #expect(latest.lanes.first { $0.lane == 1 }?.rank == 6)
    }

    @Test func answersChangeOnlyWhenADocumentReceivedByThenSaysSo() throws {
        let deliveries = try Delivery.swimSeries() + [Delivery.correction()]
        let intake = try ResultsIntake(store: InMemoryResultsStore())
        for delivery in deliveries { try intake.receive(delivery.bytes, source: delivery.name, receivedAt: delivery.receivedAt) }
        let millisecond = Rational(1, 1000)
        for (index, delivery) in deliveries.enumerated() {
            let justBefore = intake.book(asKnownAt: delivery.receivedAt.advanced(by: Rational(0) - millisecond))
            let previous = index == 0 ? nil : intake.book(asKnownAt: deliveries[index - 1].receivedAt)
            // Between two receipts nothing changes.
            #expect(justBefore.results(of: FeedFixtures.swimUnit) == previous?.results(of: FeedFixtures.swimUnit))
            #expect(justBefore.athletes == (previous?.athletes ?? [:]))
            // At a receipt, the state is what that document (and those before) say.
            var expected = ResultsBook()
            for earlier in deliveries[...index] { _ = try expected.accept(try DocumentDecoder.decode(earlier.bytes)) }
            let atReceipt = intake.book(asKnownAt: delivery.receivedAt)
            #expect(atReceipt.results(of: FeedFixtures.swimUnit) == expected.results(of: FeedFixtures.swimUnit))
        }
    }
}

struct PermutationTests {
    /// The facts without their sources: which stored document produced a fact depends on arrival order, the fact does not.
    static func content(_ facts: DerivedFacts) -> [String] {
        facts.units.map { "\($0.unit) \($0.status ?? "") \($0.startUTC ?? "")" }
            + facts.athletes.map { "\($0.code) \($0.givenName) \($0.familyName) \($0.organisation)" }
            + facts.startLists.map { "\($0.unit) \($0.lane) \($0.competitorCode) \($0.legs)" }
            + facts.timing.map { "\($0.unit) \($0.lane) \($0.kind) \($0.distance) \($0.milliseconds ?? -1) \($0.happenedUTC ?? "") \($0.value ?? "")" }
            + facts.records.map { "\($0.type) \($0.event) \($0.holder) \($0.milliseconds) \($0.splits)" }
    }

    @Test(arguments: [UInt64(1), 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12])
    func anyArrivalOrderGivesTheSameFinalState(seed: UInt64) throws {
        var deliveries = try Delivery.swimSeries() + Delivery.athleticsSeries() + [Delivery.correction()]
        deliveries.append(Delivery(name: "events.json", bytes: try FeedFixtures.data("events/swim-100-free-events.json"), receivedAt: deliveries[0].receivedAt))
        for name in ["DT_PARTIC_UPDATE", "DT_SCHEDULE", "DT_SCHEDULE_UPDATE", "DT_RECORD"] {
            deliveries.append(Delivery(name: name, bytes: try FeedFixtures.data("odf-messages/\(name).xml"), receivedAt: deliveries[0].receivedAt))
        }
        let reference = try ResultsIntake(store: InMemoryResultsStore())
        for delivery in deliveries { try reference.receive(delivery.bytes, source: delivery.name, receivedAt: delivery.receivedAt) }

        var generator = SplitMix(state: seed)
        let store = try StoreKind.sqlite.make()
        let shuffled = try ResultsIntake(store: store)
        for delivery in deliveries.shuffled(using: &generator) {
            let receipt = try shuffled.receive(delivery.bytes, source: delivery.name, receivedAt: delivery.receivedAt)
            if case .rejected = receipt.outcome { Issue.record("seed \(seed): \(receipt)") }
        }
        for unit in [FeedFixtures.swimUnit, FeedFixtures.athleticsUnit] {
            #expect(shuffled.latest.results(of: unit) == reference.latest.results(of: unit), "seed \(seed), unit \(unit)")
        }
        #expect(shuffled.latest.athletes == reference.latest.athletes)
        #expect(shuffled.latest.schedule == reference.latest.schedule)
        #expect(shuffled.latest.records == reference.latest.records)
        #expect(Self.content(try store.facts()) == Self.content(FactsDeriver(book: reference.latest, documentIDs: [:]).facts()))
    }
}

/// Each document replaces only the part of the facts it can change; after every document the
/// stored facts are exactly what the whole book derives, however many units the meet has.
struct ScopedFactsTests {
    static let template = try! String(decoding: FeedFixtures.swim("05-DT_RESULT-OFFICIAL.xml"), as: UTF8.self)

    /// The official result of unit `number`, version `version`; withdrawn (no Competition) when asked.
    static func result(unit number: Int, version: Int, withdrawn: Bool = false) -> Data {
        var text = template.replacingOccurrences(of: "SWMM100MFR------------FNL-000100--", with: "SWMM100MFR------------FNL-" + String(format: "%06d", number) + "--")
            .replacingOccurrences(of: #"Version="4""#, with: #"Version="\#(version)""#)
            .replacingOccurrences(of: #"Result="8.31""#, with: #"Result="8.\#(10 + version)""#)
        if withdrawn, let start = text.range(of: "<Competition"), let end = text.range(of: "</Competition>") {
            text.removeSubrange(start.lowerBound..<end.upperBound)
        }
        return Data(text.utf8)
    }

    @Test(arguments: StoreKind.allCases)
    func storedFactsAlwaysEqualTheWholeBooksAfterEachDocument(kind: StoreKind) throws {
        let store = try kind.make()
        let intake = try ResultsIntake(store: store)
        var generator = SplitMix(state: 5)
        var documents: [Data] = []
        for unit in 1...40 {
            documents.append(Self.result(unit: unit, version: 1))
            documents.append(Self.result(unit: unit, version: 2))
        }
        for unit in [3, 17, 29] { documents.append(Self.result(unit: unit, version: 3, withdrawn: true)) }
        documents.shuffle(using: &generator)
        documents.insert(try FeedFixtures.swim("01-DT_PARTIC.xml"), at: 20)
        documents.insert(try FeedFixtures.swim("00-DT_RECORD.xml"), at: 50)
        documents.append(try FeedFixtures.data("events/swim-100-free-events.json"))
        documents.append(try FeedFixtures.data("lenex/podium-open.lxf"))
        var received = UTCInstant(iso8601: "2026-07-31T19:00:00Z")!
        for (index, bytes) in documents.enumerated() {
            received = received.advanced(by: Rational(1))
            let receipt = try intake.receive(bytes, source: "doc \(index)", receivedAt: received)
            guard case .accepted = receipt.outcome else { continue }
            let whole = FactsDeriver(book: intake.latest, documentIDs: [:]).facts()
            let stored = try store.facts()
            // Sources aside (the whole derivation here knows no ids), every row is the book's.
            #expect(Self.withoutSources(stored) == Self.withoutSources(whole), "after document \(index)")
        }
        let replay = try intake.replay(repair: false)
        #expect(replay.differences.isEmpty, "\(replay.differences.prefix(5))")
        // 40 units, 3 withdrawn, the final the events speak of, and the Lenex meet's heats.
        #expect(try store.facts().units.count == 40 - 3 + 1 + intake.latest.lenexRaces.count)
    }

    static func withoutSources(_ facts: DerivedFacts) -> [String] {
        facts.units.map { "unit \($0.unit) \($0.status ?? "") \($0.startUTC ?? "")" }
            + facts.athletes.map { "athlete \($0.code) \($0.familyName)" }
            + facts.startLists.map { "start \($0.unit) \($0.lane) \($0.competitorCode)" }
            + facts.timing.map { "timing \($0.unit) \($0.lane) \($0.kind) \($0.distance) \($0.milliseconds ?? -1) \($0.value ?? "")" }
            + facts.records.map { "record \($0.type) \($0.event) \($0.milliseconds)" }
    }
}
