internal import CFFmpeg
import Foundation
import MediaFormats

/// One HTTP(S) request of an input, bound to the address its host was checked at.
///
/// Plain HTTP connects to that address and names the host in its `Host` header, so a second
/// resolution (DNS rebinding) cannot send it elsewhere. HTTPS connects by name, because FFmpeg
/// 5.1 sends no SNI to an address; there the certificate is verified against the name, which a
/// rebound address inside the network cannot present. FFmpeg never follows a redirect itself.
struct PinnedRequest {
    /// The URL as checked.
    let url: String
    /// What FFmpeg's http protocol opens.
    let connectURL: String
    /// The host and port the request names.
    let hostHeader: String
    private let address: NetworkAddress
    private let isSecure: Bool
    /// The host as the URL writes it (an IPv6 address in brackets).
    private let hostInURL: String
    private let port: Int
    private let pathAndQuery: String

    init(url: String, policy: InputPolicy) throws(MediaError) {
        guard let components = URLComponents(string: url), let host = components.host, !host.isEmpty,
              let hostRange = URLAuthority.hostRange(in: url), let hostHeader = URLAuthority.hostHeader(of: url) else {
            throw .refusedURL(url: url, rule: "the URL names no host")
        }
        self.url = url
        self.hostHeader = hostHeader
        hostInURL = String(url[hostRange])
        address = try policy.pinnedAddress(for: host, in: url)
        isSecure = components.scheme?.lowercased() == "https"
        port = components.port ?? (isSecure ? 443 : 80)
        connectURL = isSecure ? url : URLAuthority.pinning(url, to: address)
        let path = components.percentEncodedPath.isEmpty ? "/" : components.percentEncodedPath
        pathAndQuery = components.percentEncodedQuery.map { "\(path)?\($0)" } ?? path
    }

    /// Options for FFmpeg's http protocol: no redirects, the pinned host, a read timeout, and
    /// certificate verification for HTTPS. The caller frees the dictionary.
    func options(readTimeout: Double) -> OpaquePointer? {
        var options: OpaquePointer?
        av_dict_set(&options, "max_redirects", "0", 0)
        av_dict_set(&options, "rw_timeout", String(Int64(readTimeout * 1_000_000)), 0)
        if isSecure {
            av_dict_set(&options, "tls_verify", "1", 0)
        } else {
            av_dict_set(&options, "headers", "Host: \(hostHeader)\r\n", 0)
        }
        return options
    }

    /// The connection a response head is read on (`tcp://address:port`, or TLS by name).
    var transportURL: String {
        isSecure ? "tls://\(hostInURL):\(port)" : "tcp://\(address.urlHost):\(port)"
    }

    /// A GET whose answer is read only as far as its head.
    var headRequest: String {
        "GET \(pathAndQuery) HTTP/1.1\r\nHost: \(hostHeader)\r\nUser-Agent: Podium\r\nAccept: */*\r\nConnection: close\r\n\r\n"
    }
}
