import Foundation
public import Hummingbird
public import Store

/// The largest page of frames one request returns (about 10 s of 50 fps video).
let maximumFramesPerPage = 500

/// Builds the router: health (open), and under `/v1`, with an API key, jobs and frames.
public func buildRouter(store: some JobReading & KeyReading, limits: RateLimits = RateLimits()) -> Router<PodiumRequestContext> {
    let router = Router(context: PodiumRequestContext.self)
    router.add(middleware: ErrorShapeMiddleware())
    router.get("healthz") { _, _ in
        jsonResponse(Data(#"{"status":"ok"}"#.utf8))
    }
    let v1 = router.group("v1").add(middleware: KeyAuthenticator(keys: store, limiter: RateLimiter(limits: limits)))
    JobsController(store: store).addRoutes(to: v1.group("jobs"))
    return router
}

/// Builds the HTTP application around a store.
public func buildApplication(
    store: some JobReading & KeyReading, limits: RateLimits = RateLimits(), configuration: ApplicationConfiguration
) -> some ApplicationProtocol {
    Application(router: buildRouter(store: store, limits: limits), configuration: configuration)
}

/// `/v1/jobs`: jobs and their frames.
struct JobsController<Store: JobReading> {
    let store: Store

    /// Who may read jobs: viewers (every job), broadcasters (their own), admins.
    static var readers: Set<APIScope> { [.viewer, .broadcaster] }

    func addRoutes(to group: RouterGroup<PodiumRequestContext>) {
        group.get(use: list)
        group.get(":id", use: show)
        group.get(":id/frames", use: frames)
    }

    @Sendable func list(_ request: Request, context: PodiumRequestContext) async throws -> Response {
        let key = try context.requireKey(Self.readers)
        let jobs = try await store.jobs().filter { Self.visible($0, to: key) }.map(JobResponse.init)
        return jsonResponse(try canonicalEncoder().encode(JobListResponse(jobs: jobs)))
    }

    @Sendable func show(_ request: Request, context: PodiumRequestContext) async throws -> Response {
        let job = try await requireJob(context)
        return jsonResponse(try canonicalEncoder().encode(JobResponse(job)))
    }

    /// `GET /v1/jobs/{id}/frames?from=&to=&asOf=`: frame indexes, inclusive; pages of at most 500
    /// with a `next` cursor; `asOf=aired` (default) is what went out in band, `latest` applies corrections.
    @Sendable func frames(_ request: Request, context: PodiumRequestContext) async throws -> Response {
        let job = try await requireJob(context)
        let from = try integerParameter(request, "from") ?? 0
        let to = try integerParameter(request, "to") ?? max(0, job.frames - 1)
        guard from >= 0 else {
            throw APIError(.badRequest, code: "bad_request", message: "from must be 0 or more", details: ["from": "\(from)"])
        }
        guard to >= from else {
            throw APIError(
                .badRequest, code: "bad_request", message: "to must not be before from",
                details: ["from": "\(from)", "to": "\(to)"]
            )
        }
        let versionText = request.uri.queryParameters.get("asOf") ?? FrameVersion.aired.rawValue
        guard let version = FrameVersion(rawValue: String(versionText)) else {
            throw APIError(.badRequest, code: "bad_request", message: "asOf must be aired or latest", details: ["asOf": String(versionText)])
        }
        let frames = try await store.frames(jobID: job.id, from: from, to: to, limit: maximumFramesPerPage + 1, asOf: version)
        let page = frames.prefix(maximumFramesPerPage)
        // The stored overlay JSON is spliced in verbatim: the API serves the very bytes carried in band.
        var body = Data(#"{"frames":["#.utf8)
        for (position, frame) in page.enumerated() {
            if position > 0 { body.append(UInt8(ascii: ",")) }
            body.append(frame.overlayJSON)
        }
        body.append(Data("],\"from\":\(from),\"jobId\":\(job.id),\"next\":".utf8))
        if frames.count > maximumFramesPerPage, let last = page.last {
            body.append(Data("\(last.seq + 1)".utf8))
        } else {
            body.append(Data("null".utf8))
        }
        body.append(Data(",\"to\":\(to)}".utf8))
        return jsonResponse(body)
    }

    /// A broadcaster sees only the jobs it owns; everyone else who may read sees every job.
    static func visible(_ job: JobRecord, to key: APIKeyRecord) -> Bool {
        key.scope != .broadcaster || job.description.owner == key.owner
    }

    /// The job of the path, when the caller may read it (another broadcaster's job is not found, not forbidden).
    private func requireJob(_ context: PodiumRequestContext) async throws -> JobRecord {
        let key = try context.requireKey(Self.readers)
        let text = context.parameters.get("id") ?? ""
        guard let id = Int64(text), id > 0 else {
            throw APIError(.badRequest, code: "bad_request", message: "job id must be a positive integer", details: ["id": text])
        }
        guard let job = try await store.job(id: id), Self.visible(job, to: key) else {
            throw APIError(.notFound, code: "not_found", message: "no job \(id)", details: ["id": text])
        }
        return job
    }

    private func integerParameter(_ request: Request, _ name: String) throws -> Int? {
        guard let text = request.uri.queryParameters.get(name) else { return nil }
        guard let value = Int(text) else {
            throw APIError(.badRequest, code: "bad_request", message: "\(name) must be an integer frame index", details: [name: text])
        }
        return value
    }
}

func canonicalEncoder() -> JSONEncoder {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    return encoder
}

func jsonResponse(_ body: Data, status: HTTPResponse.Status = .ok) -> Response {
    Response(
        status: status,
        headers: [.contentType: "application/json; charset=utf-8"],
        body: ResponseBody(byteBuffer: ByteBuffer(bytes: body))
    )
}
