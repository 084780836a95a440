import Foundation
import Hummingbird
public import Jobs
public import Logging
public import MediaIO
public import Overlay
public import Store

/// Where the server's jobs find their fixtures and templates and write their files, and which
/// hosts their network inputs and outputs may reach.
public struct JobSettings: Sendable {
    /// Each job's own files (its HLS) go in a folder of their own under this one.
    public var jobsDirectory: String
    /// Recorded cases (`clip.ts`, `clock.json`, `results/`) a job or a render may use by name.
    public var fixturesDirectory: String
    /// Bundled templates (`NAME.json`), after those stored through the API.
    public var templatesDirectory: String
    /// Hosts a job's network input or output may reach besides loopback.
    public var allowedHosts: [String]

    /// Creates settings.
    public init(jobsDirectory: String = "var/jobs", fixturesDirectory: String = "fixtures", templatesDirectory: String = "templates", allowedHosts: [String] = []) {
        self.jobsDirectory = jobsDirectory
        self.fixturesDirectory = fixturesDirectory
        self.templatesDirectory = templatesDirectory
        self.allowedHosts = allowedHosts
    }
}

/// The server's side of running jobs: the runner, the store they record into, the feeds that
/// serve them results while they run, and the settings.
public final class JobDesk: Sendable {
    let runner: JobRunner
    let store: SQLiteStore
    let feeds: FeedDesk?
    let settings: JobSettings
    /// The node (`NodeHeartbeat`) that runs the desk's jobs; nil for a server that keeps none.
    let node: String?

    /// Where the server's jobs log (each line with its job's id).
    let logger: Logger
    /// The time of day the server's jobs read (records, arrival, "now" for a venue's schedule).
    let wallClock: any WallClock

    /// A desk starting jobs on `runner`; its jobs log to `logger` and read the time from `wallClock`.
    public init(
        runner: JobRunner, store: SQLiteStore, feeds: FeedDesk?, settings: JobSettings, logger: Logger = Logger(label: "podium.jobs"),
        wallClock: any WallClock = SystemClock(), node: String? = nil
    ) {
        self.node = node
        self.logger = logger
        self.wallClock = wallClock
        self.runner = runner
        self.store = store
        self.feeds = feeds
        self.settings = settings
    }

    /// A fixture by its plain name, read from the fixtures folder (blocking: call off the event loop).
    func fixture(_ name: String) throws -> FixtureCase {
        let path = URL(fileURLWithPath: settings.fixturesDirectory).appendingPathComponent(name).path
        guard FileManager.default.fileExists(atPath: path + "/clip.ts") else {
            throw APIError(.notFound, code: "not_found", message: "no fixture \(name)", details: ["fixture": name])
        }
        do {
            return try FixtureCase(path: path)
        } catch {
            throw APIError(.internalServerError, code: "fixture_unreadable", message: "fixture \(name) cannot be read: \(error)", details: ["fixture": name])
        }
    }

    /// A template by plain name: one stored through the API, else a bundled one.
    func template(_ name: String) async throws -> OverlayTemplate {
        let data: Data
        if let stored = try await store.template(name: name) {
            data = stored
        } else if let bundled = FileManager.default.contents(atPath: URL(fileURLWithPath: settings.templatesDirectory).appendingPathComponent(name + ".json").path) {
            data = bundled
        } else {
            throw APIError(.unprocessableContent, code: "unknown_template", message: "no template \(name) (stored or bundled)", details: ["path": "$.template", "template": name])
        }
        do {
            return try OverlayTemplate.parse(data)
        } catch {
            throw APIError(.unprocessableContent, code: "invalid_template", message: "template \(name): \(error)", details: ["path": "$.template", "template": name])
        }
    }
}
