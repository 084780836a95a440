import Foundation
import GRDB
import Store
import TestSupport
import Testing

/// Nodes and their jobs' leases: a job whose node is gone is settled as `interrupted`, a job of a
/// node that is alive or still beating is not, and nothing else about the job changes. Times are
/// given, so nothing here waits for a clock.
struct NodeLeaseTests {
    let path: String

    init() throws {
        path = try Fixtures.scratchFolder("nodes").appendingPathComponent("podium.sqlite").path
    }

    static let start: Int64 = 1_785_526_800_000_000  // 2026-07-31T19:40:00Z

    static func node(_ id: String, beat: Int64 = start) -> NodeRecord {
        NodeRecord(id: id, name: "venue-\(id)", host: "host/boot", process: "100:200", startedUTC: "2026-07-31T19:40:00.000000Z", heartbeatMicros: beat)
    }

    static func job(on node: String?) -> JobDescription {
        JobDescription(
            createdUTC: "2026-07-31T19:40:00.000000Z", input: "udp://127.0.0.1:5000", output: "out.ts", unit: nil, clockSource: "arrival",
            frameRate: "stream", node: node
        )
    }

    @Test func aJobIsInterruptedOnlyOnceItsNodeHasMissedItsLease() async throws {
        let store = try SQLiteStore(path: path)
        try store.registerNode(Self.node("a"))
        let id = try store.startJob(Self.job(on: "a"), documents: [])
        try store.appendFrames([StoredFrame(seq: 0, pts: 0, captureUTC: "2026-07-31T19:40:00.000000Z", overlayJSON: Data("{}".utf8))], toJob: id)
        let lease = NodeLease.leaseMicros
        // Within the lease (its last beat 5 s ago, to the microsecond): still its node's.
        #expect(try store.settleOrphans(nowMicros: Self.start + lease, nowUTC: "now", liveness: { _ in .unknown }).isEmpty)
        // A beat renews it.
        try store.beat(nodeID: "a", atMicros: Self.start + 3_000_000)
        #expect(try store.settleOrphans(nowMicros: Self.start + lease + 1, nowUTC: "now", liveness: { _ in .unknown }).isEmpty)
        // An older beat (a clock read late) does not move it back.
        try store.beat(nodeID: "a", atMicros: Self.start)
        #expect(try store.settleOrphans(nowMicros: Self.start + 3_000_000 + lease, nowUTC: "now", liveness: { _ in .unknown }).isEmpty)
        // One microsecond past the lease: interrupted, with the node and its last beat named.
        let settled = try store.settleOrphans(nowMicros: Self.start + 3_000_000 + lease + 1, nowUTC: "2026-07-31T19:40:08.000001Z", liveness: { _ in .unknown })
        #expect(settled.map(\.jobID) == [id])
        let job = try #require(try await store.job(id: id))
        #expect(job.state == "interrupted")
        #expect(job.failure == "interrupted: its node venue-a (a) stopped beating at 2026-07-31T19:40:03.000000Z; settled at 2026-07-31T19:40:08.000001Z")
        #expect(job.frames == 1, "what the job stored stays")
        #expect(job.description.node == "a")
        // Settled once: a second settler finds nothing.
        #expect(try store.settleOrphans(nowMicros: Self.start + 60_000_000, nowUTC: "now", liveness: { _ in .unknown }).isEmpty)
    }

    @Test func aNodeSeenAliveKeepsItsJobsAndOneSeenGoneLosesThemAtOnce() async throws {
        let store = try SQLiteStore(path: path)
        try store.registerNode(Self.node("slow"))
        try store.registerNode(Self.node("dead"))
        let slow = try store.startJob(Self.job(on: "slow"), documents: [])
        let dead = try store.startJob(Self.job(on: "dead"), documents: [])
        let liveness: (NodeRecord) -> NodeLiveness = { $0.id == "slow" ? .alive : .gone }
        // A second after both beat: the gone one's job is settled without waiting for its lease.
        let settled = try store.settleOrphans(nowMicros: Self.start + 1_000_000, nowUTC: "now", liveness: liveness)
        #expect(settled.map(\.jobID) == [dead])
        #expect(settled.first?.reason.contains("the process of its node venue-dead (dead) is gone") == true)
        // A minute without a beat: a process seen alive is slow, not dead.
        #expect(try store.settleOrphans(nowMicros: Self.start + 60_000_000, nowUTC: "now", liveness: liveness).isEmpty)
        #expect(try await store.job(id: slow)?.state == "running")
        #expect(try await store.job(id: dead)?.state == "interrupted")
    }

    @Test func jobsOfAStoppedOrUnknownNodeAreSettledAndEndedOnesAreNot() async throws {
        let store = try SQLiteStore(path: path)
        try store.registerNode(Self.node("old"))
        let leftBehind = try store.startJob(Self.job(on: "old"), documents: [])
        let finished = try store.startJob(Self.job(on: "old"), documents: [])
        try store.finishJob(finished, failure: nil)
        let failed = try store.startJob(Self.job(on: "old"), documents: [])
        try store.finishJob(failed, failure: "the input ended")
        try store.retireNode("old", stoppedUTC: "2026-07-31T19:41:00.000000Z")
        let stranger = try store.startJob(Self.job(on: "never-registered"), documents: [])
        // A job recorded without a node is its embedding program's to end.
        let embedded = try store.startJob(Self.job(on: nil), documents: [])
        let settled = try store.settleOrphans(nowMicros: Self.start, nowUTC: "now", liveness: { _ in .alive })
        #expect(Set(settled.map(\.jobID)) == [leftBehind, stranger])
        #expect(try await store.job(id: leftBehind)?.failure == "interrupted: its node venue-old (old) stopped at 2026-07-31T19:41:00.000000Z without ending it")
        #expect(try await store.job(id: finished)?.state == "completed")
        #expect(try await store.job(id: failed)?.state == "failed")
        #expect(try await store.job(id: embedded)?.state == "running")
        #expect(try store.nodes().map(\.stoppedUTC) == ["2026-07-31T19:41:00.000000Z"])
        // The state filter finds them.
        #expect(try await store.jobs(JobQuery(state: "interrupted")).map(\.id) == [stranger, leftBehind])
    }

    @Test func upgradingAStoreInterruptsTheJobsAPodiumWithoutNodesLeftRunning() async throws {
        let running: Int64
        let completed: Int64
        do {
            let store = try SQLiteStore(path: path)
            running = try store.startJob(Self.job(on: nil), documents: [])
            completed = try store.startJob(Self.job(on: nil), documents: [])
            try store.finishJob(completed, failure: nil)
        }
        // Take the file back to the schema before nodes.
        let queue = try DatabaseQueue(path: path)
        try await queue.write { db in
            try db.execute(sql: "DELETE FROM grdb_migrations WHERE identifier = 'v9: nodes'")
            try db.execute(sql: "DROP TABLE node")
            try db.execute(sql: "ALTER TABLE job DROP COLUMN node")
        }
        try queue.close()
        let upgraded = try SQLiteStore(path: path)
        let job = try #require(try await upgraded.job(id: running))
        #expect(job.state == "interrupted")
        #expect(job.failure?.contains("found when the store was upgraded") == true)
        #expect(try await upgraded.job(id: completed)?.state == "completed")
    }
}
