import Foundation
public import NIOCore
import HTTPTypes
public import Hummingbird
public import HummingbirdWebSocket
public import Store
import Synchronization

/// The request context of Podium's API: the caller's key once `KeyAuthenticator` has checked it.
public struct PodiumRequestContext: RequestContext, WebSocketRequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The API key the request came with; nil before authentication and on open routes.
    public var key: APIKeyRecord?
    /// The WebSocket handler a route chose (live push), for the upgrade.
    public let webSocket = WebSocketHandlerReference<Self>()
    /// The key check's refusal of a WebSocket upgrade, kept for the socket to state: Hummingbird
    /// answers any refused upgrade with a bare 400, so the refusal is told over the socket instead.
    var refusal: APIError?

    /// The connection the request came on: a live push bounds and watches it (`PushConnection`).
    public let channel: any Channel

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        channel = source.channel
    }

    /// The key, which must have one of `scopes` (admin has them all); 403 otherwise.
    func requireKey(_ scopes: Set<APIScope>) throws -> APIKeyRecord {
        if let refusal { throw refusal }
        guard let key else {
            throw APIError(.unauthorized, code: "unauthorized", message: "this endpoint needs an API key", headers: KeyAuthenticator<NoKeys>.challenge)
        }
        guard key.scope == .admin || scopes.contains(key.scope) else {
            let needs = (scopes.map(\.rawValue).sorted() + ["admin"]).joined(separator: ", ")
            throw APIError(
                .forbidden, code: "forbidden", message: "a \(key.scope.rawValue) key may not do this; it needs one of: \(needs)",
                details: ["scope": key.scope.rawValue, "needs": needs]
            )
        }
        return key
    }
}

/// How many requests a key may make: `perSecond` on average, `burst` at once.
public struct RateLimits: Sendable {
    public var perSecond: Double
    public var burst: Double

    public init(perSecond: Double = 200, burst: Double = 400) {
        self.perSecond = perSecond
        self.burst = burst
    }
}

/// A token bucket per key, shared by every connection.
final class RateLimiter: Sendable {
    private struct Bucket {
        var tokens: Double
        var refilled: ContinuousClock.Instant
    }

    let limits: RateLimits
    private let buckets = Mutex<[Int64: Bucket]>([:])

    init(limits: RateLimits) { self.limits = limits }

    /// Takes one request for `key`; nil when allowed, else the seconds until one is.
    func take(_ key: Int64, now: ContinuousClock.Instant = .now) -> Double? {
        buckets.withLock { buckets in
            var bucket = buckets[key] ?? Bucket(tokens: limits.burst, refilled: now)
            let elapsed = now - bucket.refilled
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            bucket.tokens = min(limits.burst, bucket.tokens + seconds * limits.perSecond)
            bucket.refilled = now
            defer { buckets[key] = bucket }
            guard bucket.tokens >= 1 else { return (1 - bucket.tokens) / limits.perSecond }
            bucket.tokens -= 1
            return nil
        }
    }
}

/// Keys recently found, so a busy client does not cost a database read per request. An entry
/// lives five seconds, so a revoked key stops working within five seconds; unknown keys are
/// never cached (a stream of made-up keys cannot fill memory), and at most 10,000 are kept.
final class KeyCache: Sendable {
    static let lifetime: Duration = .seconds(5)
    static let capacity = 10_000
    private let entries = Mutex<[String: (key: APIKeyRecord, found: ContinuousClock.Instant)]>([:])

    func key(for secret: String, now: ContinuousClock.Instant = .now) -> APIKeyRecord? {
        entries.withLock { entries in
            guard let entry = entries[secret] else { return nil }
            guard now - entry.found < Self.lifetime else {
                entries[secret] = nil
                return nil
            }
            return entry.key
        }
    }

    func remember(_ key: APIKeyRecord, for secret: String, now: ContinuousClock.Instant = .now) {
        entries.withLock { entries in
            if entries.count >= Self.capacity { entries = entries.filter { now - $0.value.found < Self.lifetime } }
            if entries.count < Self.capacity { entries[secret] = (key, now) }
        }
    }
}

