import MediaFormats
import Overlay
import Pipeline
import Testing

struct InputEndpointTests {
    let policy = InputPolicy(allowedHosts: ["venue.example.com", "*.cdn.example.net"])

    @Test(arguments: [
        ("concat:a.ts|b.ts", "concat"), ("subfile,,start,0,end,0,,:clip.ts", "subfile"), ("data:video/mp2t;base64,AAAA", "data"),
        ("crypto+concat:a.ts", "concat"), ("ftp://venue.example.com/a.ts", "scheme ftp"), ("udp://10.1.2.3:5000", "host 10.1.2.3"),
        ("srt://203.0.113.9:9000?mode=caller", "host 203.0.113.9"), ("https://evil.example.org/live.m3u8", "host evil.example.org"),
        ("http://venue.example.com/clip.mp4", "HLS playlist"), ("rtmp:///live", "must name a host"),
    ])
    func refusesWithTheRule(url: String, rule: String) {
        #expect {
            try InputEndpoint(url, policy: policy)
        } throws: { error in
            guard case let .refusedURL(refused, stated) = error as? MediaError else { return false }
            return refused == url && stated.contains(rule)
        }
    }

    @Test func eachSchemeGetsItsOwnWhitelists() throws {
        let cases: [(String, InputKind, String)] = [
            ("clip.ts", .file, "file"), ("file:///media/clip.ts", .file, "file"), ("-", .stdin, "pipe"),
            ("udp://239.1.1.1:5000", .udp, "udp"), ("udp://@:5000", .udp, "udp"), ("udp://127.0.0.1:5000", .udp, "udp"),
            ("srt://0.0.0.0:9000?mode=listener", .srt, "srt"), ("srt://venue.example.com:9000", .srt, "srt"),
            ("rtmp://venue.example.com/live/key", .rtmp, "rtmp,tcp"), ("rtsp://venue.example.com/cam1", .rtsp, "rtp,srtp,udp,tcp"),
            ("https://edge.cdn.example.net/live/index.m3u8", .hls, "http,https,tcp,tls,crypto,hls"),
        ]
        for (url, kind, protocols) in cases {
            let endpoint = try InputEndpoint(url, policy: policy)
            #expect(endpoint.kind == kind, "\(url)")
            #expect(endpoint.protocolWhitelist == protocols, "\(url)")
        }
        #expect(try InputEndpoint("file:///media/clip.ts", policy: policy).openURL == "/media/clip.ts")
        #expect(try InputEndpoint("-", policy: policy).openURL == "pipe:0")
    }

    @Test func nestedURLsOfANetworkInputStayOnAllowedHostsAndNeverTouchTheDisk() throws {
        let hls = try InputEndpoint("https://venue.example.com/live/index.m3u8", policy: policy)
        try hls.check(nested: "https://venue.example.com/live/seg1.ts", policy: policy)
        try hls.check(nested: "https://edge.cdn.example.net/seg2.ts", policy: policy)
        try hls.check(nested: "crypto+https://venue.example.com/key.bin", policy: policy)
        for hostile in ["file:///etc/passwd", "/etc/passwd", "https://169.254.169.254/latest", "http://localhost/admin.ts",
                        "concat:https://venue.example.com/a.ts", "gopher://venue.example.com/x", "crypto+file:///etc/shadow"] {
            #expect(throws: MediaError.self, "\(hostile)") { try hls.check(nested: hostile, policy: policy) }
        }
        let file = try InputEndpoint("clip.mov", policy: policy)
        try file.check(nested: "clip.mov", policy: policy)
        #expect(throws: MediaError.self) { try file.check(nested: "http://venue.example.com/ref.mov", policy: policy) }
    }

    @Test func reconnectionBacksOffExponentiallyUpToItsBound() {
        let reconnect = ReconnectPolicy(initialDelay: 0.25, maximumDelay: 2)
        #expect((1...6).map { reconnect.delay(beforeAttempt: $0) } == [0.25, 0.5, 1, 2, 2, 2])
        // The backoff spaces the starts of attempts: one that failed at once waits it all, one
        // that listened for its read timeout (a UDP socket open for a sender) reopens at once.
        #expect(reconnect.sleep(beforeAttempt: 4, afterAnAttemptOf: 0.125) == 1.875)
        #expect(reconnect.sleep(beforeAttempt: 4, afterAnAttemptOf: 5) == 0)
        #expect(reconnect.sleep(beforeAttempt: 3, afterAnAttemptOf: 0.25) == 0.75)
    }

    @Test func aPacketHandedOutAsTheInputFellSilentArrivedWhenItsReadBegan() {
        let begun = UTCInstant(iso8601: "2026-07-31T19:42:19.800000Z")!
        // A read that returned at once: the packet came as it ended.
        #expect(IngestSession.arrival(ofPacketReadFrom: begun, to: begun.advanced(by: Rational(1, 50))) == begun.advanced(by: Rational(1, 50)))
        // One that waited 5 s for the next packet and then gave up: its bytes were there before.
        #expect(IngestSession.arrival(ofPacketReadFrom: begun, to: begun.advanced(by: Rational(5))) == begun)
        // A recording has no arrivals.
        #expect(IngestSession.arrival(ofPacketReadFrom: nil, to: nil) == nil)
    }

    @Test func playlistsGiveEachSegmentItsDate() throws {
        let text = """
        #EXTM3U
        #EXT-X-TARGETDURATION:2
        #EXT-X-PROGRAM-DATE-TIME:2026-07-31T19:42:10.000+0000
        #EXTINF:2.000,
        seg0.ts
        #EXTINF:1.960,
        seg1.ts
        #EXT-X-DISCONTINUITY
        #EXTINF:2.0,
        seg2.ts
        #EXT-X-PROGRAM-DATE-TIME:2026-07-31T21:42:20.5+02:00
        #EXTINF:2,
        https://cdn.example.net/seg3.ts
        """
        let playlist = HLSPlaylist(text: text, baseURL: "http://venue.example.com/live/index.m3u8")
        #expect(playlist.segments.map(\.url) == [
            "http://venue.example.com/live/seg0.ts", "http://venue.example.com/live/seg1.ts",
            "http://venue.example.com/live/seg2.ts", "https://cdn.example.net/seg3.ts",
        ])
        #expect(playlist.segments.map(\.programDateTime) == [
            UTCInstant(iso8601: "2026-07-31T19:42:10Z"), UTCInstant(iso8601: "2026-07-31T19:42:12Z"), nil, UTCInstant(iso8601: "2026-07-31T19:42:20.5Z"),
        ])
        #expect(playlist.segments.map(\.stated) == [true, false, false, true])
        #expect(!playlist.ended)
    }
}
