import Foundation
@testable import MediaFormats
@testable import MediaIO
import Overlay
@testable import Pipeline
import TestSupport
import Testing

/// The host allowlist holds against URLs built to get around it: hosts are judged by address,
/// SRT modes by their query parameter, redirects before they are followed, playlists within bounds.
struct URLPolicyTests {
    /// A resolver with fixed answers, standing in for DNS names that point where an attacker wants.
    struct FixedResolver: HostResolving {
        let table: [String: [String]]
        func addresses(of name: String) -> [NetworkAddress] { (table[name] ?? []).compactMap { NetworkAddress(literal: $0) } }
    }

    @Test func addressesAreClassifiedByTheirBytesNotTheirText() async throws {
        for loopback in ["127.0.0.1", "127.255.3.4", "::1", "[::1]", "::ffff:127.0.0.1"] {
            #expect(NetworkAddress(literal: loopback)?.isLoopback == true, "\(loopback)")
        }
        for name in ["127.evil.example", "127.1", "0x7f.0.0.1", "2130706433", "localhost.evil.example", "127.0.0.1.nip.io"] {
            #expect(NetworkAddress(literal: name) == nil, "\(name)")
            #expect(!InputPolicy.isLoopback(name), "\(name)")
        }
        #expect(InputPolicy.isLoopback("localhost") && InputPolicy.isLoopback("LOCALHOST"))
        #expect(NetworkAddress(literal: "169.254.169.254")?.isLinkLocal == true)
        #expect(NetworkAddress(literal: "fe80::1")?.isLinkLocal == true)
        #expect(NetworkAddress(literal: "fd00:ec2::254")?.isCloudMetadata == true)
        #expect(NetworkAddress(literal: "100.100.100.200")?.isCloudMetadata == true)
        #expect(NetworkAddress(literal: "0.0.0.0")?.isUnspecified == true)
        #expect(NetworkAddress(literal: "::ffff:169.254.169.254")?.isLinkLocal == true)
        #expect(NetworkAddress(literal: "2001:db8::1")?.description == "2001:db8::1")
        #expect(NetworkAddress(literal: "2001:db8::1")?.urlHost == "[2001:db8::1]")
    }

