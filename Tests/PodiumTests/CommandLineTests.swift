import AsyncHTTPClient
import NIOCore
import NIOHTTP1
import Foundation
import Store
import TestSupport
import Testing

/// Runs `body` with an HTTP client that is shut down afterwards, whatever happens.
func withHTTPClient(_ body: (HTTPClient) async throws -> Void) async throws {
    let client = HTTPClient(eventLoopGroupProvider: .singleton)
    do {
        try await body(client)
    } catch {
        try await client.shutdown()
        throw error
    }
    try await client.shutdown()
}

/// The `podium` executable as an operator runs it.
enum PodiumBinary {
    /// The built `podium`, next to the test bundle in SwiftPM's products folder.
    static let path: String = {
        var candidates = [URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()]
        candidates.append(Bundle.main.bundleURL.deletingLastPathComponent())
        candidates.append(Bundle.main.bundleURL)
        for folder in candidates {
            let binary = folder.appendingPathComponent("podium").path
            if FileManager.default.isExecutableFile(atPath: binary) { return binary }
        }
        fatalError("podium binary not found beside the tests (looked in \(candidates.map(\.path)))")
    }()

    static func enrich(_ input: String, results: String = Fixtures.swim.appendingPathComponent("results").path,
                       clock: String = Fixtures.swim.appendingPathComponent("clock.json").path,
                       in folder: URL, extra: [String] = []) async throws -> (status: Int32, out: String, err: String) {
        try await Fixtures.run(path, [
            "enrich", input, "--results", results, "--clock", clock,
            "--camera", Fixtures.swim.appendingPathComponent("camera.jsonl").path,
            "--out", folder.appendingPathComponent("out.ts").path,
            "--database", folder.appendingPathComponent("podium.sqlite").path,
        ] + extra)
    }
}

struct EnrichCommandTests {
    @Test func enrichesTheFixtureAndRecordsEveryFrameInTheStore() async throws {
        let folder = try Fixtures.scratchFolder()
        let run = try await PodiumBinary.enrich(Fixtures.swim.appendingPathComponent("clip.ts").path, in: folder)
        #expect(run.status == 0, "stderr: \(run.err)")
        #expect(run.out.contains("600 frames, 600 tagged"))
        #expect(FileManager.default.fileExists(atPath: folder.appendingPathComponent("out.ts").path))

        let store = try SQLiteStore(path: folder.appendingPathComponent("podium.sqlite").path)
        let job = try #require(try await store.jobs().first)
        #expect(job.state == "completed")
        #expect(job.frames == 600)
        #expect(job.description.unit == "SWMM100MFR------------FNL-000100--")
        // With every document known, the frames are the golden render; as they aired (documents
        // counted from their receipt times, no look-ahead) some showed a split or a touch late.
        let latest = try await store.frames(jobID: job.id, from: 0, to: 599, limit: 600, asOf: .latest)
        let golden = try Fixtures.swimGolden()
        let latestText = latest.map { String(decoding: $0.overlayJSON, as: UTF8.self) }
        #expect(latestText.count == golden.count)
        #expect(latestText.firstIndex { !golden.contains($0) } == nil, "latest differs from the golden render")
        #expect(latestText == golden)
        #expect(latest[490].captureUTC == "2026-07-31T19:42:19.800000Z")
        let aired = try await store.frames(jobID: job.id, from: 0, to: 599, limit: 600, asOf: .aired)
        let differing = zip(aired, latest).filter { $0.overlayJSON != $1.overlayJSON }
        #expect(job.corrections > 0 && differing.count >= job.corrections)
        #expect(run.out.contains("corrections: \(job.corrections) frames"))
        let documents = try store.documents(ofJob: job.id)
        #expect(documents.map(\.source) == ResultsFiles.names)
        #expect(documents.first?.receivedUTC == "2026-07-31T19:32:10.000000Z")
        #expect(documents.allSatisfy { $0.outcome == "applied" })
    }

