import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdWebSocket
import Jobs
import Logging
import Overlay
import Prometheus
import Store
import Synchronization

/// `/v1/jobs`: jobs and their frames.
struct JobsController<Store: JobReading & KeyReading> {
    let store: Store
    /// Present when this server runs jobs: only then does it take `POST` and `DELETE`.
    let desk: JobDesk?
    let jobs = JobRecordCache()
    let jobJSON = JobJSONCache()
    let jobPages = JobPageCache()
    let bodies = ImmutableBodyCache()
    let tokens: PlaybackTokens
    let liveKeys = KeyLiveness()
    /// Designers' own OGraf graphics whose mapped frames `graphicEvents` pushes.
    let graphics: OGrafGraphicLibrary

    init(store: Store, desk: JobDesk?, wallClock: any WallClock, graphics: OGrafGraphicLibrary = .none) {
        self.store = store
        self.desk = desk
        self.graphics = graphics
        tokens = PlaybackTokens(wallClock: wallClock)
    }

    /// Who may read jobs: viewers (every job), broadcasters (their own), admins.
    static var readers: Set<APIScope> { [.viewer, .broadcaster] }
    /// Who may start and stop jobs: broadcasters (their own), admins.
    static var controllers: Set<APIScope> { [.broadcaster] }

    func addRoutes(to group: RouterGroup<PodiumRequestContext>) {
        group.get(use: list)
        group.get(":id", use: show)
        if let desk {
            group.post { request, context in try await create(request, context: context, desk: desk) }
            group.delete(":id") { request, context in try await delete(request, context: context, desk: desk) }
        }
        group.get(":id/frames", use: frames)
        group.get(":id/frames/:n", use: frame)
        group.get(":id/frames/:n/preview.png", use: preview)
        group.get(":id/events", use: events)
        group.get(":id/ograf/:graphic/events", use: graphicEvents)
        group.ws(":id/ws", shouldUpgrade: shouldUpgrade, onUpgrade: pushOverWebSocket)
        group.get(":id/hls/:file", use: hls)
        group.post(":id/playback", use: playback)
        // A server without jobs (a store served read-only) answers POST and DELETE with 405.
    }

    /// `POST /v1/jobs`: starts a job (see `JobRequest` for the body). 201 with the job once it is
    /// recorded; every refusal comes before anything is stored or opened.
    func create(_ request: Request, context: PodiumRequestContext, desk: JobDesk) async throws -> Response {
        let key = try context.requireKey(Self.controllers)
        let body: Data
        do {
            body = Data(try await request.body.collect(upTo: JobRequest.maximumBody).readableBytesView)
        } catch {
            throw APIError(.contentTooLarge, code: "too_large", message: "a job request may be at most \(JobRequest.maximumBody / 1024) KB", details: ["limit": "\(JobRequest.maximumBody)"])
        }
        let job = try await decodeRequest(JobRequest.self, from: body).job(for: key, desk: desk)
        let id: Int64
        do {
            id = try await desk.runner.start(job)
        } catch {
            // A job that never ran must not stay among the feeds' followers.
            if case .feed(_, let inbox) = job.results { inbox.close() }
            if let refusal = error as? OperatorError { throw APIError(.unprocessableContent, code: "cannot_start", message: refusal.description) }
            throw error
        }
        context.logger.info("job started", metadata: ["job": .stringConvertible(id), "input": .string(EnrichmentJob.redacted(job.input)), "owner": .string(job.owner ?? "")])
        guard let record = try await store.job(id: id) else {
            throw APIError(.internalServerError, code: "internal", message: "job \(id) started but cannot be read back")
        }
        jobPages.clear()
        var response = jsonResponse(try jobJSON.json(of: record), status: .created)
        response.headers[.location] = "/v1/jobs/\(id)"
        return response
    }

