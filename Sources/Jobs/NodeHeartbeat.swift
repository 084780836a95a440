public import Foundation
public import Logging
public import Overlay
public import Store
public import MediaIO
import Synchronization

/// This process as a node of the store: registered when it starts, beating every
/// `NodeLease.heartbeat` on a thread of its own (a busy cooperative pool or a long job never
/// makes it miss a beat), settling at every beat the jobs that dead nodes left `running`, and
/// retired when the process stops cleanly.
///
/// Every process that runs jobs keeps one (`podium serve`, `podium enrich`), so a job killed
/// with its process (`kill -9`, a crash, a power cut) is marked `interrupted` by the next node
/// that beats: at once when that node is on the same host and sees the process gone, and
/// `NodeLease.lease` after the last beat otherwise.
public final class NodeHeartbeat: Sendable {
    /// This process's record.
    public let node: NodeRecord
    private let store: SQLiteStore
    private let wallClock: any WallClock
    private let logger: Logger
    private let identity: ProcessIdentity
    /// Signalled to stop the beating thread early; `finished` once it has.
    private let wake = DispatchSemaphore(value: 0)
    private let finished = DispatchSemaphore(value: 0)
    private let stopping = Atomic<Bool>(false)

    /// Registers this process as a node named `name` in `store`, settles the orphans already
    /// there, and starts beating.
    public static func start(store: SQLiteStore, name: String? = nil, wallClock: any WallClock = SystemClock(), logger: Logger? = nil) throws -> NodeHeartbeat {
        let identity = ProcessIdentity.current
        let micros = wallClock.microsecondsSinceEpoch()
        let node = NodeRecord(
            id: "n-" + UUID().uuidString.lowercased().prefix(13).replacingOccurrences(of: "-", with: ""),
            name: name ?? identity.hostName, host: identity.host, process: identity.process,
            startedUTC: wallClock.now().iso8601, heartbeatMicros: micros
        )
        try store.registerNode(node)
        let heartbeat = NodeHeartbeat(node: node, store: store, wallClock: wallClock, logger: logger ?? .silent, identity: identity)
        try heartbeat.beat()
        let thread = Thread { heartbeat.beatUntilStopped() }
        thread.name = "podium.node"
        thread.start()
        return heartbeat
    }

    private init(node: NodeRecord, store: SQLiteStore, wallClock: any WallClock, logger: Logger, identity: ProcessIdentity) {
        self.node = node
        self.store = store
        self.wallClock = wallClock
        self.logger = logger
        self.identity = identity
    }

    /// One beat: this node is alive now, and the jobs of nodes that are not are settled.
    /// Returns the jobs it settled.
    @discardableResult
    public func beat() throws -> [SettledOrphan] {
        let micros = wallClock.microsecondsSinceEpoch()
        try store.beat(nodeID: node.id, atMicros: micros)
        let settled = try store.settleOrphans(nowMicros: micros, nowUTC: wallClock.now().iso8601) { [identity] other in identity.liveness(of: other) }
        for orphan in settled {
            logger.warning("\(orphan.reason)", metadata: ["job": .stringConvertible(orphan.jobID)])
        }
        return settled
    }

    private func beatUntilStopped() {
        defer { finished.signal() }
        let interval = Double(NodeLease.heartbeat.components.seconds) + Double(NodeLease.heartbeat.components.attoseconds) / 1e18
        while !stopping.load(ordering: .acquiring) {
            if wake.wait(timeout: .now() + interval) == .success { break }
            do {
                try beat()
            } catch {
                // A store that cannot be written now (a full disk, a lock held long) may be
                // writable at the next beat; five missed beats and other nodes settle this one's jobs.
                logger.error("node \(node.id) could not beat: \(error)")
            }
        }
    }

    /// Stops beating and records the node as stopped; its jobs must have ended first (a job
    /// still running then is settled as interrupted by the next node).
    public func stop() {
        guard !stopping.exchange(true, ordering: .acquiringAndReleasing) else { return }
        wake.signal()
        finished.wait()
        do {
            try store.retireNode(node.id, stoppedUTC: wallClock.now().iso8601)
        } catch {
            logger.error("node \(node.id) could not record its stop: \(error)")
        }
    }
}

/// Which process this is, in words another process on the same host can check: the host with
/// its boot (a reboot ends every process), the pid with the kernel's start time for it (a pid
/// is reused; the pair is not).
struct ProcessIdentity: Sendable {
    /// The host name, for people.
    let hostName: String
    /// Host name and boot id.
    let host: String
    /// `pid:starttime`.
    let process: String

    static let current: ProcessIdentity = {
        let hostName = ProcessInfo.processInfo.hostName
        let boot = (try? String(contentsOfFile: "/proc/sys/kernel/random/boot_id", encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines) ?? "unknown-boot"
        let pid = getpid()
        let start = startTime(of: pid).map(String.init) ?? "unknown-start"
        return ProcessIdentity(hostName: hostName, host: "\(hostName)/\(boot)", process: "\(pid):\(start)")
    }()

    /// What can be seen from here of `node`'s process.
    func liveness(of node: NodeRecord) -> NodeLiveness {
        guard node.host == host, !host.hasSuffix("/unknown-boot") else { return .unknown }
        let parts = node.process.split(separator: ":")
        guard parts.count == 2, let pid = Int32(parts[0]), let start = UInt64(parts[1]) else { return .unknown }
        guard let running = ProcessIdentity.startTime(of: pid) else { return .gone }
        return running == start ? .alive : .gone
    }

    /// Field 22 of `/proc/PID/stat`: when the process started, in clock ticks after boot; nil
    /// when there is no such process. The command name (field 2) may hold spaces and
    /// parentheses, so fields are counted after its last `)`.
    static func startTime(of pid: Int32) -> UInt64? {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8), let close = stat.lastIndex(of: ")") else { return nil }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        // After the name come field 3 (state) onwards: field 22 is the 20th.
        guard fields.count > 19 else { return nil }
        return UInt64(fields[19])
    }
}
