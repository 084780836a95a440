import API
import Feeds
import ArgumentParser
import Hummingbird
import Metrics
import Prometheus
import Store

/// `podium serve`: the JSON API over the job store.
struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Serve the JSON API.")

    @Option(help: "Address to bind.")
    var hostname = "127.0.0.1"

    @Option(help: "Port to listen on.")
    var port = 8080

    @Option(help: "SQLite database of jobs, frames and API keys.")
    var database = "var/podium.sqlite"

    @Option(help: "Requests per second one API key may make on average (then 429 with Retry-After).")
    var rateLimit = 200.0

    @Option(help: "Requests one API key may make at once.")
    var rateBurst = 400.0

    func run() async throws {
        guard rateLimit > 0, rateBurst >= 1 else { throw ValidationError("--rate-limit must be positive and --rate-burst at least 1") }
        let store = try SQLiteStore(path: database)
        let feeds = FeedDesk(intake: try ResultsIntake(store: store))
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        let app = buildApplication(
            store: store, feeds: feeds, limits: RateLimits(perSecond: rateLimit, burst: rateBurst), metrics: registry,
            configuration: ApplicationConfiguration(address: .hostname(hostname, port: port), serverName: "podium")
        )
        try await app.runService()
    }
}
