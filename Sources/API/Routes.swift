import Foundation
import HTTPTypes
public import Hummingbird
import HummingbirdWebSocket
public import Jobs
import Logging
public import MediaIO
public import Overlay
public import Prometheus
public import Store
import Synchronization

/// The largest page of frames one request returns (about 10 s of 50 fps video).
let maximumFramesPerPage = 500

/// Builds the router: health (open), and under `/v1`, with an API key, jobs and frames.
///
/// - Parameter metrics: the registry `MetricsSystem` was bootstrapped with; given, requests are
///   measured and `/metrics` serves it.
/// - Parameter wallClock: what stored templates are dated by and playback tokens expire by.
/// - Parameter graphics: designers' own OGraf graphics the server serves and drives.
public func buildRouter(
    store: some JobReading & KeyReading & TemplateStoring, feeds: FeedDesk? = nil, jobs: JobDesk? = nil, limits: RateLimits = RateLimits(),
    metrics: PrometheusCollectorRegistry? = nil, wallClock: any WallClock = SystemClock(), graphics: OGrafGraphicLibrary = .none
) -> Router<PodiumRequestContext> {
    let router = Router(context: PodiumRequestContext.self)
    if metrics != nil { router.add(middleware: MetricsMiddleware()) }
    let availability = StoreAvailability()
    router.add(middleware: ErrorShapeMiddleware(availability: availability))
    OperationsController(store: store, availability: availability, registry: metrics).addRoutes(to: router)
    router.get("healthz") { _, _ in
        jsonResponse(Data(#"{"status":"ok"}"#.utf8))
    }
    serveResource(OpenAPIDocument.bytes, at: "openapi.yaml", type: "application/yaml; charset=utf-8", on: router)
    // The page asks for nothing from elsewhere: its script and style are inline or Podium's SDK, its video a blob of the API's own bytes.
    serveResource(ViewerPage.bytes, at: "viewer", type: "text/html; charset=utf-8", on: router, headers: [
        .cacheControl: "public, max-age=60",
        .contentSecurityPolicy: "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'unsafe-inline'; media-src 'self' blob:; img-src 'self' data:",
    ])
    serveResource(SDKModule.bytes, at: "sdk/podium.js", type: "text/javascript; charset=utf-8", on: router, headers: [.cacheControl: "public, max-age=60"])
    serveResource(SDKModule.types, at: "sdk/podium.d.ts", type: "application/typescript; charset=utf-8", on: router, headers: [.cacheControl: "public, max-age=60"])
    // Podium's OGraf graphic and the page that drives it with a job's frames (docs/ograf.md).
    serveResource(OGrafExport.module, at: "ograf/graphic.mjs", type: "text/javascript; charset=utf-8", on: router, headers: [.cacheControl: "public, max-age=60"])
    // A designer's own graphic (`graphic=NAME`) loads its stylesheets, fonts and pictures from its folder here.
    serveResource(OGrafHostPage.bytes, at: "ograf/host", type: "text/html; charset=utf-8", on: router, headers: [
        .cacheControl: "public, max-age=60",
        .contentSecurityPolicy: "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; font-src 'self' data:; img-src 'self' data:",
    ])
    graphics.addRoutes(to: router)
    let v1 = router.group("v1").add(middleware: KeyAuthenticator(keys: store, limiter: RateLimiter(limits: limits)))
    let jobsController = JobsController(store: store, desk: jobs, wallClock: wallClock, graphics: graphics)
    jobsController.addRoutes(to: v1.group("jobs"))
    jobsController.addPlaybackRoutes(to: router)
    TemplatesController(store: store, desk: jobs, wallClock: wallClock).addRoutes(to: v1.group("templates"))
    if let feeds {
        FeedsController(desk: feeds).addRoutes(
            feeds: v1.group("feeds"), units: v1.group("units"), athletes: v1.group("athletes"), records: v1.group("records"),
            schedule: v1.group("schedule")
        )
    }
    if let jobs {
        FixturesController(desk: jobs).addRoutes(to: v1.group("fixtures"))
    }
    answerUnservedMethods(on: router)
    return router
}

/// Builds the HTTP application around a store.
public func buildApplication(
    store: some JobReading & KeyReading & TemplateStoring, feeds: FeedDesk? = nil, jobs: JobDesk? = nil, limits: RateLimits = RateLimits(),
    metrics: PrometheusCollectorRegistry? = nil, wallClock: any WallClock = SystemClock(), graphics: OGrafGraphicLibrary = .none,
    configuration: ApplicationConfiguration
) -> some ApplicationProtocol {
    let router = buildRouter(store: store, feeds: feeds, jobs: jobs, limits: limits, metrics: metrics, wallClock: wallClock, graphics: graphics)
    // The same router answers WebSocket upgrades, so they pass the same key check.
    return Application(
        responder: HeadAsGet(inner: router.buildResponder()), server: .podiumHTTP1(webSocketRouter: router), configuration: configuration
    )
}

/// The API's OpenAPI 3.1 document, shipped with the server (docs/openapi.yaml is the same file).
enum OpenAPIDocument {
    static let bytes = bundledResource("openapi", "yaml")
}

/// Answers GET `path` with a resource shipped in the API module, the same bytes every time.
private func serveResource(_ bytes: Data, at path: RouterPath, type: String, on router: Router<PodiumRequestContext>, headers: HTTPFields = [:]) {
    var fields = headers
    fields[.contentType] = type
    router.get(path) { [fields] _, _ in
        Response(status: .ok, headers: fields, body: ResponseBody(byteBuffer: ByteBuffer(bytes: bytes)))
    }
}

/// Podium's viewer-app SDK (`GET /sdk/podium.js`; docs/viewer.md).
enum SDKModule {
    static let bytes = bundledResource("podium-sdk", "mjs")
    /// Its TypeScript declarations (`GET /sdk/podium.d.ts`).
    static let types = bundledResource("podium-sdk", "d.ts")
}

/// The page that drives Podium's OGraf graphic with a job's frames (`GET /ograf/host`; docs/ograf.md).
enum OGrafHostPage {
    static let bytes = bundledResource("ograf-host", "html")
}

/// The reference web viewer (`GET /viewer`; docs/viewer.md).
enum ViewerPage {
    static let bytes = bundledResource("viewer", "html")
}

func bundledResource(_ name: String, _ kind: String) -> Data {
    guard let url = Bundle.module.url(forResource: name, withExtension: kind), let data = try? Data(contentsOf: url) else {
        // The resource is part of the build; without it the package is broken, not the request.
        fatalError("\(name).\(kind) is missing from the API module's resources")
    }
    return data
}

func canonicalEncoder() -> JSONEncoder {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    return encoder
}

func jsonResponse(_ body: Data, status: HTTPResponse.Status = .ok) -> Response {
    jsonResponse(ByteBuffer(bytes: body), status: status)
}

func jsonResponse(_ body: ByteBuffer, status: HTTPResponse.Status = .ok) -> Response {
    Response(status: status, headers: [.contentType: "application/json; charset=utf-8"], body: ResponseBody(byteBuffer: body))
}

/// HEAD is GET without the body (RFC 9110 9.3.2): the GET route answers, its status and headers
/// go out, its body does not (a stream, such as `/events`, is never started). `Content-Length` is
/// the GET body's when it is known, 0 for a stream. It wraps the router, since a router's
/// middleware runs only once a route for the request's own method was found.
struct HeadAsGet<Inner: HTTPResponder>: HTTPResponder where Inner.Context == PodiumRequestContext {
    let inner: Inner

    func respond(to request: Request, context: PodiumRequestContext) async throws -> Response {
        guard request.method == .head else { return try await inner.respond(to: request, context: context) }
        var head = request.head
        head.method = .get
        var response: Response
        do {
            response = try await inner.respond(to: Request(head: head, body: request.body), context: context)
        } catch let error as any HTTPResponseError {
            response = try error.response(from: request, context: context)
        }
        // The GET body's length, with no byte of it written; a stream's length is not known: 0.
        response.body = ResponseBody(contentLength: response.body.contentLength ?? 0) { writer in try await writer.finish(nil) }
        return response
    }
}

/// The methods HTTP defines for a resource (RFC 9110 and the QUERY draft), less CONNECT, whose
/// target is a host and never one of these paths.
let standardMethods: [HTTPRequest.Method] = [.get, .head, .post, .put, .delete, .patch, .options, .trace, HTTPRequest.Method("QUERY")!]

/// Answers, on every path the router serves, each standard method it does not serve with 405 and
/// an `Allow` header naming the ones it does, so a client learns what the resource takes instead
/// of being told it does not exist. Run once every route is added: the table is the router's own.
func answerUnservedMethods(on router: Router<PodiumRequestContext>) {
    var served: [String: (path: RouterPath, methods: Set<HTTPRequest.Method>)] = [:]
    for route in router.routes {
        served[route.path.description, default: (route.path, [])].methods.insert(route.method)
    }
    for (path, var methods) in served.values {
        // `HeadAsGet` answers HEAD wherever GET is served.
        if methods.contains(.get) { methods.insert(.head) }
        let allow = standardMethods.filter(methods.contains).map(\.rawValue).joined(separator: ", ")
        for method in standardMethods where !methods.contains(method) {
            router.on(path, method: method) { request, _ -> Response in
                throw APIError(
                    .methodNotAllowed, code: "method_not_allowed", message: "\(request.method.rawValue) is not allowed here; this resource takes \(allow)",
                    details: ["allow": allow], headers: [.allow: allow]
                )
            }
        }
    }
}
