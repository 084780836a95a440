import Foundation
import Store

/// A job as the API shows it (flat, so the wire format does not follow the store's nesting).
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
    /// Frames whose visible state changed after they aired.
    let corrections: Int
    let failure: String?
    /// What the run did, once it ended.
    let stats: JobStats?
    /// Where the job's HLS is served, when it writes one.
    let hls: String?

    init(_ record: JobRecord) {
        id = record.id
        createdUTC = record.description.createdUTC
        input = record.description.input
        output = record.description.output
        unit = record.description.unit
        clockSource = record.description.clockSource
        frameRate = record.description.frameRate
        state = record.state
        frames = record.frames
        corrections = record.corrections
        failure = record.failure
        hls = hlsPlaylist(of: record) == nil ? nil : "/v1/jobs/\(record.id)/hls/index.m3u8"
        // The stats are written by the job itself; a record it cannot read is left out, never an error.
        stats = record.stats.flatMap { try? JSONDecoder().decode(JobStats.self, from: $0) }
    }
}

/// The list of jobs.
struct JobListResponse: Encodable {
    let jobs: [JobResponse]
}

