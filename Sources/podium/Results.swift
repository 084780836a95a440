import ArgumentParser
import Feeds
import Foundation
import Jobs
import Overlay
import Store

/// `podium results`: a unit's state, latest or as known at a wall time.
struct Results: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "results",
        abstract: "Print a unit's results as JSON: latest, or as known (on air) at a given UTC."
    )

    @Argument(help: "The unit's RSC (34 characters).")
    var unit: String

    @Option(help: "An ISO 8601 UTC time: answer with what had been received by then.")
    var asKnownAt: String?

    @Option(help: "SQLite database of the results feeds.")
    var database = "var/podium.sqlite"

    func run() throws {
        try reportingErrors("results") {
            guard let code = UnitCode(unit) else { throw OperatorError("\(unit) is not a 34-character RSC") }
            var wall: UTCInstant?
            if let asKnownAt {
                guard let instant = UTCInstant(iso8601: asKnownAt) else {
                    throw OperatorError("--as-known-at \(asKnownAt) is not an ISO 8601 time with a zone")
                }
                wall = instant
            }
            let intake = try ResultsIntake(store: try SQLiteStore(path: database))
            let book = wall.map { intake.book(asKnownAt: $0) } ?? intake.latest
            guard let results = book.results(of: code) else {
                throw OperatorError("no results for \(unit)\(wall.map { " as known at \($0.iso8601)" } ?? "")")
            }
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
            let view = UnitResultsView(results, athletes: book.athletes, asKnownAt: wall)
            FileHandle.standardOutput.write(try encoder.encode(view) + Data("\n".utf8))
        }
    }
}