    @Test(arguments: [
        ("srt://192.0.2.2:9000?streamid=mode=listener", "host 192.0.2.2"),
        ("srt://192.0.2.2:9000?latency=200&streamid=x/mode=listener", "host 192.0.2.2"),
        ("srt://192.0.2.2:9000?mode=rendezvous", "host 192.0.2.2"),
        ("udp://127.evil.example:5000", "host 127.evil.example"),
        ("rtmp://127.0.0.1.nip.io/live/key", "host 127.0.0.1.nip.io"),
        ("http://127.evil.example/live.m3u8", "host 127.evil.example"),
        ("udp://localhost.evil.example:5000", "host localhost.evil.example"),
    ])
    func textThatLooksLocalIsNotLocal(url: String, rule: String) async {
        #expect {
            try InputEndpoint(url, policy: InputPolicy())
        } throws: { error in
            guard case let .refusedURL(_, stated) = error as? MediaError else { return false }
            return stated.contains(rule)
        }
    }

    @Test func srtModeIsReadFromItsOwnParameterAsFFmpegReadsIt() async throws {
        #expect(SRTMode(url: "srt://:9000?mode=listener") == .listener)
        #expect(SRTMode(url: "srt://:9000?latency=20&mode=listener") == .listener)
        #expect(SRTMode(url: "srt://h:9000?streamid=mode=listener") == .caller)
        #expect(SRTMode(url: "srt://h:9000") == .caller)
        #expect(SRTMode(url: "srt://h:9000?mode=listen") == nil)
        #expect(try InputEndpoint("srt://:9000?mode=listener", policy: InputPolicy()).kind == .srt)
        #expect(try InputEndpoint("srt://0.0.0.0:9000?mode=listener", policy: InputPolicy()).kind == .srt)
        #expect(try !OutputTarget("srt://192.0.2.2:9000?streamid=mode=listener").isListener)
        #expect(try OutputTarget("srt://:9000?mode=listener").isListener)
    }

    @Test func namesResolveOnceToAnAddressThatIsCheckedAndPinned() async throws {
        let resolver = FixedResolver(table: [
            "cdn.example.net": ["192.0.2.10", "2001:db8::10"], "meta.example.net": ["169.254.169.254"],
            "mixed.example.net": ["192.0.2.11", "169.254.169.254"], "v6meta.example.net": ["fd00:ec2::254"],
        ])
        let policy = InputPolicy(allowedHosts: ["*.example.net"], resolver: resolver)
        #expect(try policy.pinnedAddress(for: "cdn.example.net", in: "x").description == "192.0.2.10")
        for name in ["meta.example.net", "mixed.example.net", "v6meta.example.net"] {
            #expect(throws: MediaError.self, "\(name)") { try policy.pinnedAddress(for: name, in: "x") }
        }
        #expect(throws: MediaError.self) { try policy.pinnedAddress(for: "nowhere.example.net", in: "x") }
        #expect(throws: MediaError.self) { try policy.pinnedAddress(for: "169.254.169.254", in: "x") }
        // The operator may list a guarded address itself.
        let listed = InputPolicy(allowedHosts: ["*.example.net", "169.254.169.254"], resolver: resolver)
        #expect(try listed.pinnedAddress(for: "meta.example.net", in: "x").description == "169.254.169.254")

        #expect(URLAuthority.pinning("udp://cdn.example.net:5000?pkt_size=1316", to: NetworkAddress(literal: "192.0.2.10")!) == "udp://192.0.2.10:5000?pkt_size=1316")
        #expect(URLAuthority.pinning("http://u@cdn.example.net/a.m3u8", to: NetworkAddress(literal: "2001:db8::10")!) == "http://u@[2001:db8::10]/a.m3u8")
        #expect(URLAuthority.pinning("http://[::1]:8080/a", to: NetworkAddress(literal: "127.0.0.1")!) == "http://127.0.0.1:8080/a")
        #expect(URLAuthority.hostHeader(of: "http://cdn.example.net:8080/a?b") == "cdn.example.net:8080")
        let request = try PinnedRequest(url: "http://cdn.example.net:8080/live/a.m3u8?t=1", policy: policy)
        #expect(request.connectURL == "http://192.0.2.10:8080/live/a.m3u8?t=1")
        #expect(request.headRequest.hasPrefix("GET /live/a.m3u8?t=1 HTTP/1.1\r\nHost: cdn.example.net:8080\r\n"))
    }

    @Test func responseHeadsGiveTheirStatusAndLocation() async {
        let head = HTTPResponseHead(Array("HTTP/1.1 302 Found\r\nContent-Length: 0\r\nlocation:  http://a/b \r\n\r\nbody".utf8))
        #expect(head?.status == 302 && head?.location == "http://a/b")
        #expect(head?.isRedirect == true)
        #expect(HTTPResponseHead(Array("HTTP/1.0 200 OK\n\n".utf8))?.isRedirect == false)
        #expect(HTTPResponseHead(Array("HTTP/1.1 301 Moved\r\n\r\n".utf8))?.isRedirect == false)
        #expect(HTTPResponseHead(Array("SSH-2.0-OpenSSH\r\n\r\n".utf8)) == nil)
        #expect(HTTPResponseHead(Array("HTTP/1.1 9999 x\r\n\r\n".utf8)) == nil)
        #expect(HTTPResponseHead.end(of: Array("HTTP/1.1 200 OK\r\nA: b\r\n\r\n".utf8)) == 25)
        #expect(HTTPResponseHead.end(of: Array("HTTP/1.1 200 OK\r\nA: b\r\n".utf8)) == nil)
    }
}

/// The same rules against real origins on loopback, with a canary on 127.0.0.2 standing in for
/// every host that is not allowed: not one connection may reach it.
@Suite(.serialized)
struct URLPolicyLiveTests {
    static func playlistFolder() async throws -> URL {
        let folder = try Fixtures.scratchFolder()
        let clip = folder.appendingPathComponent("source.ts")
        try await Clips.transportStream(at: clip, seconds: 4)
        try await Clips.ffmpeg([
            "-i", clip.path, "-map", "0", "-c", "copy", "-f", "hls", "-hls_time", "2", "-hls_list_size", "0",
            "-hls_playlist_type", "vod", folder.appendingPathComponent("index.m3u8").path,
        ])
        return folder
    }

