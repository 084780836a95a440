import Foundation
import HTTPTypes
import Hummingbird
import Overlay

/// The `name` of the path, which must be a plain name (see `isPlainName`); 400 naming what it names otherwise.
func plainName(_ context: PodiumRequestContext, of what: String) throws -> String {
    let name = context.parameters.get("name") ?? ""
    guard isPlainName(name) else {
        throw APIError(.badRequest, code: "bad_request", message: "a \(what) name is 1 to 64 lower-case letters, digits and dashes, not starting with a dash", details: ["name": name])
    }
    return name
}

/// A positive ratio as the API spells it: digits, optionally `/` and digits, neither part zero
/// nor with a leading zero, each at most 18 digits.
func isPositiveRatio(_ text: String) -> Bool {
    let parts = text.split(separator: "/", omittingEmptySubsequences: false)
    return (1...2).contains(parts.count) && parts.allSatisfy { part in
        (1...18).contains(part.utf8.count) && part.utf8.first != UInt8(ascii: "0") && part.utf8.allSatisfy { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }
    }
}

/// A plain name (of a template or a fixture): lower-case letters, digits and dashes, 1 to 64,
/// not starting with a dash; anything else (a path, `..`, an encoded slash) is refused.
func isPlainName(_ name: String) -> Bool {
    (1...64).contains(name.utf8.count) && name.utf8.first != UInt8(ascii: "-")
        && name.utf8.allSatisfy { (UInt8(ascii: "a")...UInt8(ascii: "z")).contains($0) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) || $0 == UInt8(ascii: "-") }
}
