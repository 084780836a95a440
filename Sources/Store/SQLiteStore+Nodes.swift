import Foundation
import GRDB
import Overlay

/// Nodes, their heartbeats, and the jobs their deaths leave behind.
extension SQLiteStore {
    /// Records a node as it starts.
    public func registerNode(_ node: NodeRecord) throws {
        try pool.write { db in
            try db.execute(
                sql: "INSERT INTO node (id, name, host, process, startedUTC, heartbeatMicros) VALUES (?, ?, ?, ?, ?, ?)",
                arguments: [node.id, node.name, node.host, node.process, node.startedUTC, node.heartbeatMicros]
            )
        }
    }

    /// Records that `nodeID` is alive at `micros` (which renews the lease of every job it runs).
    public func beat(nodeID: String, atMicros micros: Int64) throws {
        try pool.write { db in
            try db.execute(sql: "UPDATE node SET heartbeatMicros = max(heartbeatMicros, ?) WHERE id = ?", arguments: [micros, nodeID])
        }
    }

    /// Records that `nodeID` stopped cleanly (its jobs have ended or been stopped).
    public func retireNode(_ nodeID: String, stoppedUTC: String) throws {
        try pool.write { db in
            try db.execute(sql: "UPDATE node SET stoppedUTC = ? WHERE id = ?", arguments: [stoppedUTC, nodeID])
        }
    }

    /// Every node the store has seen, oldest first.
    public func nodes() throws -> [NodeRecord] {
        try pool.read { db in try Row.fetchAll(db, sql: "SELECT * FROM node ORDER BY rowid").map(SQLiteStore.node(from:)) }
    }

    /// Marks `interrupted` every job left `running` by a node that no longer runs it, and returns
    /// them: a job of a node that stopped or is not known, of a node whose process `liveness`
    /// sees gone, or of one whose last heartbeat is more than `NodeLease.lease` before
    /// `nowMicros` (unless `liveness` sees it alive: a live process that missed its beats is
    /// slow, not dead, and still writes its job). A job recorded without a node (by a program
    /// that embeds the store and keeps no heartbeat) is its program's to end, and left alone.
    public func settleOrphans(nowMicros: Int64, nowUTC: String, liveness: (NodeRecord) -> NodeLiveness) throws -> [SettledOrphan] {
        let settled = try pool.write { db -> [SettledOrphan] in
            let rows = try Row.fetchAll(db, sql: """
                SELECT job.id AS jobID, job.node AS jobNode, node.* FROM job LEFT JOIN node ON node.id = job.node
                WHERE job.state = 'running' AND job.node IS NOT NULL
                """)
            var orphans: [SettledOrphan] = []
            for row in rows {
                let jobID: Int64 = row["jobID"]
                let claimed: String = row["jobNode"]
                guard row["id"] as String? != nil else {
                    orphans.append(SettledOrphan(jobID: jobID, reason: "interrupted: its node \(claimed) is not known to this store; settled at \(nowUTC)"))
                    continue
                }
                let node = SQLiteStore.node(from: row)
                let last = UTCInstant(secondsSinceEpoch: Rational(Int128(node.heartbeatMicros), 1_000_000)).iso8601
                if let stopped = node.stoppedUTC {
                    orphans.append(SettledOrphan(jobID: jobID, reason: "interrupted: its node \(node.name) (\(node.id)) stopped at \(stopped) without ending it"))
                    continue
                }
                switch liveness(node) {
                case .alive:
                    continue
                case .gone:
                    orphans.append(SettledOrphan(jobID: jobID, reason: "interrupted: the process of its node \(node.name) (\(node.id)) is gone; its last heartbeat was at \(last)"))
                case .unknown:
                    if nowMicros - node.heartbeatMicros > NodeLease.leaseMicros {
                        orphans.append(SettledOrphan(jobID: jobID, reason: "interrupted: its node \(node.name) (\(node.id)) stopped beating at \(last); settled at \(nowUTC)"))
                    }
                }
            }
            for orphan in orphans {
                try db.execute(
                    sql: "UPDATE job SET state = 'interrupted', failure = ? WHERE id = ? AND state = 'running'",
                    arguments: [orphan.reason, orphan.jobID]
                )
            }
            return orphans
        }
        for orphan in settled { bell.ring(jobID: orphan.jobID) }
        return settled
    }

    private static func node(from row: Row) -> NodeRecord {
        NodeRecord(
            id: row["id"], name: row["name"], host: row["host"], process: row["process"], startedUTC: row["startedUTC"],
            heartbeatMicros: row["heartbeatMicros"], stoppedUTC: row["stoppedUTC"]
        )
    }
}
