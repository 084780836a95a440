import Foundation
import HTTPTypes
import Hummingbird
import Store
import Synchronization

/// Job records recently read: a finished job no longer changes, so it is kept (at most 1,000);
/// a running one is read again after 100 ms, which is how stale its live edge may be.
final class JobRecordCache: Sendable {
    private let entries = Mutex<[Int64: (job: JobRecord, read: ContinuousClock.Instant)]>([:])

    func job(_ id: Int64, reading: () async throws -> JobRecord?) async throws -> JobRecord? {
        let now = ContinuousClock.now
        if let entry = entries.withLock({ $0[id] }), entry.job.state != "running" || now - entry.read < .milliseconds(100) {
            return entry.job
        }
        guard let job = try await reading() else { return nil }
        entries.withLock { entries in
            if entries.count >= 1000 { entries.removeAll() }
            entries[id] = (job, now)
        }
        return job
    }

    /// Drops a removed job (ids are never reused, so nothing else can be stale).
    func forget(_ id: Int64) { _ = entries.withLock { $0.removeValue(forKey: id) } }
}

/// Bodies of frame answers that can no longer change (see `FrameCaching`): many viewers ask for
/// the same aired frames, and the store need not read them again. Kept as `ByteBuffer`s, which
/// every answer shares without copying (a 50-frame page is 200 KB). At most 64 MB; when full it
/// starts over.
final class ImmutableBodyCache: Sendable {
    static let capacity = 64 << 20
    private let entries = Mutex<(bodies: [String: ByteBuffer], bytes: Int)>(([:], 0))

    func body(_ key: String) -> ByteBuffer? { entries.withLock { $0.bodies[key] } }

    func remember(_ body: ByteBuffer, as key: String) {
        entries.withLock { entries in
            if entries.bytes + body.readableBytes > Self.capacity { entries = ([:], 0) }
            entries.bodies[key] = body
            entries.bytes += body.readableBytes
        }
    }
}

/// Validators and caching for frames: what aired never changes, so a range that has fully aired
/// (or any range of a finished job) is immutable and a CDN may keep it; the live edge and the
/// `latest` state of a running job are cached for one second.
struct FrameCaching {
    let etag: String
    let cacheControl: String
    /// Whether the answer can no longer change.
    let immutable: Bool

    init(job: JobRecord, version: FrameVersion, from: Int, to: Int, openEnded: Bool = false) {
        let finished = job.state != "running"
        let stable = finished || (version == .aired && !openEnded && to < job.frames)
        immutable = stable
        cacheControl = stable ? "public, max-age=31536000, immutable" : "public, max-age=1"
        // What the answer depends on: the job, the range, the version and, while it can still change, how far the job got.
        let progress = stable ? "\(job.state == "running" ? "aired" : job.state).\(job.corrections)" : "\(job.state).\(job.frames).\(job.corrections)"
        etag = "\"\(job.id).\(version.rawValue).\(from).\(to).\(progress)\""
    }

    func matches(_ request: Request) -> Bool {
        guard let header = request.headers[.ifNoneMatch] else { return false }
        return header == "*" || header.split(separator: ",").contains { $0.trimmingCharacters(in: .whitespaces).replacingOccurrences(of: "W/", with: "") == etag }
    }

    func notModified() -> Response {
        Response(status: .notModified, headers: [.eTag: etag, .cacheControl: cacheControl])
    }

    func apply(to response: Response) -> Response {
        var response = response
        response.headers[.eTag] = etag
        response.headers[.cacheControl] = cacheControl
        return response
    }
}
