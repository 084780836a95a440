import Foundation

/// What an API key may do.
public enum APIScope: String, Sendable, CaseIterable, Codable {
    /// Reads jobs and frames (viewer apps).
    case viewer
    /// Works on templates and fixtures (overlay designers).
    case designer
    /// Posts results documents (timing systems).
    case feed
    /// Runs and reads its own jobs (broadcasters).
    case broadcaster
    /// Everything.
    case admin
}

/// An API key as the store knows it: never the secret, only its digest.
public struct APIKeyRecord: Sendable, Equatable {
    public let id: Int64
    public let scope: APIScope
    /// Who the key belongs to (a broadcaster's jobs are the jobs with this owner).
    public let owner: String
    public let createdUTC: String
    /// When it was revoked, if it was.
    public let revokedUTC: String?

    /// The rule for an owner's name, the same for keys and jobs: 1 to 100 characters, no
    /// control characters, and no space at either end (a name that looks the same is the same).
    public static let ownerRule = "a name of 1 to 100 characters, without control characters or space at either end"

    /// Whether `owner` follows `ownerRule`.
    public static func isValidOwner(_ owner: String) -> Bool {
        !owner.isEmpty && owner.unicodeScalars.count <= 100 && owner == owner.trimmingCharacters(in: .whitespacesAndNewlines)
            && !owner.unicodeScalars.contains { $0.value < 0x20 || (0x7F...0x9F).contains($0.value) }
    }

    public init(id: Int64, scope: APIScope, owner: String, createdUTC: String, revokedUTC: String?) {
        self.id = id
        self.scope = scope
        self.owner = owner
        self.createdUTC = createdUTC
        self.revokedUTC = revokedUTC
    }
}

/// A new key's secret, shown once: `pk_` and 43 base64url characters (256 random bits).
public enum APIKeySecret {
    /// A fresh secret from the system's cryptographic random source.
    public static func generate() -> String {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) }
        let base64 = Data(bytes).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
        return "pk_" + base64
    }

    /// Whether `text` has the shape of a secret (so anything else is refused before a lookup).
    public static func isWellFormed(_ text: String) -> Bool {
        text.hasPrefix("pk_") && text.utf8.count == 46
            && text.utf8.dropFirst(3).allSatisfy { $0.isASCIIAlphanumeric || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "_") }
    }
}

extension UInt8 {
    fileprivate var isASCIIAlphanumeric: Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(self) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(self)
            || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(self)
    }
}

/// The API's lookup of keys.
public protocol KeyReading: Sendable {
    /// The live (not revoked) key whose secret is `secret`, or nil.
    func key(forSecret secret: String) async throws -> APIKeyRecord?
}
