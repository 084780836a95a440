#if canImport(Glibc)
import Glibc
#endif
public import Foundation

/// A listener standing in for a host Podium must never reach: a TCP listener on 127.0.0.2 that
/// counts the connections the kernel completed for it, and a UDP socket on the same port that
/// counts datagrams. Nothing is answered; a test asserts that nothing arrived.
public final class Canary: @unchecked Sendable {
    /// The address the canary listens on.
    public static let address = "127.0.0.2"
    /// The port (TCP and UDP).
    public let port: UInt16
    private let tcp: Int32
    private let udp: Int32

    public init() throws {
        var port: UInt16 = 0
        var tcp: Int32 = -1
        var udp: Int32 = -1
        for _ in 0..<20 {
            port = Loopback.freePort()
            tcp = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            udp = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
            if Canary.bind(tcp, port) == 0, Canary.bind(udp, port) == 0, listen(tcp, 64) == 0 { break }
            close(tcp)
            close(udp)
            (tcp, udp) = (-1, -1)
        }
        guard tcp >= 0 else { throw CocoaError(.fileWriteUnknown) }
        _ = fcntl(tcp, F_SETFL, O_NONBLOCK)
        _ = fcntl(udp, F_SETFL, O_NONBLOCK)
        (self.port, self.tcp, self.udp) = (port, tcp, udp)
    }

    private static func bind(_ descriptor: Int32, _ port: UInt16) -> Int32 {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        inet_pton(AF_INET, Canary.address, &address.sin_addr)
        return withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
    }

    /// Connections and datagrams that reached the canary so far.
    public func contacts() -> Int {
        var count = 0
        while true {
            let connection = accept(tcp, nil, nil)
            guard connection >= 0 else { break }
            close(connection)
            count += 1
        }
        var buffer = [UInt8](repeating: 0, count: 2048)
        while recv(udp, &buffer, buffer.count, 0) >= 0 { count += 1 }
        return count
    }

    /// `http://127.0.0.2:PORT/PATH`.
    public func url(_ scheme: String = "http", path: String = "/") -> String { "\(scheme)://\(Canary.address):\(port)\(path)" }

    deinit {
        close(tcp)
        close(udp)
    }
}

/// An HTTP origin on 127.0.0.1 (Python's http.server) whose answers a test scripts per path:
/// files, redirects, and playlists that never end.
public enum ScriptedOrigin {
    /// What a path answers.
    public enum Answer: Sendable {
        /// 200 with the file's bytes.
        case file(URL)
        /// A redirect with `status` to `location`.
        case redirect(status: Int = 302, to: String)
        /// 200 with a playlist header and then segment lines, forever, `pause` seconds between chunks.
        case endlessPlaylist(pause: Double = 0)
    }

    private static let program = #"""
import http.server, json, sys, time
routes = json.loads(sys.argv[2])
class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def do_GET(self):
        route = routes.get(self.path.split("?")[0])
        if route is None:
            self.send_error(404); return
        if route["kind"] == "redirect":
            self.send_response(route["status"]); self.send_header("Location", route["to"])
            self.send_header("Content-Length", "0"); self.end_headers(); return
        if route["kind"] == "file":
            data = open(route["path"], "rb").read()
            self.send_response(200); self.send_header("Content-Length", str(len(data))); self.end_headers()
            self.wfile.write(data); return
        self.send_response(200); self.send_header("Connection", "close"); self.end_headers()
        try:
            self.wfile.write(b"#EXTM3U\n#EXT-X-TARGETDURATION:2\n")
            while True:
                self.wfile.write(b"#EXTINF:2.0,\nseg.ts\n" * 2000); self.wfile.flush()
                time.sleep(route["pause"])
        except Exception:
            self.close_connection = True
    def log_message(self, *args):
        pass
http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Handler).serve_forever()
"""#

    /// Starts an origin answering `routes` (path → answer); returns once it accepts connections.
    public static func start(_ routes: [String: Answer]) throws -> (server: BackgroundProcess, port: UInt16) {
        var table: [String: [String: Any]] = [:]
        for (path, answer) in routes {
            switch answer {
            case let .file(url): table[path] = ["kind": "file", "path": url.path]
            case let .redirect(status, location): table[path] = ["kind": "redirect", "status": status, "to": location]
            case let .endlessPlaylist(pause): table[path] = ["kind": "endless", "pause": pause]
            }
        }
        let json = String(decoding: try JSONSerialization.data(withJSONObject: table), as: UTF8.self)
        let port = Loopback.freePort()
        let server = try BackgroundProcess("python3", ["-c", program, String(port), json])
        try Loopback.waitForTCPListener(on: port)
        return (server, port)
    }
}

/// A real small file system (a tmpfs of `megabytes`) for tests of a full disk; needs root, as
/// the test suite has in CI. Unmounted when released.
public final class SmallDisk: @unchecked Sendable {
    /// Where it is mounted.
    public let folder: URL

    public init(megabytes: Int = 4) throws {
        folder = try Fixtures.scratchFolder("small-disk").appendingPathComponent("disk")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let mount = try Fixtures.run("mount", ["-t", "tmpfs", "-o", "size=\(megabytes)m", "tmpfs", folder.path])
        guard mount.status == 0 else { throw CocoaError(.fileWriteNoPermission, userInfo: [NSLocalizedDescriptionKey: "mounting a tmpfs needs root: \(mount.err)"]) }
    }

    /// Fills every byte left.
    public func fill() throws {
        _ = try Fixtures.run("dd", ["if=/dev/zero", "of=\(folder.appendingPathComponent("filler").path)", "bs=64k"])
    }

    /// Fills the disk but for about `bytes` (to a 4 KiB block).
    public func fill(leaving bytes: Int) throws {
        var stats = statvfs()
        guard statvfs(folder.path, &stats) == 0 else { throw CocoaError(.fileReadUnknown, userInfo: [NSLocalizedDescriptionKey: "statvfs \(folder.path)"]) }
        let free = Int(stats.f_bavail) * Int(stats.f_frsize)
        let blocks = max(0, (free - bytes) / 4096)
        _ = try Fixtures.run("dd", ["if=/dev/zero", "of=\(folder.appendingPathComponent("filler").path)", "bs=4k", "count=\(blocks)"])
    }

    deinit { _ = try? Fixtures.run("umount", ["-l", folder.path]) }
}
