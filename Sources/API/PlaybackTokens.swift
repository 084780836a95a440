import Foundation
import Overlay

/// Tokens that let a browser's own HLS player fetch one job's HLS without the API key (a `<video>`
/// element cannot send a header): `EXPIRY-HMAC`, the HMAC-SHA-256 of the job and the expiry under a
/// secret drawn when the server starts. A token names one job, expires after `lifetime`, and dies
/// with the process. Expiry is judged by the server's wall clock.
final class PlaybackTokens: Sendable {
    private let secret: [UInt8]
    private let wallClock: any WallClock
    /// Six hours: a match day's session.
    static let lifetime: Int64 = 6 * 3600

    init(wallClock: any WallClock) {
        self.wallClock = wallClock
        var generator = SystemRandomNumberGenerator()
        secret = (0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) }
    }

    /// A token for `job`, and when it expires.
    func mint(job: Int64) -> (token: String, expires: UTCInstant) {
        let expiry = wallClock.microsecondsSinceEpoch() / 1_000_000 + Self.lifetime
        return ("\(expiry)-\(mac(job: job, expiry: expiry))", UTCInstant(millisecondsSinceEpoch: expiry * 1000))
    }

    /// Whether `token` is a live token for `job`.
    func check(_ token: String, job: Int64) -> Bool {
        let parts = token.split(separator: "-", maxSplits: 1)
        guard parts.count == 2, let expiry = Int64(parts[0]), expiry > wallClock.microsecondsSinceEpoch() / 1_000_000 else { return false }
        return Digests.isHMACSHA256Hex(parts[1], key: secret, message: Self.message(job: job, expiry: expiry))
    }

    private func mac(job: Int64, expiry: Int64) -> String {
        Digests.hmacSHA256Hex(key: secret, message: Self.message(job: job, expiry: expiry))
    }

    private static func message(job: Int64, expiry: Int64) -> [UInt8] {
        Array("podium-hls:\(job):\(expiry)".utf8)
    }
}
