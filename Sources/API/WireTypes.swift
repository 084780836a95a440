import Foundation
import NIOCore
import Synchronization
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
    /// The node that runs (or ran) the job.
    let node: String?

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
        node = record.description.node
        hls = hlsPlaylist(of: record) == nil ? nil : "/v1/jobs/\(record.id)/hls/index.m3u8"
        // The stats are written by the job itself; a record it cannot read is left out, never an error.
        stats = record.stats.flatMap { try? JSONDecoder().decode(JobStats.self, from: $0) }
    }
}

/// Jobs as the API's JSON, kept while the record they were made from is unchanged: an ended
/// job's JSON never changes, and a list page is its jobs' bytes joined, so neither a page nor
/// `GET /v1/jobs/{id}` decodes and encodes its stats again. At most 10,000 jobs; when full it
/// starts over.
final class JobJSONCache: Sendable {
    static let capacity = 10_000
    private let entries = Mutex<[Int64: (record: JobRecord, json: ByteBuffer)]>([:])

    /// `record` as JSON (a `JobResponse`).
    func json(of record: JobRecord) throws -> ByteBuffer {
        if let entry = entries.withLock({ $0[record.id] }), entry.record == record { return entry.json }
        let json = ByteBuffer(bytes: try canonicalEncoder().encode(JobResponse(record)))
        entries.withLock { entries in
            if entries.count >= Self.capacity { entries.removeAll() }
            entries[record.id] = (record, json)
        }
        return json
    }

    /// A page of jobs: `{"jobs":[…],"next":…}` (keys in the canonical order).
    func page(of records: some Sequence<JobRecord>, next: String?) throws -> ByteBuffer {
        var body = ByteBuffer(string: #"{"jobs":["#)
        for (position, record) in records.enumerated() {
            if position > 0 { body.writeInteger(UInt8(ascii: ",")) }
            var json = try json(of: record)
            body.writeBuffer(&json)
        }
        body.writeString(#"],"next":"#)
        body.writeString(next.map { #""\#($0)""# } ?? "null")
        body.writeString("}")
        return body
    }

    /// Drops a removed job.
    func forget(_ id: Int64) { _ = entries.withLock { $0.removeValue(forKey: id) } }
}

/// Pages of jobs recently answered, each for at most `lifetime`: how stale a running job's
/// entry in a list may be (as `JobRecordCache` lets a running job's record be). Many clients
/// polling the same page cost one store read per `lifetime`. Jobs started or removed through
/// this server clear it at once, so their client's next list shows the change. At most 1,000
/// pages; when full it starts over.
final class JobPageCache: Sendable {
    static let lifetime: Duration = .milliseconds(100)
    static let capacity = 1000
    /// A page being made is shared as its task: the clients asking for it meanwhile wait for the
    /// one read instead of each reading the store.
    private let entries = Mutex<[JobQuery: (page: Task<ByteBuffer, any Error>, made: ContinuousClock.Instant)]>([:])

    /// The page `query` answers: remembered, or made by `making` and remembered.
    func page(_ query: JobQuery, making: @escaping @Sendable () async throws -> ByteBuffer) async throws -> ByteBuffer {
        let now = ContinuousClock.now
        let page = entries.withLock { entries in
            if let entry = entries[query], now - entry.made < Self.lifetime { return entry.page }
            if entries.count >= Self.capacity { entries.removeAll() }
            let page = Task { try await making() }
            entries[query] = (page, now)
            return page
        }
        do {
            return try await page.value
        } catch {
            // A failed read is not remembered: the next client reads again.
            entries.withLock { entries in
                if entries[query]?.page == page { entries[query] = nil }
            }
            throw error
        }
    }

    /// Forgets every page: a job was started or removed.
    func clear() { entries.withLock { $0.removeAll() } }
}
