public import Overlay

/// The JSON an operator (and the API) shows for a unit.
public struct UnitResultsView: Encodable, Sendable {
    /// One lane.
    public struct Lane: Encodable, Sendable {
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

    /// The view of `results`, with the athletes' names, as known at `asKnownAt` (nil: latest).
    public init(_ results: UnitResults, athletes: [String: Athlete], asKnownAt: UTCInstant?) {
        unit = results.unit.rawValue
        status = results.status
        start = results.startTime?.iso8601
        self.asKnownAt = asKnownAt?.iso8601
        lanes = results.lanes.map { lane in
            let athlete = athletes[lane.competitorCode] ?? lane.describedAthlete
            return Lane(
                lane: lane.lane, competitor: lane.competitorCode,
                name: athlete.map { "\($0.givenName) \($0.familyName)" }, organisation: athlete?.organisation,
                reaction: lane.reaction?.reactionDisplay(inDiscipline: results.unit.discipline), splits: lane.intermediates.map { "\($0.distance)m \($0.time)" },
                finish: lane.finish?.description, rank: lane.rank, records: lane.records, status: lane.status?.rawValue,
                photoFinishPending: lane.photoFinishPending, legs: lane.legs
            )
        }
    }
}
