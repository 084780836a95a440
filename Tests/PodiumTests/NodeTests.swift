import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import Store
import TestSupport
import Testing

/// Nodes with real processes: a server or a `podium enrich` killed outright (SIGKILL: no chance
/// to record anything) leaves its job `running` in the store; another node on the same store
/// settles it as `interrupted` within the lease, names the dead node, and ends the streams of
/// the job's followers on itself. A results document posted to any node reaches the jobs of
/// every node.
struct NodeTests {
    /// Starts a key for `database` with `scope`.
    static func key(_ database: String, scope: String = "admin") async throws -> String {
        let run = try await Fixtures.run(PodiumBinary.path, ["keys", "create", "--scope", scope, "--database", database])
        try #require(run.status == 0, "\(run.err)")
        return run.out.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// The job's JSON as `port` answers it.
    static func job(_ id: Int, port: Int, key: String, client: HTTPClient) async throws -> [String: Any] {
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/v1/jobs/\(id)")
        request.headers.add(name: "Authorization", value: "Bearer \(key)")
        let response = try await client.execute(request, timeout: .seconds(10))
        let body = try await response.body.collect(upTo: 1 << 20)
        return try #require(try JSONSerialization.jsonObject(with: Data(body.readableBytesView)) as? [String: Any])
    }

    /// One frame's JSON as aired, as `port` answers it.
    static func frameJSON(_ id: Int, seq: Int, port: Int, key: String, client: HTTPClient) async throws -> String {
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/v1/jobs/\(id)/frames/\(seq)")
        request.headers.add(name: "Authorization", value: "Bearer \(key)")
        return String(buffer: try await client.execute(request, timeout: .seconds(10)).body.collect(upTo: 1 << 20))
    }

    @Test func aServerKilledMidJobHasItsJobInterruptedByAnotherNodeWithinTheLease() async throws {
        let folder = try Fixtures.scratchFolder()
        let database = folder.appendingPathComponent("podium.sqlite").path
        let key = try await Self.key(database)
        let fixtures = Fixtures.root.appendingPathComponent("fixtures").path
        // Two nodes on one store, each with a log of its own.
        let aFolder = folder.appendingPathComponent("a"), bFolder = folder.appendingPathComponent("b")
        let (nodeA, portA) = try await ServeCommandTests.startServer(
            database: database, extra: ["--jobs-dir", aFolder.appendingPathComponent("jobs").path, "--fixtures", fixtures, "--node-name", "venue-a"]
        )
        defer { if nodeA.isRunning { kill(nodeA.processIdentifier, SIGKILL) } }
        let (nodeB, portB) = try await ServeCommandTests.startServer(
            database: database, extra: ["--jobs-dir", bFolder.appendingPathComponent("jobs").path, "--fixtures", fixtures, "--node-name", "venue-b"]
        )
        defer { if nodeB.isRunning { nodeB.terminate() } }
        let input = Loopback.freePort()
        try await withHTTPClient { client in
            let sender = try await ServeCommandTests.startLiveJob(port: portA, key: key, input: input, client: client)
            defer { sender.kill() }

            // Both nodes show the job as node A's, running.
            let running = try await Self.job(1, port: portB, key: key, client: client)
            #expect(running["state"] as? String == "running")
            let nodeID = try #require(running["node"] as? String)
            let onA = try await Self.job(1, port: portA, key: key, client: client)
            #expect(onA["node"] as? String == nodeID)
            // Node B cannot stop a job node A runs, and says where it runs.
            var stop = HTTPClientRequest(url: "http://127.0.0.1:\(portB)/v1/jobs/1")
            stop.method = .DELETE
            stop.headers.add(name: "Authorization", value: "Bearer \(key)")
            let refused = try await client.execute(stop, timeout: .seconds(10))
            #expect(refused.status == .conflict)
            let refusal = String(buffer: try await refused.body.collect(upTo: 1 << 16))
            #expect(refusal.contains(nodeID), "\(refusal)")

            // A follower of the job on node B, from the first frame, until the job ends.
            let follower = Task {
                try await RawHTTPResponse.get(port: portB, path: "/v1/jobs/1/events?after=-1", headers: [("Authorization", "Bearer \(key)")], waitingAtMost: 60)
            }
            // Let the job store frames.
            let deadline = ContinuousClock.now + .seconds(20)
            while (try await Self.job(1, port: portB, key: key, client: client)["frames"] as? Int ?? 0) < 50, ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(100))
            }
            let first = try await Self.frameJSON(1, seq: 0, port: portA, key: key, client: client)
            #expect(first.contains(#""dataVersion":"DT_RESULT v1""#), "the start list: \(first.prefix(300))")
            // The official result is posted to node B: node A's job takes it and airs it.
            var official = HTTPClientRequest(url: "http://127.0.0.1:\(portB)/v1/feeds/odf")
            official.method = .POST
            official.headers.add(name: "Authorization", value: "Bearer \(key)")
            official.body = .bytes(try Data(contentsOf: Fixtures.swim.appendingPathComponent("results/05-DT_RESULT-OFFICIAL.xml")))
            #expect(try await client.execute(official, timeout: .seconds(10)).status == .ok)
            let posted = ContinuousClock.now
            var aired = false
            while !aired, ContinuousClock.now - posted < .seconds(30) {
                let frames = try await Self.job(1, port: portA, key: key, client: client)["frames"] as? Int ?? 0
                if frames > 0 {
                    let last = try await Self.frameJSON(1, seq: frames - 1, port: portA, key: key, client: client)
                    aired = last.contains(#""dataVersion":"DT_RESULT v4""#)
                }
                if !aired { try await Task.sleep(for: .milliseconds(50)) }
            }
            #expect(aired, "node A's job never aired the document posted to node B")

            // Then kill the job's node outright.
            kill(nodeA.processIdentifier, SIGKILL)
            let killed = ContinuousClock.now
            var settled: [String: Any] = [:]
            while ContinuousClock.now - killed < .seconds(10) {
                settled = try await Self.job(1, port: portB, key: key, client: client)
                if settled["state"] as? String != "running" { break }
                try await Task.sleep(for: .milliseconds(50))
            }
            let took = ContinuousClock.now - killed
            #expect(settled["state"] as? String == "interrupted", "\(settled)")
            #expect(took < .seconds(5), "settled \(took) after the kill")
            let failure = settled["failure"] as? String ?? ""
            #expect(failure.contains("venue-a (\(nodeID))") && failure.contains("last heartbeat"), "\(failure)")
            let frames = try #require(settled["frames"] as? Int)
            #expect(frames >= 50, "the frames stored before the kill stay")

            // The follower on node B got every stored frame once, in order, and the end.
            let stream = try await follower.value
            let text = String(decoding: stream.body, as: UTF8.self)
            let ids = text.split(separator: "\n").filter { $0.hasPrefix("id: ") }.compactMap { Int($0.dropFirst(4)) }
            #expect(ids == Array(0..<frames), "\(ids.count) frame events for \(frames) frames")
            #expect(text.hasSuffix("event: end\ndata: {\"frames\":\(frames),\"state\":\"interrupted\"}\n\n"), "\(text.suffix(300))")
        }
    }

