import Foundation
@testable import Feeds
import Overlay
import Store
import TestSupport
import Testing

/// Test-feed documents (`FeedFlag="T"`): refused by a production intake, kept in a rehearsal
/// ledger of their own where rehearsals are taken, and never read by production.
struct RehearsalTests {
    /// The swim fixture's documents as a test feed sends them.
    static func testFeed() throws -> [Delivery] {
        try Delivery.swimSeries().map { delivery in
            let text = String(decoding: delivery.bytes, as: UTF8.self).replacingOccurrences(of: #"FeedFlag="P""#, with: #"FeedFlag="T""#)
            return Delivery(name: delivery.name, bytes: Data(text.utf8), receivedAt: delivery.receivedAt)
        }
    }

    @Test(arguments: StoreKind.allCases)
    func aProductionIntakeRefusesTestDocumentsSayingHowToTakeThem(kind: StoreKind) throws {
        let intake = try ResultsIntake(store: try kind.make())
        let receipt = try intake.receive(try Self.testFeed()[2].bytes, source: "t.xml", receivedAt: UTCInstant(iso8601: "2026-07-31T19:41:00Z")!)
        guard case .rejected(let reason) = receipt.outcome else {
            Issue.record("expected a rejection, got \(receipt)")
            return
        }
        #expect(reason.hasSuffix("has feed flag T but this feed takes P only (test documents are kept, in a rehearsal ledger, only by a server started with --rehearsals)"))
    }

    @Test(arguments: StoreKind.allCases)
    func aRehearsalRunsTheChainWithoutTouchingProduction(kind: StoreKind) throws {
        let store = try kind.make()
        let intake = try ResultsIntake(store: store, takesRehearsals: true)
        for delivery in try Self.testFeed() {
            let receipt = try intake.receive(delivery.bytes, source: delivery.name, receivedAt: delivery.receivedAt)
            #expect(receipt.outcome == .rehearsal, "\(receipt)")
            #expect(receipt.description.contains(": rehearsal (odf) #"))
        }
        #expect(intake.latest.units.isEmpty, "production never reads a test document")
        #expect(try store.facts() == DerivedFacts(), "no production fact comes from a rehearsal")
        let rehearsed = try #require(intake.latestRehearsal.results(of: FeedFixtures.swimUnit))
        #expect(rehearsed.status == "OFFICIAL")
        #expect(rehearsed.lanes.first { $0.lane == 4 }?.finish?.description == "8.31")
        #expect(try store.feedDocuments().allSatisfy { $0.outcome == "rehearsal" })

        // Production documents beside them go where they always went.
        let production = try Delivery.swimSeries()[1]
        #expect(try intake.receive(production.bytes, source: production.name, receivedAt: production.receivedAt).outcome == .accepted)
        #expect(intake.latest.athletes.count == 8)

        // After a restart both ledgers are rebuilt from the log, each apart.
        let reopened = try ResultsIntake(store: store, takesRehearsals: true)
        #expect(reopened.rehearsalLedger.entries.count == 6)
        #expect(reopened.received.entries.count == 1)
        #expect(reopened.latest.units.isEmpty)
        #expect(reopened.latestRehearsal.results(of: FeedFixtures.swimUnit) == rehearsed)
    }
}
