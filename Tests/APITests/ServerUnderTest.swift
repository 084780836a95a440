import API
import Feeds
import Foundation
import Hummingbird
import HummingbirdTesting
import Jobs
import Logging
import MediaIO
import Overlay
import Store
import TestSupport

/// A server that runs jobs, over a new SQLite store, with the repository's fixtures, templates
/// and designers' own OGraf graphics (`fixtures/ograf-graphics`).
struct ServerUnderTest {
    let folder: URL
    let store: SQLiteStore
    let feeds: FeedDesk
    let desk: JobDesk
    let runner = JobRunner()
    let wallClock: any WallClock
    let graphics: OGrafGraphicLibrary

    init(
        _ label: String, fixtures: URL = Fixtures.root.appendingPathComponent("fixtures"), logger: Logger = Logger(label: "podium.jobs"),
        wallClock: any WallClock = SystemClock()
    ) throws {
        folder = try Fixtures.scratchFolder(label)
        store = try SQLiteStore(path: folder.appendingPathComponent("podium.sqlite").path)
        self.wallClock = wallClock
        graphics = try OGrafGraphicLibrary(directory: Fixtures.root.appendingPathComponent("fixtures/ograf-graphics").path)
        feeds = FeedDesk(intake: try ResultsIntake(store: store), wallClock: wallClock)
        desk = JobDesk(
            runner: runner, store: store, feeds: feeds,
            settings: JobSettings(
                jobsDirectory: folder.appendingPathComponent("jobs").path, fixturesDirectory: fixtures.path,
                templatesDirectory: Fixtures.root.appendingPathComponent("templates").path
            ),
            logger: logger, wallClock: wallClock
        )
    }

    /// Serves on loopback for `body`, then stops whatever jobs are still running.
    func serve(limits: RateLimits = RateLimits(), _ body: @Sendable (any TestClientProtocol) async throws -> Void) async throws {
        let app = buildApplication(
            store: store, feeds: feeds, jobs: desk, limits: limits, wallClock: wallClock, graphics: graphics, configuration: ApplicationConfiguration(address: .hostname("127.0.0.1", port: 0))
        )
        try await app.test(.live, body)
        await runner.stopAll()
    }
}
