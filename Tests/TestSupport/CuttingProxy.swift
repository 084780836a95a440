public import Foundation

/// A TCP proxy on 127.0.0.1 in front of a server (Python's asyncio, no Podium code) that breaks
/// off the first Server-Sent Events stream it carries once `cutAfter` bytes of it have passed, as
/// a mobile network or a load balancer does: both sides of that connection are closed mid-stream.
/// Everything else passes untouched, keep-alive included.
public final class CuttingProxy: Sendable {
    public let port: UInt16
    private let process: BackgroundProcess
    private let record: URL

    private static let program = #"""
import asyncio, sys
listen, upstream, cut_after, record = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
cuts = []

async def carry(reader, writer, watch):
    counted = None
    try:
        while True:
            data = await reader.read(65536)
            if not data:
                break
            if watch and not cuts:
                if counted is None and b"text/event-stream" in data:
                    counted = 0
                if counted is not None:
                    if counted + len(data) >= cut_after:
                        writer.write(data[:cut_after - counted])
                        await writer.drain()
                        cuts.append(1)
                        with open(record, "a") as out:
                            out.write("cut\n")
                        return True
                    counted += len(data)
            writer.write(data)
            await writer.drain()
    except Exception:
        pass
    return False

async def handle(client_reader, client_writer):
    try:
        upstream_reader, upstream_writer = await asyncio.open_connection("127.0.0.1", upstream)
    except OSError:
        client_writer.close()
        return
    up = asyncio.ensure_future(carry(client_reader, upstream_writer, False))
    down = asyncio.ensure_future(carry(upstream_reader, client_writer, True))
    await asyncio.wait([up, down], return_when=asyncio.FIRST_COMPLETED)
    for task in (up, down):
        task.cancel()
    for writer in (client_writer, upstream_writer):
        try:
            writer.close()
        except Exception:
            pass

async def main():
    server = await asyncio.start_server(handle, "127.0.0.1", listen)
    async with server:
        await server.serve_forever()

asyncio.run(main())
"""#

    /// Starts a proxy to `upstream` that cuts the first event stream after `cutAfter` bytes.
    public init(upstream: Int, cutAfter: Int) throws {
        port = Loopback.freePort()
        record = FileManager.default.temporaryDirectory.appendingPathComponent("podium-proxy-\(UUID().uuidString)")
        process = try BackgroundProcess("python3", ["-c", Self.program, String(port), String(upstream), String(cutAfter), record.path])
        try Loopback.waitForTCPListener(on: port)
    }

    /// Event streams cut so far.
    public var cuts: Int {
        ((try? String(contentsOf: record, encoding: .utf8)) ?? "").split(separator: "\n").count
    }

    deinit {
        process.kill()
        try? FileManager.default.removeItem(at: record)
    }
}