    static func refusal(_ url: String, policy: InputPolicy = InputPolicy(readTimeout: 2)) -> (MediaError?, seconds: Double) {
        let started = Date()
        do {
            let session = try IngestSession(url: url, policy: policy, clock: ClockSettings(required: false))
            _ = try session.run(frame: { _ in })
            return (nil, Date().timeIntervalSince(started))
        } catch {
            return (error as? MediaError, Date().timeIntervalSince(started))
        }
    }

    @Test func aRedirectToAHostThatIsNotAllowedIsRefusedBeforeItIsFollowed() async throws {
        let folder = try await Self.playlistFolder()
        let canary = try Canary()
        let (origin, port) = try ScriptedOrigin.start([
            "/playlist.m3u8": .redirect(to: canary.url(path: "/index.m3u8")),
            "/metadata.m3u8": .redirect(status: 307, to: "http://169.254.169.254/latest/meta-data/x.m3u8"),
            "/index.m3u8": .file(folder.appendingPathComponent("index.m3u8")),
            "/segment-redirect.m3u8": .file(try Self.playlist(in: folder, segment: "moved0.ts")),
            "/moved0.ts": .redirect(to: canary.url(path: "/index0.ts")),
        ] + Self.segments(in: folder))
        defer { origin.kill() }
        for path in ["/playlist.m3u8", "/metadata.m3u8", "/segment-redirect.m3u8"] {
            let (error, seconds) = Self.refusal("http://127.0.0.1:\(port)\(path)")
            guard case let .refusedURL(_, rule) = error else {
                Issue.record("\(path): \(String(describing: error))")
                continue
            }
            #expect(rule.contains("redirected from"), "\(path): \(rule)")
            #expect(seconds < 5, "\(path) took \(seconds) s")
        }
        #expect(canary.contacts() == 0)
    }

    @Test func redirectsWithinTheAllowedHostsAreFollowedByPodium() async throws {
        let folder = try await Self.playlistFolder()
        let (origin, port) = try ScriptedOrigin.start([
            "/live.m3u8": .redirect(status: 301, to: "/index.m3u8"),
            "/index.m3u8": .file(try Self.playlist(in: folder, segment: "moved0.ts")),
            "/moved0.ts": .redirect(to: "/index0.ts"),
        ] + Self.segments(in: folder))
        defer { origin.kill() }
        let session = try IngestSession(url: "http://127.0.0.1:\(port)/live.m3u8", clock: ClockSettings(required: false))
        var frames = 0
        _ = try session.run(frame: { _ in frames += 1 })
        #expect(frames == 200)
    }

    @Test func anEndlessOrTricklingPlaylistIsRefusedWithinItsBounds() async throws {
        let (origin, port) = try ScriptedOrigin.start(["/endless.m3u8": .endlessPlaylist(), "/slow.m3u8": .endlessPlaylist(pause: 0.5)])
        defer { origin.kill() }
        let (large, largeSeconds) = Self.refusal("http://127.0.0.1:\(port)/endless.m3u8")
        #expect(large?.description.contains("larger than 4 MiB") == true, "\(String(describing: large))")
        #expect(largeSeconds < 10)
        let (slow, slowSeconds) = Self.refusal("http://127.0.0.1:\(port)/slow.m3u8", policy: InputPolicy(readTimeout: 1))
        #expect(slow?.description.contains("did not arrive within") == true, "\(String(describing: slow))")
        #expect(slowSeconds < 5, "\(slowSeconds) s")
    }

    /// The VOD playlist with its first segment named `segment` instead.
    static func playlist(in folder: URL, segment: String) throws -> URL {
        let text = try String(contentsOf: folder.appendingPathComponent("index.m3u8"), encoding: .utf8)
        let renamed = folder.appendingPathComponent("renamed.m3u8")
        try text.replacingOccurrences(of: "index0.ts", with: segment).write(to: renamed, atomically: true, encoding: .utf8)
        return renamed
    }

    static func segments(in folder: URL) -> [String: ScriptedOrigin.Answer] {
        var routes: [String: ScriptedOrigin.Answer] = [:]
        for index in 0..<4 { routes["/index\(index).ts"] = .file(folder.appendingPathComponent("index\(index).ts")) }
        return routes
    }
}

private func + (left: [String: ScriptedOrigin.Answer], right: [String: ScriptedOrigin.Answer]) -> [String: ScriptedOrigin.Answer] {
    left.merging(right) { first, _ in first }
}
