import ArgumentParser
import Feeds
import Foundation
import Overlay
import Store

/// `podium results`: a unit's state, latest or as known at a wall time.
struct Results: ParsableCommand {
    static let configuration = CommandConfiguration(
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

/// The JSON an operator sees for a unit.
struct UnitResultsView: Encodable {
    struct Lane: Encodable {
        let lane: Int
        let competitor: String
        let name: String?
        let organisation: String?
        let reaction: String?
        let splits: [String]
        let finish: String?
        let rank: Int?
        let records: [String]
        let status: String?
        let photoFinishPending: Bool
        let legs: [String]
    }

    let unit: String
    let status: String?
    let start: String?
    let asKnownAt: String?
    let lanes: [Lane]

    init(_ results: UnitResults, athletes: [String: Athlete], asKnownAt: UTCInstant?) {
        unit = results.unit.rawValue
        status = results.status
        start = results.startTime?.iso8601
        self.asKnownAt = asKnownAt?.iso8601
        lanes = results.lanes.map { lane in
            let athlete = athletes[lane.competitorCode] ?? lane.describedAthlete
            return Lane(
                lane: lane.lane, competitor: lane.competitorCode,
                name: athlete.map { "\($0.givenName) \($0.familyName)" }, organisation: athlete?.organisation,
                reaction: lane.reaction?.description, splits: lane.intermediates.map { "\($0.distance)m \($0.time)" },
                finish: lane.finish?.description, rank: lane.rank, records: lane.records, status: lane.status?.rawValue,
                photoFinishPending: lane.photoFinishPending, legs: lane.legs
            )
        }
    }
}