    @Test func anEnrichKilledMidJobIsInterruptedWhenTheNextNodeStarts() async throws {
        let folder = try Fixtures.scratchFolder()
        let database = folder.appendingPathComponent("podium.sqlite").path
        let input = Loopback.freePort()
        // A live enrichment waiting for its input: recorded as running before the input opens.
        let enrich = try BackgroundProcess(PodiumBinary.path, [
            "enrich", "udp://127.0.0.1:\(input)", "--results", Fixtures.swim.appendingPathComponent("results").path,
            "--clock-source", "arrival", "--out", folder.appendingPathComponent("out.ts").path, "--database", database, "--node-name", "truck-3",
        ], captureError: true)
        // (A debug build beside the whole suite on two cores can take many seconds to get there.)
        let deadline = ContinuousClock.now + .seconds(120)
        var recorded: JobRecord?
        var reader: SQLiteStore?
        while recorded == nil, enrich.isRunning, ContinuousClock.now < deadline {
            if reader == nil, FileManager.default.fileExists(atPath: database) { reader = try? SQLiteStore(path: database) }
            recorded = try? await reader?.job(id: 1)
            if recorded == nil { try await Task.sleep(for: .milliseconds(100)) }
        }
        let job = try #require(recorded, "the enrichment never recorded its job: \(enrich.errorOutput)")
        #expect(job.state == "running")
        let nodeID = try #require(job.description.node)
        enrich.kill()

        // Nothing settles it while no node runs: it is still recorded as running.
        #expect(try await SQLiteStore(path: database).job(id: 1)?.state == "running")
        // The next node to start settles it at once: the process it names is gone from this host.
        let (server, port) = try await ServeCommandTests.startServer(database: database)
        defer { if server.isRunning { server.terminate() } }
        let key = try await Self.key(database)
        try await withHTTPClient { client in
            let settled = try await Self.job(1, port: port, key: key, client: client)
            #expect(settled["state"] as? String == "interrupted")
            #expect((settled["failure"] as? String)?.contains("truck-3 (\(nodeID))") == true, "\(settled)")
            // And the list finds it by that state.
            var list = HTTPClientRequest(url: "http://127.0.0.1:\(port)/v1/jobs?state=interrupted")
            list.headers.add(name: "Authorization", value: "Bearer \(key)")
            let page = String(buffer: try await client.execute(list, timeout: .seconds(10)).body.collect(upTo: 1 << 20))
            #expect(page.contains("\"id\":1"), "\(page)")
        }
        // A node that stops cleanly is recorded as stopped; the killed one never was.
        server.terminate()
        await OwnThread.run { server.waitUntilExit() }
        let nodes = try SQLiteStore(path: database).nodes()
        #expect(nodes.count == 2)
        #expect(nodes.first { $0.id == nodeID }?.stoppedUTC == nil)
        #expect(nodes.first { $0.id != nodeID }?.stoppedUTC != nil)
    }
}
