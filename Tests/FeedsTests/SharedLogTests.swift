import Foundation
@testable import Feeds
import Overlay
import Store
import TestSupport
import Testing

/// Two nodes taking documents into one store's log (two intakes, each with its own connection
/// to the same SQLite file): each judges every document against the whole log, so together
/// they store what one intake taking every document in the same order stores, outcome for
/// outcome and fact for fact.
struct SharedLogTests {
    @Test func twoNodesTakingTurnsAgreeWithOneTakingEveryDocument() throws {
        let path = try Fixtures.scratchFolder("shared-log").appendingPathComponent("podium.sqlite").path
        let (storeA, storeB) = (try SQLiteStore(path: path), try SQLiteStore(path: path))
        // Both open the empty log before either takes anything.
        let nodes = [try ResultsIntake(store: storeA), try ResultsIntake(store: storeB)]
        let referenceStore = InMemoryResultsStore()
        let reference = try ResultsIntake(store: referenceStore)
        // The swim series, then its official result again (a duplicate) and the 50 m live
        // result once more (superseded by the official version): every other document to the
        // other node, so each node's next one follows documents it has not read.
        let series = try Delivery.swimSeries()
        let deliveries = series + [series[5], Delivery(name: "late-50m.xml", bytes: series[4].bytes + Data("\n".utf8), receivedAt: series[5].receivedAt)]
        for (index, delivery) in deliveries.enumerated() {
            let expected = try reference.receive(delivery.bytes, source: delivery.name, receivedAt: delivery.receivedAt)
            let receipt = try nodes[index % 2].receive(delivery.bytes, source: delivery.name, receivedAt: delivery.receivedAt)
            #expect(receipt == expected, "\(delivery.name) on node \(index % 2)")
        }
        #expect(reference.received.entries.count == deliveries.count - 1, "the same bytes again are not a ledger entry")
        // The log and the facts are one intake's.
        let stored = try storeA.feedDocuments()
        let referenceStored = try referenceStore.feedDocuments()
        #expect(stored.map(\.outcome) == referenceStored.map(\.outcome))
        #expect(stored.map(\.sha256) == referenceStored.map(\.sha256))
        #expect(try storeA.facts() == referenceStore.facts())
        #expect(try nodes[0].replay(repair: false).differences.isEmpty)
        // Each node, caught up, holds every document in its ledger and book.
        for node in nodes {
            try node.catchUp()
            #expect(node.received.entries.map(\.receivedAt) == reference.received.entries.map(\.receivedAt))
            #expect(node.newestTaken == Int64(stored.count))
        }
    }

    @Test(arguments: StoreKind.allCases)
    func aStoreRefusesADocumentFromAWriterThatHasNotReadTheWholeLog(kind: StoreKind) throws {
        let store = try kind.make()
        let document = { (hash: String) in
            FeedDocumentRecord(sha256: hash, format: "odf", source: "x.xml", receivedUTC: "2026-07-31T19:40:00.000Z", bytes: Data("<OdfBody/>".utf8), outcome: "rejected", detail: "not a document")
        }
        #expect(try store.append(document("a"), expectingNewest: 0, replacingFactsWith: nil) == 1)
        let refusal = #expect(throws: AuditLogMovedOn.self) { try store.append(document("b"), expectingNewest: 0, replacingFactsWith: nil) }
        #expect(refusal?.newest == 1 && refusal?.expected == 0)
        #expect(try store.feedDocuments().map(\.sha256) == ["a"], "nothing stored")
        #expect(try store.append(document("b"), expectingNewest: 1, replacingFactsWith: nil) == 2)
        #expect(try store.feedDocuments(after: 1).map(\.sha256) == ["b"])
        #expect(try store.feedDocuments(after: 2).isEmpty)
    }
}
