import Store

/// A job as the API shows it.
struct JobResponse: Encodable {
    let id: Int64
    let createdUTC: String
    let input: String
    let output: String
    let unit: String?
    let clockSource: String
    let frameRate: String
    let state: String
    let frames: Int
    let failure: String?

    init(_ record: JobRecord) {
        id = record.id
        createdUTC = record.createdUTC
        input = record.input
        output = record.output
        unit = record.unit
        clockSource = record.clockSource
        frameRate = record.frameRate
        state = record.state
        frames = record.frames
        failure = record.failure
    }
}

/// The list of jobs.
struct JobListResponse: Encodable {
    let jobs: [JobResponse]
}