    @Test func dataArrivingWithinTheLookAheadLandsOnItsExactFrame() async throws {
        let folder = try Fixtures.scratchFolder()
        // Every document of the fixture arrives within 2 s of what it reports.
        let run = try await PodiumBinary.enrich(Fixtures.swim.appendingPathComponent("clip.ts").path, in: folder, extra: ["--lookahead", "2s"])
        #expect(run.status == 0, "stderr: \(run.err)")
        #expect(run.out.contains("look-ahead 2000 ms; corrections: 0 frames"))
        let store = try SQLiteStore(path: folder.appendingPathComponent("podium.sqlite").path)
        let job = try #require(try await store.jobs().first)
        #expect(job.corrections == 0)
        let aired = try await store.frames(jobID: job.id, from: 0, to: 599, limit: 600, asOf: .aired)
        let golden = try Fixtures.swimGolden()
        // What aired is what every document says, but for the results version known at the time.
        #expect(aired.count == 600)
        #expect(aired[490].overlayJSON.count > 0)
        let clockAt = { (json: String) in json.range(of: #""clock":\{[^}]*\}"#, options: .regularExpression).map { String(json[$0]) } }
        #expect(aired.map { clockAt(String(decoding: $0.overlayJSON, as: UTF8.self)) } == golden.map(clockAt))
    }

    @Test func aLookAheadThatIsNotADurationIsRefused() async throws {
        let folder = try Fixtures.scratchFolder()
        await Self.expectOneLineError(
            try PodiumBinary.enrich(Fixtures.swim.appendingPathComponent("clip.ts").path, in: folder, extra: ["--lookahead", "soon"]),
            mentioning: "--lookahead soon is not a duration"
        )
    }

    static func expectOneLineError(_ run: (status: Int32, out: String, err: String), mentioning fragment: String) {
        #expect(run.status != 0)
        #expect(run.err.hasSuffix("\n") && run.err.dropLast().contains("\n") == false, "expected one line, got: \(run.err)")
        #expect(run.err.hasPrefix("podium enrich: error: "), "got: \(run.err)")
        #expect(run.err.contains(fragment), "expected \(fragment) in: \(run.err)")
    }

    @Test func aMissingInputIsOneLineNamingIt() async throws {
        let folder = try Fixtures.scratchFolder()
        let run = try await PodiumBinary.enrich("/nonexistent/venue.ts", in: folder)
        Self.expectOneLineError(run, mentioning: "/nonexistent/venue.ts does not exist")
    }

    @Test func anInputWithoutVideoIsOneLineAndTheJobIsRecordedAsFailed() async throws {
        let folder = try Fixtures.scratchFolder()
        let audio = folder.appendingPathComponent("audio.ts").path
        let made = try await Fixtures.run("ffmpeg", ["-nostdin", "-v", "error", "-f", "lavfi", "-i", "sine=duration=1", "-c:a", "aac", "-f", "mpegts", audio])
        try #require(made.status == 0)
        let run = try await PodiumBinary.enrich(audio, in: folder)
        Self.expectOneLineError(run, mentioning: "has no video stream")
        #expect(!FileManager.default.fileExists(atPath: folder.appendingPathComponent("out.ts").path))
        let job = try #require(try await SQLiteStore(path: folder.appendingPathComponent("podium.sqlite").path).jobs().first)
        #expect(job.state == "failed")
        #expect(job.failure?.contains("no video stream") == true)
    }

    @Test func randomBytesAreOneLineSayingItIsNotMedia() async throws {
        let folder = try Fixtures.scratchFolder()
        let noise = folder.appendingPathComponent("noise.bin")
        try SplitMix.noise(seed: 0x2545_F491_4F6C_DD1D, count: 100_000).write(to: noise)
        await Self.expectOneLineError(try PodiumBinary.enrich(noise.path, in: folder), mentioning: "is not a media stream Podium can read")
    }

    @Test func aBrokenResultsDocumentIsNamedWithItsLine() async throws {
        let folder = try Fixtures.scratchFolder()
        let results = folder.appendingPathComponent("results")
        try FileManager.default.copyItem(at: Fixtures.swim.appendingPathComponent("results"), to: results)
        let official = results.appendingPathComponent("05-DT_RESULT-OFFICIAL.xml")
        let text = try String(contentsOf: official, encoding: .utf8).replacingOccurrences(of: "Result=\"8.31\"", with: "Result=\"8,31\"")
        try text.write(to: official, atomically: true, encoding: .utf8)
        let run = try await PodiumBinary.enrich(Fixtures.swim.appendingPathComponent("clip.ts").path, results: results.path, in: folder)
        Self.expectOneLineError(run, mentioning: "results document 05-DT_RESULT-OFFICIAL.xml: odf: line 8: Result Result \"8,31\" is not a race time")
    }

    @Test func timingEventsInTheResultsFolderFillInWhatTheODFDoesNotSay() async throws {
        let folder = try Fixtures.scratchFolder()
        let results = folder.appendingPathComponent("results")
        try FileManager.default.createDirectory(at: results, withIntermediateDirectories: true)
        for name in ["01-DT_PARTIC.xml", "02-DT_RESULT-START_LIST.xml"] {
            try FileManager.default.copyItem(at: Fixtures.swim.appendingPathComponent("results/\(name)"), to: results.appendingPathComponent(name))
        }
        try FileManager.default.copyItem(
            at: Fixtures.root.appendingPathComponent("fixtures/feeds/events/swim-100-free-events.json"), to: results.appendingPathComponent("03-events.json")
        )
        let run = try await PodiumBinary.enrich(Fixtures.swim.appendingPathComponent("clip.ts").path, results: results.path, in: folder)
        #expect(run.status == 0, "\(run.err)")
        let store = try SQLiteStore(path: folder.appendingPathComponent("podium.sqlite").path)
        let job = try #require(try await store.jobs().first)
        #expect(try store.documents(ofJob: job.id).map(\.format) == ["odf", "odf", "podium-events"])
        // Lane 4's reaction came only as an event (0.59 at 19:42:12.090): it shows from frame 104.
        let frames = try await store.frames(jobID: job.id, from: 103, to: 104, limit: 2).map { String(decoding: $0.overlayJSON, as: UTF8.self) }
        #expect(!frames[0].contains(#""reaction":{"display":"0.59""#))
        #expect(frames[1].contains(#""reaction":{"display":"0.59""#))
        #expect(frames[1].contains(#""dataVersion":"DT_RESULT v1 + 7 events""#))
    }

    @Test func aDocumentMissingFromTheManifestIsRefused() async throws {
        let folder = try Fixtures.scratchFolder()
        let results = folder.appendingPathComponent("results")
        try FileManager.default.copyItem(at: Fixtures.swim.appendingPathComponent("results"), to: results)
        try Data("<OdfBody/>".utf8).write(to: results.appendingPathComponent("06-stray.xml"))
        let run = try await PodiumBinary.enrich(Fixtures.swim.appendingPathComponent("clip.ts").path, results: results.path, in: folder)
        Self.expectOneLineError(run, mentioning: "06-stray.xml is not listed in manifest.json")
    }

    @Test func refusesToOverwriteItsOwnInput() async throws {
        let folder = try Fixtures.scratchFolder()
        let clip = folder.appendingPathComponent("out.ts")
        try FileManager.default.copyItem(at: Fixtures.swim.appendingPathComponent("clip.ts"), to: clip)
        let before = try Data(contentsOf: clip)
        await Self.expectOneLineError(try PodiumBinary.enrich(clip.path, in: folder), mentioning: "is the input itself")
        #expect(try Data(contentsOf: clip) == before)
    }

    @Test func aMissingClockFileIsNamed() async throws {
        let folder = try Fixtures.scratchFolder()
        let run = try await PodiumBinary.enrich(Fixtures.swim.appendingPathComponent("clip.ts").path, clock: "/nonexistent/clock.json", in: folder)
        Self.expectOneLineError(run, mentioning: "clock file /nonexistent/clock.json does not exist")
    }
}

enum ResultsFiles {
    static let names = [
        "00-DT_RECORD.xml", "01-DT_PARTIC.xml", "02-DT_RESULT-START_LIST.xml", "03-DT_RESULT-LIVE-reaction.xml",
        "04-DT_RESULT-LIVE-50m.xml", "05-DT_RESULT-OFFICIAL.xml",
    ]
}

struct ServeCommandTests {
    /// Starts `podium serve` on `database` on an ephemeral loopback port and returns the process
    /// and its port; its log goes to `serve.log` beside the database (see `serverLog`).
    static func startServer(database: String, extra: [String] = []) async throws -> (Process, Int) {
        let log = serverLog(database: database)
        return try await OwnThread.run { try ServedProcess.start(database: database, log: log, extra: extra) }
    }

    /// Starts job 1 on the server at `port`: the fixture's start list posted to the feeds, then
    /// a live job on `udp://127.0.0.1:input` following them (arrival clock, HLS), then FFmpeg
    /// sending the fixture's clip to it in real time; returns the sender.
    static func startLiveJob(port: Int, key: String, input: UInt16, client: HTTPClient) async throws -> BackgroundProcess {
        // The results of a live job come from the feeds; the start list is there before it starts.
        var post = HTTPClientRequest(url: "http://127.0.0.1:\(port)/v1/feeds/odf")
        post.method = .POST
        post.headers.add(name: "Authorization", value: "Bearer \(key)")
        post.body = .bytes(try Data(contentsOf: Fixtures.swim.appendingPathComponent("results/02-DT_RESULT-START_LIST.xml")))
        #expect(try await client.execute(post, timeout: .seconds(10)).status == .ok)
        var create = HTTPClientRequest(url: "http://127.0.0.1:\(port)/v1/jobs")
        create.method = .POST
        create.headers.add(name: "Authorization", value: "Bearer \(key)")
        create.body = .bytes(Data(#"{"input": "udp://127.0.0.1:\#(input)", "clock": {"source": "arrival"}, "results": {"source": "feeds", "unit": "SWMM100MFR------------FNL-000100--"}, "hls": {"segmentSeconds": 1}}"#.utf8))
        let created = try await client.execute(create, timeout: .seconds(10))
        let createdBody = String(buffer: try await created.body.collect(upTo: 1 << 16))
        #expect(created.status == .created, "\(createdBody)")
        #expect(await Loopback.waitForUDPListener(on: input))
        return try BackgroundProcess("ffmpeg", [
            "-hide_banner", "-v", "error", "-re", "-i", Fixtures.swim.appendingPathComponent("clip.ts").path,
            "-map", "0", "-c", "copy", "-f", "mpegts", "udp://127.0.0.1:\(input)?pkt_size=1316",
        ])
    }

    /// Where `startServer` keeps the log of the server on `database`.
    static func serverLog(database: String) -> URL {
        URL(fileURLWithPath: database).deletingLastPathComponent().appendingPathComponent("serve.log")
    }

    @Test func aKeyFileProvisionsKeysAndABadLineStopsTheStart() async throws {
        let folder = try Fixtures.scratchFolder()
        let database = folder.appendingPathComponent("podium.sqlite").path
        let secret = "pk_" + String(repeating: "Q", count: 40) + "x-_"
        let keys = folder.appendingPathComponent("keys.txt")
        try "# deployment keys\n\nviewer wall-display \(secret)\n".write(to: keys, atomically: true, encoding: .utf8)
        let (server, port) = try await Self.startServer(database: database, extra: ["--key-file", keys.path])
        defer { if server.isRunning { server.terminate() } }
        try await withHTTPClient { client in
            var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/v1/jobs")
            request.headers.add(name: "X-API-KEY", value: secret)
            let status = try await client.execute(request, timeout: .seconds(10)).status
            #expect(status == .ok)
        }
        server.terminate()
        server.waitUntilExit()
        // The file holds a secret only as long as the operator keeps it; the store holds its digest.
        #expect(try SQLiteStore(path: database).keys().map(\.owner) == ["wall-display"])

        try "viewer wall-display \(secret)\nreader somebody pk_short\n".write(to: keys, atomically: true, encoding: .utf8)
        await #expect {
            _ = try await Self.startServer(database: database, extra: ["--key-file", keys.path])
        } throws: { error in
            "\(error)".contains("line 2")
        }
    }

    @Test func servesTheJobsAnEnrichmentRecordedAndStopsOnSIGTERM() async throws {
        let folder = try Fixtures.scratchFolder()
        let enrich = try await PodiumBinary.enrich(Fixtures.swim.appendingPathComponent("clip.ts").path, in: folder)
        try #require(enrich.status == 0, "\(enrich.err)")
        let keyRun = try await Fixtures.run(PodiumBinary.path, ["keys", "create", "--scope", "viewer", "--database", folder.appendingPathComponent("podium.sqlite").path])
        try #require(keyRun.status == 0, "\(keyRun.err)")
        let key = keyRun.out.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(keyRun.err.contains("viewer") && !keyRun.err.contains(key), "the key goes to standard output only")
        func request(_ url: String) -> HTTPClientRequest {
            var request = HTTPClientRequest(url: url)
            request.headers.add(name: "Authorization", value: "Bearer \(key)")
            return request
        }
        let (server, port) = try await Self.startServer(database: folder.appendingPathComponent("podium.sqlite").path)
        defer { if server.isRunning { server.terminate() } }

        try await withHTTPClient { client in
            let health = try await client.execute(HTTPClientRequest(url: "http://127.0.0.1:\(port)/healthz"), timeout: .seconds(10))
            #expect(health.status == .ok)
            // The touch at 8.31 was received after frame 490 aired: it aired running, and is corrected.
            let aired = try await client.execute(request("http://127.0.0.1:\(port)/v1/jobs/1/frames?from=490&to=490"), timeout: .seconds(10))
            #expect(aired.status == .ok)
            let airedBody = String(buffer: try await aired.body.collect(upTo: 1 << 20))
            #expect(airedBody.contains(#""clock":{"display":"8.30","hundredths":830,"startUTC":"2026-07-31T19:42:11.500000Z","state":"running"}"#))
            let latest = try await client.execute(request("http://127.0.0.1:\(port)/v1/jobs/1/frames?from=490&to=490&asOf=latest"), timeout: .seconds(10))
            let latestBody = String(buffer: try await latest.body.collect(upTo: 1 << 20))
            #expect(latestBody.contains(#""clock":{"display":"8.31","hundredths":831,"state":"stopped"}"#))
            let wrong = try await client.execute(request("http://127.0.0.1:\(port)/v1/jobs/1/frames?asOf=tomorrow"), timeout: .seconds(10))
            #expect(wrong.status == .badRequest)
            // The job shows what its run did.
            let job = try await client.execute(request("http://127.0.0.1:\(port)/v1/jobs/1"), timeout: .seconds(10))
            let jobBody = String(buffer: try await job.body.collect(upTo: 1 << 20))
            #expect(jobBody.contains(#""stats":{"clockSource":"anchor","corrections":"#), "\(jobBody)")
            #expect(jobBody.contains(#""tagged":600"#))
            // The enriching process's peak memory, in bytes: more than its binary's pages, less than a gigabyte.
            let peak = try #require(jobBody.firstMatch(of: /"peakResidentBytes":(\d+)/).flatMap { Int($0.1) }, "\(jobBody)")
            #expect(peak > 8 << 20 && peak < 1 << 30, "\(peak)")
            let anonymous = try await client.execute(HTTPClientRequest(url: "http://127.0.0.1:\(port)/v1/jobs"), timeout: .seconds(10))
            #expect(anonymous.status == .unauthorized)
            let ready = try await client.execute(HTTPClientRequest(url: "http://127.0.0.1:\(port)/readyz"), timeout: .seconds(10))
            #expect(ready.status == .ok)
            #expect(String(buffer: try await ready.body.collect(upTo: 1 << 16)) == #"{"status":"ready"}"#)
            // Prometheus text: the requests just made, by route and status.
            let metrics = try await client.execute(HTTPClientRequest(url: "http://127.0.0.1:\(port)/metrics"), timeout: .seconds(10))
            #expect(metrics.status == .ok)
            let exposition = String(buffer: try await metrics.body.collect(upTo: 1 << 20))
            #expect(exposition.contains("hb_requests"), "\(exposition.prefix(500))")
            #expect(exposition.contains(#"http_route="/v1/jobs",http_request_method="GET",http_response_status_code="401""#))
            #expect(exposition.contains("http_server_request_duration") || exposition.contains("hb_request_duration"), "\(exposition.prefix(2000))")
            // The server's resident memory as the kernel counts it, read here from its /proc entry
            // after the scrape: the gauge's peak cannot exceed the peak read after it.
            let gauge = { (name: String) in exposition.firstMatch(of: try! Regex("\\n\(name) ([0-9.e+]+)")).flatMap { Double($0.output[1].substring ?? "") } }
            let resident = try #require(gauge("podium_process_resident_bytes"), "\(exposition)")
            let peakResident = try #require(gauge("podium_process_peak_resident_bytes"))
            let status = try String(contentsOfFile: "/proc/\(server.processIdentifier)/status", encoding: .utf8)
            let kernelPeak = try #require(status.firstMatch(of: /VmHWM:\s+(\d+) kB/).flatMap { Double($0.1) }) * 1024
            #expect(resident > Double(8 << 20) && resident <= peakResident && peakResident <= kernelPeak, "\(resident) \(peakResident) \(kernelPeak)")
        }

        server.terminate()
        server.waitUntilExit()
        #expect(server.terminationStatus == 0, "graceful shutdown on SIGTERM exits cleanly")
    }

    @Test func sigtermFinishesTheServersRunningJobsBeforeItExits() async throws {
        let folder = try Fixtures.scratchFolder()
        let database = folder.appendingPathComponent("podium.sqlite").path
        let keyRun = try await Fixtures.run(PodiumBinary.path, ["keys", "create", "--scope", "admin", "--database", database])
        try #require(keyRun.status == 0, "\(keyRun.err)")
        let key = keyRun.out.trimmingCharacters(in: .whitespacesAndNewlines)
        let jobs = folder.appendingPathComponent("jobs").path
        let (server, port) = try await Self.startServer(database: database, extra: ["--jobs-dir", jobs, "--fixtures", Fixtures.root.appendingPathComponent("fixtures").path])
        defer { if server.isRunning { server.terminate() } }
        let input = Loopback.freePort()
        var events = ""
        var followerComplete = false
        try await withHTTPClient { client in
            let sender = try await Self.startLiveJob(port: port, key: key, input: input, client: client)
            defer { sender.kill() }
            // A follower of the job, read on a thread of its own from the start: a follower that
            // stops reading for `PushConnection.stallLimit` is let go, and a busy suite can hold a
            // test's task that long.
            let follower = Task {
                try await RawHTTPResponse.get(port: port, path: "/v1/jobs/1/events?after=-1", headers: [("Authorization", "Bearer \(key)")], waitingAtMost: 120)
            }
            // And the job's metrics while it runs.
            try await Task.sleep(for: .seconds(3))
            let metrics = String(buffer: try await client.execute(HTTPClientRequest(url: "http://127.0.0.1:\(port)/metrics"), timeout: .seconds(10)).body.collect(upTo: 1 << 20))
            #expect(metrics.contains(#"podium_job_frames_total{job="1"}"#), "\(metrics.prefix(3000))")
            #expect(metrics.contains("podium_job_lag_seconds") && metrics.contains("podium_output_queue_packets"))

            server.terminate()
            let stream = try await follower.value
            events = String(decoding: stream.body, as: UTF8.self)
            followerComplete = stream.status == 200 && stream.complete
        }
        server.waitUntilExit()
        let log = (try? String(contentsOf: Self.serverLog(database: database), encoding: .utf8)) ?? ""
        #expect(followerComplete, "the follower's stream ends as HTTP says, not cut: \(events.suffix(300))\nserver log:\n\(log)")
        #expect(server.terminationStatus == 0, "graceful shutdown on SIGTERM exits cleanly; server log:\n\(log)")
        // The job was stopped, not cut: every frame stored, its HLS complete, and the follower told.
        let record = try #require(try await SQLiteStore(path: database).job(id: 1))
        #expect(record.state == "stopped", "\(record.failure ?? "")")
        #expect(record.frames > 50)
        #expect(events.hasSuffix("event: end\ndata: {\"frames\":\(record.frames),\"state\":\"stopped\"}\n\n"), "\(events.suffix(300))")
        let playlistPath = try #require(record.description.output.split(separator: " ").first { $0.hasSuffix(".m3u8") })
        let playlist = try String(contentsOfFile: String(playlistPath), encoding: .utf8)
        #expect(playlist.contains("#EXT-X-ENDLIST"))
        for segment in playlist.split(separator: "\n") where segment.hasSuffix(".ts") {
            #expect(FileManager.default.fileExists(atPath: URL(fileURLWithPath: String(playlistPath)).deletingLastPathComponent().appendingPathComponent(String(segment)).path))
        }
    }
}
