#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// An IP address that a URL names or that a host name resolves to, classified by what it
/// reaches. Podium decides what a URL may contact from its addresses, never from the text of
/// its host: `127.evil.example` is a name like any other.
public struct NetworkAddress: Sendable, Hashable, CustomStringConvertible {
    /// The address in network order: 4 bytes for IPv4, 16 for IPv6.
    public let bytes: [UInt8]

    /// Parses an address literal (`192.0.2.1`, `::1`, `[::1]`); nil for anything else, names
    /// included. IPv4 takes exactly four decimal parts, as `inet_pton` does: `127.1` and
    /// `0x7f.0.0.1` are not addresses here, so they are names and never loopback.
    public init?(literal text: String) {
        var host = text
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        var v4 = in_addr()
        if inet_pton(AF_INET, host, &v4) == 1 {
            bytes = withUnsafeBytes(of: v4.s_addr) { Array($0) }
            return
        }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, host, &v6) == 1 {
            bytes = withUnsafeBytes(of: v6) { Array($0) }
            return
        }
        return nil
    }

    init(bytes: [UInt8]) { self.bytes = bytes }

    /// The IPv4 address an IPv6 address carries (`::ffff:a.b.c.d`), or the address itself.
    private var effective: [UInt8] {
        if bytes.count == 16, bytes[0..<10].allSatisfy({ $0 == 0 }), bytes[10] == 0xFF, bytes[11] == 0xFF {
            return Array(bytes[12..<16])
        }
        return bytes
    }

    /// 127.0.0.0/8 or ::1.
    public var isLoopback: Bool {
        let address = effective
        if address.count == 4 { return address[0] == 127 }
        return address == [UInt8](repeating: 0, count: 15) + [1]
    }

    /// 169.254.0.0/16 or fe80::/10: reachable only on the local link, where cloud metadata lives.
    public var isLinkLocal: Bool {
        let address = effective
        if address.count == 4 { return address[0] == 169 && address[1] == 254 }
        return address[0] == 0xFE && address[1] & 0xC0 == 0x80
    }

    /// Cloud instance-metadata endpoints outside the link-local range (AWS's IPv6 one, Alibaba's).
    public var isCloudMetadata: Bool {
        let address = effective
        if address.count == 4 { return address == [100, 100, 100, 200] }
        return address == [0xFD, 0x00, 0x0E, 0xC2] + [UInt8](repeating: 0, count: 10) + [0x02, 0x54]
    }

    /// 0.0.0.0 or `::`: as a destination, this machine on every interface.
    public var isUnspecified: Bool { effective.allSatisfy { $0 == 0 } }

    /// 224.0.0.0/4 or ff00::/8.
    public var isMulticast: Bool {
        let address = effective
        return address.count == 4 ? (224...239).contains(address[0]) : address[0] == 0xFF
    }

    /// The canonical text (`192.0.2.1`, `::1`).
    public var description: String {
        var text = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        let family = bytes.count == 4 ? AF_INET : AF_INET6
        _ = bytes.withUnsafeBytes { inet_ntop(family, $0.baseAddress, &text, socklen_t(text.count)) }
        return String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// The address as a URL host: IPv6 in brackets.
    public var urlHost: String { bytes.count == 4 ? description : "[\(description)]" }

    /// What the address reaches that a URL from outside must not, unless the operator lists it.
    var guardedRange: String? {
        if isCloudMetadata { return "a cloud metadata address" }
        if isLinkLocal { return "a link-local address" }
        if isUnspecified { return "the unspecified address" }
        return nil
    }
}

/// Turns host names into addresses, once per open: the address that was checked is the one
/// connected to.
public protocol HostResolving: Sendable {
    /// The addresses `name` resolves to, IPv4 first; empty when it does not resolve.
    func addresses(of name: String) -> [NetworkAddress]
}

/// The system resolver (`getaddrinfo`: /etc/hosts, then DNS).
public struct SystemResolver: HostResolving {
    public init() {}

    public func addresses(of name: String) -> [NetworkAddress] {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(name, nil, &hints, &list) == 0, let list else { return [] }
        defer { freeaddrinfo(list) }
        var found: [NetworkAddress] = []
        var entry: UnsafeMutablePointer<addrinfo>? = list
        while let current = entry {
            if let socketAddress = current.pointee.ai_addr {
                switch Int32(current.pointee.ai_family) {
                case AF_INET:
                    let address = socketAddress.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { $0.pointee.sin_addr.s_addr }
                    found.append(NetworkAddress(bytes: withUnsafeBytes(of: address) { Array($0) }))
                case AF_INET6:
                    let address = socketAddress.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { $0.pointee.sin6_addr }
                    found.append(NetworkAddress(bytes: withUnsafeBytes(of: address) { Array($0) }))
                default:
                    break
                }
            }
            entry = current.pointee.ai_next
        }
        var seen = Set<NetworkAddress>()
        return found.filter { seen.insert($0).inserted }.sorted { $0.bytes.count < $1.bytes.count }
    }
}

/// The host part of a URL's authority, found and replaced as text, so that every other byte of
/// the URL (options FFmpeg reads from the query, the path) stays as it was checked.
package enum URLAuthority {
    /// The range of the host in `url` (after `scheme://` and any `user@`, before `:port`, `/`,
    /// `?`); nil when the URL has no authority or an empty host.
    package static func hostRange(in url: String) -> Range<String.Index>? {
        guard let schemeEnd = url.range(of: "://") else { return nil }
        let authorityEnd = url[schemeEnd.upperBound...].firstIndex { "/?#".contains($0) } ?? url.endIndex
        var start = schemeEnd.upperBound
        if let at = url[start..<authorityEnd].lastIndex(of: "@") { start = url.index(after: at) }
        let end: String.Index
        if url[start...].hasPrefix("[") {
            guard let close = url[start..<authorityEnd].firstIndex(of: "]") else { return nil }
            end = url.index(after: close)
        } else {
            end = url[start..<authorityEnd].firstIndex(of: ":") ?? authorityEnd
        }
        return start < end ? start..<end : nil
    }

    /// `url` with its host replaced by `address`; unchanged when it has no host.
    package static func pinning(_ url: String, to address: NetworkAddress) -> String {
        guard let range = hostRange(in: url) else { return url }
        return url.replacingCharacters(in: range, with: address.urlHost)
    }

    /// The host and port as an HTTP `Host` header carries them.
    package static func hostHeader(of url: String) -> String? {
        guard let range = hostRange(in: url) else { return nil }
        let authorityEnd = url[range.upperBound...].firstIndex { "/?#".contains($0) } ?? url.endIndex
        return String(url[range.lowerBound..<authorityEnd])
    }
}
