import Foundation

/// The status line and the `Location` of an HTTP/1.x response head: what Podium needs to decide
/// whether a redirect may be followed. Pure: bytes in, fields out.
public struct HTTPResponseHead: Equatable, Sendable {
    /// The most Podium reads of a head before giving up on it.
    public static let byteLimit = 16_384

    /// The status code.
    public let status: Int
    /// The `Location` header, trimmed; nil when absent.
    public let location: String?

    /// A redirect that names where it leads.
    public var isRedirect: Bool { [301, 302, 303, 307, 308].contains(status) && location?.isEmpty == false }

    /// The offset just past the blank line that ends the head; nil while it has not arrived.
    public static func end(of bytes: [UInt8]) -> Int? {
        guard bytes.count >= 4 else { return nil }
        for index in 3..<bytes.count where bytes[index] == 0x0A {
            if bytes[index - 1] == 0x0A { return index + 1 }
            if bytes[index - 1] == 0x0D, bytes[index - 2] == 0x0A { return index + 1 }
            if bytes[index - 1] == 0x0D, bytes[index - 2] == 0x0D, bytes[index - 3] == 0x0A { return index + 1 }
        }
        return nil
    }

    /// Parses a head (`HTTP/1.1 302 Found`, then headers); nil for anything that is not one.
    public init?(_ bytes: [UInt8]) {
        let head = bytes.prefix(HTTPResponseHead.end(of: bytes) ?? bytes.count)
        let lines = String(decoding: head, as: UTF8.self).split(omittingEmptySubsequences: false) { $0 == "\n" || $0 == "\r\n" }
            .map { $0.hasSuffix("\r") ? $0.dropLast() : $0 }
        guard let statusLine = lines.first, statusLine.hasPrefix("HTTP/1.") else { return nil }
        let parts = statusLine.split(separator: " ", maxSplits: 2)
        guard parts.count >= 2, parts[1].count == 3, let status = Int(parts[1]), (100...599).contains(status) else { return nil }
        self.status = status
        var location: String?
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            if line[..<colon].lowercased() == "location" {
                location = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
                break
            }
        }
        self.location = location
    }
}
