public import Foundation

/// A Podium process that runs jobs (a `podium serve`, or one `podium enrich`), as the store knows
/// it: every job records the node that runs it, and the node's heartbeat is the job's lease.
///
/// A node's id is new at every start, so a restarted server never takes for its own the jobs
/// its previous run left behind; `name` is the operator's label for it (the host name unless
/// told otherwise).
public struct NodeRecord: Sendable, Equatable {
    /// Unique to this start of the process.
    public let id: String
    /// The operator's label (`--node-name`), the host name by default.
    public let name: String
    /// The host the process runs on, with its boot, so a host's reboot ends every node it had.
    public let host: String
    /// The process on its host: its pid and the kernel's start time for it (a pid alone is reused).
    public let process: String
    /// UTC (ISO 8601) the node started.
    public let startedUTC: String
    /// When the node last said it was alive, in microseconds since the epoch.
    public let heartbeatMicros: Int64
    /// UTC the node stopped cleanly, once it has.
    public let stoppedUTC: String?

    /// Creates a node's record.
    public init(id: String, name: String, host: String, process: String, startedUTC: String, heartbeatMicros: Int64, stoppedUTC: String? = nil) {
        self.id = id
        self.name = name
        self.host = host
        self.process = process
        self.startedUTC = startedUTC
        self.heartbeatMicros = heartbeatMicros
        self.stoppedUTC = stoppedUTC
    }
}

/// How long a node's word holds: a node beats every `heartbeat`, and a job whose node has not
/// beaten for `lease` is no longer run by anyone.
public enum NodeLease {
    /// Seconds between heartbeats.
    public static let heartbeat: Duration = .seconds(1)
    /// Seconds after its node's last heartbeat that a job is taken as orphaned: five missed
    /// beats, so a node busy for a moment (a long write, a paused VM) keeps its jobs.
    public static let lease: Duration = .seconds(5)
    /// `lease` in microseconds.
    public static var leaseMicros: Int64 { lease.components.seconds * 1_000_000 }
}

/// What a settler knows of a node's process beyond its heartbeat.
public enum NodeLiveness: Sendable {
    /// The process is seen running (same host and boot, same pid and start time).
    case alive
    /// The process is seen gone (same host and boot, and no such process).
    case gone
    /// It runs elsewhere: only its heartbeat can tell.
    case unknown
}

/// A job found left `running` by a node that no longer runs it, and marked `interrupted`.
public struct SettledOrphan: Sendable, Equatable {
    /// The job's id.
    public let jobID: Int64
    /// Why it was taken as orphaned, as recorded in the job's `failure`.
    public let reason: String
}