    /// `DELETE /v1/jobs/{id}`: a running job is stopped (its outputs finished, its frames kept)
    /// and answered with its state once it has stopped (202 if it takes longer than 10 s); a job
    /// that has ended is removed with its frames, corrections and HLS (204).
    func delete(_ request: Request, context: PodiumRequestContext, desk: JobDesk) async throws -> Response {
        let job = try await requireJob(context, scopes: Self.controllers)
        if job.state == "running" {
            guard desk.runner.stop(job.id) else {
                let elsewhere = job.description.node.map { "on node \($0)" } ?? "in another process"
                throw APIError(
                    .conflict, code: "conflict", message: "job \(job.id) is running \(elsewhere) (another podium serve, or podium enrich); stop it there",
                    details: ["id": "\(job.id)", "node": job.description.node ?? ""]
                )
            }
            let deadline = ContinuousClock.now + .seconds(10)
            while desk.runner.isRunning(job.id), ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(50)) }
            let current = try await store.job(id: job.id) ?? job
            jobPages.clear()
            return jsonResponse(try jobJSON.json(of: current), status: current.state == "running" ? .accepted : .ok)
        }
        _ = try desk.store.deleteJob(job.id)
        jobs.forget(job.id)
        jobJSON.forget(job.id)
        jobPages.clear()
        if let playlist = hlsPlaylist(of: job), playlist.hasPrefix(URL(fileURLWithPath: desk.settings.jobsDirectory).standardizedFileURL.path + "/") {
            // The job's own folder (…/jobs/<uuid>/hls/index.m3u8) goes with it.
            try? FileManager.default.removeItem(atPath: URL(fileURLWithPath: playlist).deletingLastPathComponent().deletingLastPathComponent().path)
        }
        return Response(status: .noContent)
    }

    /// `GET /v1/jobs/{id}/frames/{n}/preview.png?asOf=&width=`: frame `n` with the overlay it
    /// carried (or its latest state) drawn on, for a job whose recording is at hand (a file or a
    /// fixture it read); a live job's pictures are not kept (404).
    @Sendable func preview(_ request: Request, context: PodiumRequestContext) async throws -> Response {
        let job = try await requireJob(context)
        let version = try Self.version(request)
        let index = try frameIndex(context)
        let width = try previewWidth(request)
        guard let recording = Previews.recording(ofJobInput: job.description.input, fixtures: desk?.settings.fixturesDirectory ?? "fixtures") else {
            throw APIError(.notFound, code: "not_found", message: "job \(job.id) read \(EnrichmentJob.redacted(job.description.input)), whose pictures Podium does not keep", details: ["id": "\(job.id)"])
        }
        guard let stored = try await store.frames(jobID: job.id, from: index, to: index, limit: 1, asOf: version).first else {
            throw APIError(.notFound, code: "not_found", message: "job \(job.id) has no frame \(index)", details: ["n": "\(index)"])
        }
        let overlay = try JSONDecoder().decode(FrameOverlay.self, from: stored.overlayJSON)
        let png = try await offloaded { try Previews.png(frame: index, overlay: overlay, recording: recording, width: width) }
        return pngResponse(png, cacheControl: FrameCaching(job: job, version: version, from: index, to: index).cacheControl)
    }

    /// `GET /v1/jobs/{id}/hls/index.m3u8` and its segments: the job's HLS as Podium wrote it. The
    /// playlist is always asked for as `index.m3u8`; a segment only by its plain name in the
    /// playlist's folder.
    @Sendable func hls(_ request: Request, context: PodiumRequestContext) async throws -> Response {
        try await hlsFile(of: try await requireJob(context), context.parameters.get("file") ?? "")
    }

    /// `POST /v1/jobs/{id}/playback`: a URL of the job's HLS that a browser's own player can open
    /// (it cannot send the key): `/play/{id}/{token}/index.m3u8`, the token good for this job's HLS
    /// only, for six hours. The segments' relative names resolve under the same token.
    @Sendable func playback(_ request: Request, context: PodiumRequestContext) async throws -> Response {
        let job = try await requireJob(context)
        guard hlsPlaylist(of: job) != nil else {
            throw APIError(.notFound, code: "not_found", message: "job \(job.id) writes no HLS", details: ["id": "\(job.id)"])
        }
        let (token, expires) = tokens.mint(job: job.id)
        let body = #"{"expiresUTC":"\#(expires.iso8601)","url":"/play/\#(job.id)/\#(token)/index.m3u8"}"#
        return jsonResponse(Data(body.utf8), status: .created)
    }

    /// `GET /play/{id}/{token}/{file}`: the job's HLS for a playback token instead of a key.
    func addPlaybackRoutes(to router: Router<PodiumRequestContext>) {
        router.get("play/:id/:token/:file") { _, context -> Response in
            let text = context.parameters.get("id") ?? ""
            guard let id = Int64(text), tokens.check(context.parameters.get("token") ?? "", job: id),
                  let job = try await jobs.job(id, reading: { try await store.job(id: id) })
            else {
                throw APIError(.notFound, code: "not_found", message: "no such playback (the token is wrong, expired, or for another job)")
            }
            return try await hlsFile(of: job, context.parameters.get("file") ?? "")
        }
    }

    /// A file of a job's HLS: `index.m3u8`, or a segment by its plain name in the playlist's folder.
    private func hlsFile(of job: JobRecord, _ file: String) async throws -> Response {
        guard let playlist = hlsPlaylist(of: job) else {
            throw APIError(.notFound, code: "not_found", message: "job \(job.id) writes no HLS", details: ["id": "\(job.id)"])
        }
        let folder = URL(fileURLWithPath: playlist).deletingLastPathComponent()
        let path: String
        let contentType: String
        if file == "index.m3u8" {
            (path, contentType) = (playlist, "application/vnd.apple.mpegurl")
        } else if file.hasSuffix(".ts"), !file.hasPrefix("."), file.utf8.allSatisfy(hlsSegmentNameBytes.contains) {
            (path, contentType) = (folder.appendingPathComponent(file).path, "video/mp2t")
        } else {
            throw APIError(.notFound, code: "not_found", message: "a job's HLS holds index.m3u8 and its .ts segments", details: ["file": file])
        }
        guard let data = try await offloaded({ FileManager.default.contents(atPath: path) }) else {
            throw APIError(.notFound, code: "not_found", message: "job \(job.id) has no \(file) (yet, or any longer)", details: ["file": file])
        }
        // A segment never changes once written; the playlist of a running job changes with every segment.
        let cacheControl = file == "index.m3u8" ? (job.state == "running" ? "public, max-age=1" : "public, max-age=60") : "public, max-age=31536000, immutable"
        return Response(status: .ok, headers: [.contentType: contentType, .cacheControl: cacheControl], body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
    }

    /// The upgrade to a WebSocket push. A WebSocket request that is well formed (its job id and
    /// `after`) is upgraded and then told over the socket whether it may follow (see
    /// `pushOverWebSocket`); a malformed one gets Hummingbird's bare 400, the only answer a
    /// refused handshake can have. Any other request is answered in HTTP: the key and job checks,
    /// then 426.
    @Sendable func shouldUpgrade(_ request: Request, context: PodiumRequestContext) async throws -> RouterShouldUpgrade {
        if isWebSocketUpgrade(request) {
            _ = try Self.jobID(context)
            _ = try Self.resumePoint(request)
            return .upgrade([:])
        }
        _ = try await requireJob(context)
        _ = try Self.resumePoint(request)
        guard isWebSocketUpgrade(request) else {
            throw APIError(.upgradeRequired, code: "upgrade_required", message: "this is a WebSocket endpoint; connect with a WebSocket client (or follow /events for Server-Sent Events)", headers: [.upgrade: "websocket"])
        }
        return .upgrade([:])
    }

    @Sendable func pushOverWebSocket(_ inbound: WebSocketInboundStream, _ outbound: WebSocketOutboundWriter, _ context: WebSocketRouterContext<PodiumRequestContext>) async throws {
        let job: JobRecord
        let after: Int?
        do {
            job = try await requireJob(context.requestContext)
            after = try Self.resumePoint(context.request)
        } catch let refusal as APIError {
            try await refuseWebSocket(refusal, outbound: outbound)
            return
        }
        try await WebSocketPush(store: store, keyIsLive: keyIsLive(context.request)).run(
            job: job, after: after, inbound: inbound, outbound: outbound, connection: PushConnection(channel: context.requestContext.channel)
        )
    }

    /// `GET /v1/jobs?limit=&cursor=&state=&owner=`: a page of jobs, newest first (see
    /// `PageRequest`), of one state and one owner when asked. A broadcaster's pages hold its own
    /// jobs only. A page is at most 100 ms old (`JobPageCache`); one that this server changed is new.
    @Sendable func list(_ request: Request, context: PodiumRequestContext) async throws -> Response {
        let key = try context.requireKey(Self.readers)
        guard let query = try Self.jobQuery(request, key: key) else { return jsonResponse(try jobJSON.page(of: [], next: nil)) }
        return jsonResponse(try await jobPages.page(query) {
            let found = try await store.jobs(query)
            let page = found.prefix(query.limit - 1)
            let next = found.count >= query.limit ? page.last.map { "\($0.id)" } : nil
            return try jobJSON.page(of: page, next: next)
        })
    }

    /// The store query of a jobs page, one more than the page's limit (to tell whether another
    /// page follows); nil when nothing can match (a broadcaster asking for another owner's jobs).
    static func jobQuery(_ request: Request, key: APIKeyRecord) throws -> JobQuery? {
        let page = try PageRequest(request)
        let parameters = request.uri.queryParameters
        var query = JobQuery(limit: page.limit + 1)
        if let cursor = page.cursor {
            // A job id: the page before's last (0 and below name no job, so nothing comes after them).
            guard cursor.allSatisfy(\.isASCII), let id = Int64(cursor), id >= 0 else {
                throw APIError(.badRequest, code: "bad_request", message: "cursor is the next of the page of jobs before", details: ["cursor": cursor])
            }
            query.before = id
        }
        if let state = parameters.get("state").map({ String($0) }) {
            guard JobRecord.states.contains(state) else {
                throw APIError(.badRequest, code: "bad_request", message: "state is one of \(JobRecord.states.joined(separator: ", "))", details: ["state": state])
            }
            query.state = state
        }
        if let owner = parameters.get("owner").map({ String($0) }) {
            guard !owner.isEmpty else { throw APIError(.badRequest, code: "bad_request", message: "owner names a key's owner", details: ["owner": ""]) }
            query.owner = owner
        }
        if key.scope == .broadcaster {
            if let owner = query.owner, owner != key.owner { return nil }
            query.owner = key.owner
        }
        return query
    }

    @Sendable func show(_ request: Request, context: PodiumRequestContext) async throws -> Response {
        let job = try await requireJob(context)
        return jsonResponse(try jobJSON.json(of: job))
    }

    /// `GET /v1/jobs/{id}/frames`: a page of frames, inclusive, chosen by frame index
    /// (`from`, `to`), by PTS (`fromPts`, `toPts`) or by capture UTC (`fromUtc`, `toUtc`); at
    /// most 500 with a `next` cursor (a frame index); `asOf=aired` (default) is what went out in
    /// band, `latest` applies corrections.
    @Sendable func frames(_ request: Request, context: PodiumRequestContext) async throws -> Response {
        let job = try await requireJob(context)
        let version = try Self.version(request)
        let (from, to, openEnded) = try await range(request, job: job)
        let validator = FrameCaching(job: job, version: version, from: from, to: to, openEnded: openEnded)
        if validator.matches(request) { return validator.notModified() }
        if validator.immutable, let body = bodies.body("page " + validator.etag) { return validator.apply(to: jsonResponse(body)) }
        let frames = from <= to ? try await store.frames(jobID: job.id, from: from, to: to, limit: maximumFramesPerPage + 1, asOf: version) : []
        let page = frames.prefix(maximumFramesPerPage)
        // The stored overlay JSON is spliced in verbatim: the API serves the very bytes carried in band.
        var body = ByteBuffer()
        body.reserveCapacity(page.reduce(64) { $0 + $1.overlayJSON.count + 1 })
        body.writeString(#"{"frames":["#)
        for (position, frame) in page.enumerated() {
            if position > 0 { body.writeInteger(UInt8(ascii: ",")) }
            body.writeBytes(frame.overlayJSON)
        }
        body.writeString("],\"from\":\(from),\"jobId\":\(job.id),\"next\":")
        if frames.count > maximumFramesPerPage, let last = page.last {
            body.writeString("\(last.seq + 1)")
        } else {
            body.writeString("null")
        }
        body.writeString(",\"to\":\(to)}")
        if validator.immutable { bodies.remember(body, as: "page " + validator.etag) }
        return validator.apply(to: jsonResponse(body))
    }

    /// `GET /v1/jobs/{id}/events?after=`: the frames as Server-Sent Events (see `LivePush`).
    @Sendable func events(_ request: Request, context: PodiumRequestContext) async throws -> Response {
        let job = try await requireJob(context)
        return ServerSentEvents(store: store, keyIsLive: keyIsLive(request)).stream(
            job: job, after: try Self.resumePoint(request), connection: PushConnection(channel: context.channel)
        )
    }

    /// `GET /v1/jobs/{id}/ograf/{graphic}/events?after=`: the frames as `/events` sends them, each
    /// mapped to the designer's graphic's data (`{"data", "frame", "seq", "shown"}`), for the OGraf
    /// host page driving that graphic (docs/ograf.md).
    @Sendable func graphicEvents(_ request: Request, context: PodiumRequestContext) async throws -> Response {
        let job = try await requireJob(context)
        let mapping = try graphics.graphic(named: context.parameters.get("graphic") ?? "").mapping
        return ServerSentEvents(store: store, keyIsLive: keyIsLive(request), eventData: { frame in
            OGrafGraphicLibrary.event(for: frame.overlayJSON, seq: frame.seq, mapping: mapping)
        }).stream(job: job, after: try Self.resumePoint(request), connection: PushConnection(channel: context.channel))
    }

    /// Whether the key a push was opened with is still live: a revoked key ends its open streams.
    private func keyIsLive(_ request: Request) -> @Sendable () async throws -> Bool {
        let secret = KeyAuthenticator<Store>.secret(in: request) ?? ""
        let (keys, liveKeys) = (store, liveKeys)
        return { try await liveKeys.isLive(secret, in: keys) }
    }

    /// Where a live push resumes: `Last-Event-ID` (Server-Sent Events), else `?after=`; the last frame the client has.
    static func resumePoint(_ request: Request) throws -> Int? {
        var after: Int?
        // Both are checked when both are given, though the header wins.
        if let text = request.uri.queryParameters.get("after") {
            guard let value = Int(text), value >= -1 else {
                throw APIError(.badRequest, code: "bad_request", message: "after must be an integer frame index, -1 or more", details: ["after": String(text)])
            }
            after = value
        }
        if let header = request.headers[HTTPField.Name("Last-Event-ID")!] {
            guard let seq = Int(header.trimmingCharacters(in: .whitespaces)), seq >= -1 else {
                throw APIError(.badRequest, code: "bad_request", message: "Last-Event-ID must be a frame's seq, -1 or more", details: ["Last-Event-ID": header])
            }
            after = seq
        }
        return after
    }

    /// `GET /v1/jobs/{id}/frames/{n}`: one frame's `FrameOverlay`, the very bytes carried in band.
    @Sendable func frame(_ request: Request, context: PodiumRequestContext) async throws -> Response {
        let job = try await requireJob(context)
        let version = try Self.version(request)
        let index = try frameIndex(context)
        let validator = FrameCaching(job: job, version: version, from: index, to: index)
        if validator.matches(request) { return validator.notModified() }
        if validator.immutable, let body = bodies.body("frame " + validator.etag) { return validator.apply(to: jsonResponse(body)) }
        guard let frame = try await store.frames(jobID: job.id, from: index, to: index, limit: 1, asOf: version).first else {
            throw APIError(.notFound, code: "not_found", message: "job \(job.id) has no frame \(index)", details: ["n": "\(index)"])
        }
        let body = ByteBuffer(bytes: frame.overlayJSON)
        if validator.immutable { bodies.remember(body, as: "frame " + validator.etag) }
        return validator.apply(to: jsonResponse(body))
    }

    private static func version(_ request: Request) throws -> FrameVersion {
        let text = request.uri.queryParameters.get("asOf").map { String($0) } ?? FrameVersion.aired.rawValue
        guard let version = FrameVersion(rawValue: text) else {
            throw APIError(.badRequest, code: "bad_request", message: "asOf must be aired or latest", details: ["asOf": text])
        }
        return version
    }

    /// The frame indexes a request asks for, from whichever pair of bounds it uses.
    /// `openEnded` when the request gave no upper bound: on a running job that is the live edge.
    private func range(_ request: Request, job: JobRecord) async throws -> (from: Int, to: Int, openEnded: Bool) {
        let parameters = request.uri.queryParameters
        // A mistyped bound (`fromUTC`) would otherwise answer the whole job without a word.
        let known: Set<String> = ["from", "to", "fromPts", "toPts", "fromUtc", "toUtc", "asOf"]
        if let unknown = parameters.map({ String($0.key) }).filter({ !known.contains($0) }).sorted().first {
            throw APIError(
                .badRequest, code: "bad_request", message: "\(unknown) is not a parameter of this endpoint; it takes \(known.sorted().joined(separator: ", "))",
                details: ["parameter": unknown]
            )
        }
        let pairs = [("from", "to"), ("fromPts", "toPts"), ("fromUtc", "toUtc")].filter { parameters.get($0.0) != nil || parameters.get($0.1) != nil }
        guard pairs.count <= 1 else {
            throw APIError(
                .badRequest, code: "bad_request", message: "choose frames by one of: from/to (index), fromPts/toPts, fromUtc/toUtc",
                details: ["given": pairs.map { "\($0.0)/\($0.1)" }.joined(separator: ", ")]
            )
        }
        let last = max(0, job.frames - 1)
        var from = 0
        var to = last
        switch pairs.first?.0 {
        case "fromPts":
            if let value = try integerParameter(request, "fromPts") { from = try await store.seq(jobID: job.id, key: .pts(Int64(value)), atOrAfter: true) ?? job.frames }
            if let value = try integerParameter(request, "toPts") { to = try await store.seq(jobID: job.id, key: .pts(Int64(value)), atOrAfter: false) ?? -1 }
        case "fromUtc":
            if let value = try instantParameter(request, "fromUtc") { from = try await store.seq(jobID: job.id, key: .captureUTC(value), atOrAfter: true) ?? job.frames }
            if let value = try instantParameter(request, "toUtc") { to = try await store.seq(jobID: job.id, key: .captureUTC(value), atOrAfter: false) ?? -1 }
        default:
            from = try integerParameter(request, "from") ?? 0
            to = try integerParameter(request, "to") ?? last
            guard from >= 0 else {
                throw APIError(.badRequest, code: "bad_request", message: "from must be 0 or more", details: ["from": "\(from)"])
            }
        }
        let openEnded = !["to", "toPts", "toUtc"].contains { parameters.get($0) != nil }
        return (from, to, openEnded)
    }

    /// An ISO 8601 UTC parameter, in the stored form (microseconds) so it compares as text.
    private func instantParameter(_ request: Request, _ name: String) throws -> String? {
        guard let text = request.uri.queryParameters.get(name).map({ String($0) }) else { return nil }
        guard let instant = UTCInstant(iso8601: text) else {
            throw APIError(.badRequest, code: "bad_request", message: "\(name) must be an ISO 8601 UTC time such as 2026-07-31T19:42:19.8Z", details: [name: text])
        }
        return instant.iso8601
    }

    /// A broadcaster sees only the jobs it owns; everyone else who may read sees every job.
    static func visible(_ job: JobRecord, to key: APIKeyRecord) -> Bool {
        key.scope != .broadcaster || job.description.owner == key.owner
    }

    /// The job of the path, when the caller may read it (another broadcaster's job is not found, not forbidden).
    private func requireJob(_ context: PodiumRequestContext, scopes: Set<APIScope> = Self.readers) async throws -> JobRecord {
        let key = try context.requireKey(scopes)
        let id = try Self.jobID(context)
        guard let job = try await jobs.job(id, reading: { try await store.job(id: id) }), Self.visible(job, to: key) else {
            throw APIError(.notFound, code: "not_found", message: "no job \(id)", details: ["id": "\(id)"])
        }
        return job
    }

    /// The job id of the path: a positive 64-bit integer.
    private static func jobID(_ context: PodiumRequestContext) throws -> Int64 {
        let text = context.parameters.get("id") ?? ""
        guard let id = Int64(text), id > 0 else {
            throw APIError(.badRequest, code: "bad_request", message: "job id must be a positive integer", details: ["id": text])
        }
        return id
    }

    private func integerParameter(_ request: Request, _ name: String) throws -> Int? {
        guard let text = request.uri.queryParameters.get(name) else { return nil }
        guard let value = Int(text) else {
            throw APIError(.badRequest, code: "bad_request", message: "\(name) must be an integer frame index", details: [name: text])
        }
        return value
    }
}

/// What an HLS segment's name may hold (ASCII letters, digits, `-`, `_`, `.`): no path can be spelt with them.
let hlsSegmentNameBytes = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.".utf8)

/// The HLS playlist a job writes, from its recorded outputs.
func hlsPlaylist(of job: JobRecord) -> String? {
    job.description.output.split(separator: " ").map(String.init).first { $0.lowercased().hasSuffix(".m3u8") }
        .map { URL(fileURLWithPath: $0).standardizedFileURL.path }
}
