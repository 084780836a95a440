public import Jobs
public import ServiceLifecycle

/// The server's jobs as a service beside the HTTP server: on SIGTERM or SIGINT it stops every
/// running job and waits until each has finished its outputs and written its frames. Put it after
/// the application in the service group, so it is shut down first, while the HTTP server still
/// answers (and live pushes send their `end`).
public struct JobsService: Service {
    let runner: JobRunner

    /// The service of `runner`.
    public init(runner: JobRunner) { self.runner = runner }

    /// Waits for the shutdown signal, then stops every job and waits for each to finish.
    public func run() async throws {
        // Returns on graceful shutdown; throws if the group is cancelled. Either way the jobs stop.
        try? await gracefulShutdown()
        await runner.stopAll()
    }
}

/// The server's node (`NodeHeartbeat`) as a service: it beats from the start, and on SIGTERM or
/// SIGINT it stops beating and records the node as stopped. Put it first in the service group,
/// so it is shut down last, once the jobs have ended.
public struct NodeService: Service {
    let heartbeat: NodeHeartbeat

    /// The service of `heartbeat`.
    public init(heartbeat: NodeHeartbeat) { self.heartbeat = heartbeat }

    /// Waits for the shutdown signal, then retires the node.
    public func run() async throws {
        try? await gracefulShutdown()
        heartbeat.stop()
    }
}
