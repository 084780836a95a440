import API
import ArgumentParser
import Feeds
import Foundation
import Hummingbird
import Jobs
import MediaIO
import Logging
import ServiceLifecycle
import UnixSignals
import Metrics
import Overlay
import Prometheus
import Store

extension Serve {
    /// Every follower holds a socket: the soft limit on open files (often 1,024) is raised to the
    /// hard one, as far as the system lets this process go.
    static func raiseOpenFileLimit() {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0, limit.rlim_cur < limit.rlim_max else { return }
        limit.rlim_cur = limit.rlim_max
        _ = setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
    }
}

/// `podium serve`: the JSON API over the job store. Every option also comes from the
/// environment (a flag wins): PODIUM_HOST, PODIUM_PORT, PODIUM_DATABASE, PODIUM_KEY_FILE.
struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "serve", abstract: "Serve the JSON API.")
    private static let environment = ProcessInfo.processInfo.environment

    @Option(help: "Address to bind (PODIUM_HOST).")
    var hostname = Serve.environment["PODIUM_HOST"] ?? "127.0.0.1"

    @Option(help: "Port to listen on (PODIUM_PORT).")
    var port = Serve.environment["PODIUM_PORT"].flatMap(Int.init) ?? 8080

    @Option(help: "SQLite database of jobs, frames and API keys (PODIUM_DATABASE).")
    var database = Serve.environment["PODIUM_DATABASE"] ?? "var/podium.sqlite"

    @Option(help: "A file of API keys to provision at start, one per line: SCOPE OWNER SECRET (PODIUM_KEY_FILE).")
    var keyFile = Serve.environment["PODIUM_KEY_FILE"]

    @Option(help: "Folder where jobs started through the API write their files, one folder per job (PODIUM_JOBS_DIR).")
    var jobsDir = Serve.environment["PODIUM_JOBS_DIR"] ?? "var/jobs"

    @Option(help: "Folder of fixtures a job or a render may use by name (PODIUM_FIXTURES).")
    var fixtures = Serve.environment["PODIUM_FIXTURES"] ?? "fixtures"

    @Option(help: "Folder of bundled templates (NAME.json), used after those stored through the API (PODIUM_TEMPLATES).")
    var templates = Serve.environment["PODIUM_TEMPLATES"] ?? "templates"

    @Option(help: "Folder of designers' own OGraf graphics to serve and drive: each NAME/ with its NAME.mapping.json beside it (PODIUM_OGRAF_GRAPHICS).")
    var ografGraphics = Serve.environment["PODIUM_OGRAF_GRAPHICS"]

    @Option(name: .customLong("allow-host"), help: "A host a job's network input or output may reach (repeatable; loopback always may; PODIUM_ALLOW_HOSTS, comma-separated).")
    var allowedHosts: [String] = (Serve.environment["PODIUM_ALLOW_HOSTS"] ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }

    @Option(help: "Requests per second one API key may make on average (then 429 with Retry-After).")
    var rateLimit = 200.0

    @Option(help: "Requests one API key may make at once.")
    var rateBurst = 400.0

    @Option(help: "This server's name as a node of the store (PODIUM_NODE_NAME; the host name by default).")
    var nodeName = Serve.environment["PODIUM_NODE_NAME"]

    @Flag(help: "Keep test-feed documents (ODF FeedFlag T, events with feedFlag T) in a rehearsal ledger of their own instead of refusing them; production never reads it (PODIUM_REHEARSALS=1).")
    var rehearsals = Serve.environment["PODIUM_REHEARSALS"] == "1"

    func run() async throws {
        guard rateLimit > 0, rateBurst >= 1 else { throw ValidationError("--rate-limit must be positive and --rate-burst at least 1") }
        let graphics: OGrafGraphicLibrary
        do {
            graphics = try ografGraphics.map { path throws(OGrafImportError) in try OGrafGraphicLibrary(directory: path) } ?? .none
        } catch {
            throw ValidationError("--ograf-graphics: \(error.description)")
        }
        let store = try SQLiteStore(path: database)
        // The one clock the server's records, receipts and jobs read the time of day from.
        let wallClock = SystemClock()
        if let keyFile { try Serve.provisionKeys(from: keyFile, into: store, wallClock: wallClock) }
        let feeds = FeedDesk(intake: try ResultsIntake(store: store, takesRehearsals: rehearsals), wallClock: wallClock)
        let runner = JobRunner()
        // The server is a node: its jobs hold their lease through its heartbeat, and at every
        // beat it settles the jobs that dead nodes (a killed server or podium enrich) left running.
        let node = try NodeHeartbeat.start(store: store, name: nodeName, wallClock: wallClock, logger: Logger(label: "podium.node"))
        let jobs = JobDesk(
            runner: runner, store: store, feeds: feeds,
            settings: JobSettings(jobsDirectory: jobsDir, fixturesDirectory: fixtures, templatesDirectory: templates, allowedHosts: allowedHosts),
            wallClock: wallClock, node: node.node.id
        )
        // A receiver that goes away is a job's output failing, not a reason for the server to die.
        signal(SIGPIPE, SIG_IGN)
        Serve.raiseOpenFileLimit()
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        let app = buildApplication(
            store: store, feeds: feeds, jobs: jobs, limits: RateLimits(perSecond: rateLimit, burst: rateBurst), metrics: registry, wallClock: wallClock,
            graphics: graphics, configuration: ApplicationConfiguration(address: .hostname(hostname, port: port), serverName: "podium")
        )
        // On SIGTERM/SIGINT the group shuts down in reverse order: the jobs first (outputs
        // finished, frames stored), then the HTTP server, then the node (retired last, once
        // none of its jobs runs).
        let group = ServiceGroup(configuration: ServiceGroupConfiguration(
            services: [.init(service: NodeService(heartbeat: node)), .init(service: app), .init(service: JobsService(runner: runner))],
            gracefulShutdownSignals: [.sigterm, .sigint], logger: Logger(label: "podium.serve")
        ))
        try await group.run()
    }
}

extension Serve {
    /// Imports the keys of a key file (a deployment's secrets, made elsewhere) into the store,
    /// as digests; keys already there are left as they are. Any line that is not
    /// `SCOPE OWNER SECRET` (blank lines and `#` comments aside) stops the server from starting.
    static func provisionKeys(from path: String, into store: SQLiteStore, wallClock: some WallClock) throws {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw ValidationError("the key file \(path) cannot be read")
        }
        for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let fields = line.split(whereSeparator: \.isWhitespace)
            if fields.isEmpty || fields[0].hasPrefix("#") { continue }
            guard fields.count == 3, let scope = APIScope(rawValue: String(fields[0])) else {
                throw ValidationError("the key file \(path), line \(number + 1): expected SCOPE OWNER SECRET with SCOPE one of viewer, designer, feed, broadcaster, admin")
            }
            guard APIKeySecret.isWellFormed(String(fields[2])) else {
                throw ValidationError("the key file \(path), line \(number + 1): the secret is not a Podium key (pk_ and 43 base64url characters)")
            }
            guard APIKeyRecord.isValidOwner(String(fields[1])) else {
                throw ValidationError("the key file \(path), line \(number + 1): the owner must be \(APIKeyRecord.ownerRule)")
            }
            try store.importKey(secret: String(fields[2]), scope: scope, owner: String(fields[1]), createdUTC: wallClock.now().iso8601)
        }
    }
}