/// Whether the keys live pushes were opened with are still live, asked of the store at most once
/// per `lifetime` per key however many pushes follow with it: the thousand followers of one app's
/// key cost one lookup, not a thousand. Unlike `KeyCache` it remembers a revoked key's answer too.
final class KeyLiveness: Sendable {
    static let lifetime: Duration = .milliseconds(100)
    private let answers = Mutex<[String: (live: Bool, asked: ContinuousClock.Instant)]>([:])

    func isLive<Keys: KeyReading>(_ secret: String, in keys: Keys) async throws -> Bool {
        let asked = ContinuousClock.now
        if let answer = answers.withLock({ $0[secret] }), asked - answer.asked < Self.lifetime { return answer.live }
        let live = try await keys.key(forSecret: secret) != nil
        answers.withLock { answers in
            if answers.count >= KeyCache.capacity { answers = answers.filter { asked - $0.value.asked < Self.lifetime } }
            if answers.count < KeyCache.capacity { answers[secret] = (live, asked) }
        }
        return live
    }
}

/// Checks the API key of every request it guards (`Authorization: Bearer pk_…` or `X-API-KEY`),
/// applies the key's rate limit, and puts the key in the context. Keys are looked up by digest;
/// the secret itself is never logged or stored.
struct KeyAuthenticator<Keys: KeyReading>: RouterMiddleware {
    typealias Context = PodiumRequestContext
    let keys: Keys
    let limiter: RateLimiter
    let cache = KeyCache()

    static var challenge: HTTPFields { [.wwwAuthenticate: #"Bearer realm="podium""#] }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        do {
            context.key = try await check(request)
        } catch let refusal as APIError where isWebSocketUpgrade(request) {
            context.refusal = refusal
        }
        return try await next(request, context)
    }

    /// The request's key once it is known, live and within its rate; the refusal otherwise.
    private func check(_ request: Request) async throws -> APIKeyRecord {
        guard let secret = Self.secret(in: request) else {
            throw APIError(
                .unauthorized, code: "unauthorized", message: "this endpoint needs an API key: Authorization: Bearer <key>, or X-API-KEY",
                headers: Self.challenge
            )
        }
        let found: APIKeyRecord?
        if let cached = cache.key(for: secret) {
            found = cached
        } else {
            found = try await keys.key(forSecret: secret)
            if let found { cache.remember(found, for: secret) }
        }
        guard let key = found else {
            throw APIError(.unauthorized, code: "unauthorized", message: "the API key is not valid (unknown or revoked)", headers: Self.challenge)
        }
        if let wait = limiter.take(key.id) {
            let seconds = max(1, Int(wait.rounded(.up)))
            throw APIError(
                .tooManyRequests, code: "rate_limited",
                message: "this key made more than \(Int(limiter.limits.perSecond)) requests per second; retry after \(seconds) s",
                details: ["retryAfterSeconds": "\(seconds)"], headers: [.retryAfter: "\(seconds)"]
            )
        }
        return key
    }

    static func secret(in request: Request) -> String? {
        if let header = request.headers[.authorization] {
            let parts = header.split(separator: " ", maxSplits: 1)
            if parts.count == 2, parts[0].lowercased() == "bearer" { return String(parts[1]).trimmingCharacters(in: .whitespaces) }
        }
        if let name = HTTPField.Name("X-API-KEY"), let header = request.headers[name] { return header.trimmingCharacters(in: .whitespaces) }
        return nil
    }
}

/// A key store with no keys, standing in where only the challenge header is needed.
struct NoKeys: KeyReading {
    func key(forSecret secret: String) async throws -> APIKeyRecord? { nil }
}

/// Whether a request asks to become a WebSocket (`Upgrade: websocket`).
func isWebSocketUpgrade(_ request: Request) -> Bool {
    request.headers[.upgrade]?.lowercased() == "websocket"
}
