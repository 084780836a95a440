import Foundation
public import HTTPTypes
public import Hummingbird
import Logging
import Store

/// The one error shape of the API: `{"error":{"code":…,"message":…,"details":…}}`.
public struct APIError: Error, HTTPResponseError, Sendable {
    /// HTTP status.
    public let status: HTTPResponse.Status
    /// A stable machine-readable code, e.g. `not_found`, `bad_request`.
    public let code: String
    /// A sentence for a human.
    public let message: String
    /// Extra facts (the parameter that was wrong, its value).
    public let details: [String: String]
    /// Headers the answer carries besides the content type (`WWW-Authenticate`, `Retry-After`).
    public let headers: HTTPFields

    /// Creates an API error.
    public init(_ status: HTTPResponse.Status, code: String, message: String, details: [String: String] = [:], headers: HTTPFields = [:]) {
        self.status = status
        self.code = code
        self.message = message
        self.details = details
        self.headers = headers
    }

    struct Envelope: Encodable {
        struct Body: Encodable {
            let code: String
            let message: String
            let details: [String: String]
        }
        let error: Body
    }

    /// The `error` object of the envelope.
    var body: Envelope.Body { .init(code: code, message: message, details: details) }

    /// The error as the API's JSON body.
    var bodyJSON: Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Strings and a string dictionary always encode.
        return (try? encoder.encode(Envelope(error: body))) ?? Data()
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        let body = bodyJSON
        var fields = headers
        fields[.contentType] = "application/json; charset=utf-8"
        return Response(
            status: status,
            headers: fields,
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: body))
        )
    }
}

/// Renders every error that escapes a route in the API's one error shape, so a client never has
/// to parse two formats (Hummingbird's own 404 and 405 included).
struct ErrorShapeMiddleware<Context: RequestContext>: RouterMiddleware {
    /// Where a store that cannot write is noted, for `/readyz`.
    let availability: StoreAvailability

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as APIError {
            throw error
        } catch let error as HTTPError {
            let code = error.status == .notFound ? "not_found" : error.status.reasonPhrase.lowercased().replacingOccurrences(of: " ", with: "_")
            throw APIError(error.status, code: code, message: error.body ?? "\(error.status.reasonPhrase): \(request.uri.path)")
        } catch {
            context.logger.error("request failed", metadata: ["http.path": .string(request.uri.path), "error": .string("\(error)")])
            // A store that cannot write is not the client's fault nor a bug: say which, and when to retry.
            if let reason = availability.record(error) {
                throw APIError(
                    .serviceUnavailable, code: "store_unavailable", message: "the store cannot write: \(reason); nothing of this request was stored",
                    headers: [.retryAfter: "5"]
                )
            }
            throw APIError(.internalServerError, code: "internal", message: "the server failed to answer this request")
        }
    }
}
