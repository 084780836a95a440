import API
import ArgumentParser
import Hummingbird
import Store

/// `podium serve`: the JSON API over the job store.
struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Serve the JSON API.")

    @Option(help: "Address to bind.")
    var hostname = "127.0.0.1"

    @Option(help: "Port to listen on.")
    var port = 8080

    @Option(help: "SQLite database of jobs and frames.")
    var database = "var/podium.sqlite"

    func run() async throws {
        let store = try SQLiteStore(path: database)
        let app = buildApplication(
            store: store,
            configuration: ApplicationConfiguration(address: .hostname(hostname, port: port), serverName: "podium")
        )
        try await app.runService()
    }
}
