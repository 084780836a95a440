#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Store
import Synchronization
import TestSupport
import Testing

/// Faults injected into a real `podium serve` on loopback, each bounded in time: the process
/// killed outright while a timing system posts, a full disk under a job's outputs, a receiver
/// that stops reading. (A live input that goes away and comes back is `InputReturnTests`, which
/// times the return and runs on its own after the parallel suite.) What docs/reliability.md states as lost: nothing.
struct FaultSuiteTests {
    /// A server on a fresh database with an admin key.
    struct Served {
        let folder: URL
        let database: String
        let key: String
        let process: Process
        let port: Int

        init(extra: [String] = [], _ label: String = #function) async throws {
            folder = try Fixtures.scratchFolder(label)
            database = folder.appendingPathComponent("podium.sqlite").path
            let keyRun = try await Fixtures.run(PodiumBinary.path, ["keys", "create", "--scope", "admin", "--database", database])
            try #require(keyRun.status == 0, "\(keyRun.err)")
            key = keyRun.out.trimmingCharacters(in: .whitespacesAndNewlines)
            (process, port) = try await ServeCommandTests.startServer(database: database, extra: extra)
        }

        var log: String { (try? String(contentsOf: ServeCommandTests.serverLog(database: database), encoding: .utf8)) ?? "" }

        /// One request with the admin key, on a thread, and its JSON body.
        func call(_ method: String, _ path: String, body: [UInt8] = [], port: Int? = nil) async throws -> (status: Int, json: [String: Any]) {
            let (key, port) = (key, port ?? self.port)
            let response = try await OwnThread.run {
                try RawHTTPResponse.exchange(port: port, method: method, path: path, headers: [("Authorization", "Bearer \(key)")], body: body, waitingAtMost: 30)
            }
            let json = (try? JSONSerialization.jsonObject(with: Data(response.body))) as? [String: Any] ?? [:]
            return (response.status, json)
        }

        /// Waits until job `id` has ended (at most `seconds`) and returns it.
        func ended(job id: Int, within seconds: Double) async throws -> [String: Any] {
            let deadline = Date().addingTimeInterval(seconds)
            while Date() < deadline {
                let (_, job) = try await call("GET", "/v1/jobs/\(id)")
                if let state = job["state"] as? String, state != "running" { return job }
                try await Task.sleep(for: .milliseconds(200))
            }
            Issue.record("job \(id) still running after \(seconds) s")
            return try await call("GET", "/v1/jobs/\(id)").json
        }

        func stop() {
            if process.isRunning { process.terminate() }
            process.waitUntilExit()
        }
    }

    /// A document as acknowledged: the id the server answered, and the bytes that were sent.
    struct Acknowledged: Sendable {
        let documentID: Int64
        let bytes: [UInt8]
    }

    /// What the posting timing systems saw.
    final class Posts: Sendable {
        let acknowledged = Mutex<[Acknowledged]>([])
        let unanswered = Mutex(0)
    }

    @Test func aServerKilledDuringFeedPostsKeepsEveryAcknowledgedDocument() async throws {
        let served = try await Served()
        defer { served.stop() }
        let versions = served.folder.appendingPathComponent("versions")
        try ImportCommandTests.manyVersions(400, in: versions)
        let documents = try FileManager.default.contentsOfDirectory(at: versions, includingPropertiesForKeys: nil)
            .sorted { $0.lastPathComponent < $1.lastPathComponent }.map { Array(try Data(contentsOf: $0)) }

        // Two timing systems post at once; the first to see its 120th acknowledgement kills the
        // server outright, while the other is in the middle of a post.
        let posts = Posts()
        let (port, key, pid) = (served.port, served.key, served.process.processIdentifier)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for poster in 0..<2 {
                group.addTask {
                    try await OwnThread.run {
                        for bytes in stride(from: poster, to: documents.count, by: 2).map({ documents[$0] }) {
                            guard let response = try? RawHTTPResponse.exchange(
                                port: port, method: "POST", path: "/v1/feeds/odf", headers: [("Authorization", "Bearer \(key)")], body: bytes, waitingAtMost: 30
                            ), response.complete, response.status == 200,
                                let json = try? JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any],
                                let id = (json["documentId"] as? String).flatMap({ Int64($0) })
                            else {
                                posts.unanswered.withLock { $0 += 1 }
                                return
                            }
                            let count = posts.acknowledged.withLock { $0.append(Acknowledged(documentID: id, bytes: bytes)); return $0.count }
                            if count == 120 { kill(pid, SIGKILL) }
                        }
                    }
                }
            }
            try await group.waitForAll()
        }
        // (Whether the server still runs says nothing yet: a killed process is reaped a moment later.)
        if posts.acknowledged.withLock({ $0.count }) < 120 {
            Issue.record("the posts ended before the kill: \(posts.acknowledged.withLock { $0.count }) acknowledged, \(posts.unanswered.withLock { $0 }) not")
            kill(pid, SIGKILL)
        }
        served.process.waitUntilExit()
        #expect(served.process.terminationReason == .uncaughtSignal, "the server must have been killed, not have ended")
        let acks = posts.acknowledged.withLock { $0 }
        #expect(acks.count >= 120 && acks.count < documents.count, "\(acks.count) acknowledged")
        #expect(posts.unanswered.withLock { $0 } > 0, "the kill came while posts were still going")

        // Restarted on the same file: every acknowledged document is there, byte for byte, and
        // applied; the derived facts rebuilt from the log agree with the stored ones.
        let (restarted, newPort) = try await ServeCommandTests.startServer(database: served.database)
        defer { if restarted.isRunning { restarted.terminate() } }
        let stored = Dictionary(uniqueKeysWithValues: try SQLiteStore(path: served.database).feedDocuments().map { ($0.id, $0) })
        for ack in acks {
            let document = try #require(stored[ack.documentID], "document \(ack.documentID) was acknowledged but is not stored")
            #expect(Array(document.bytes) == ack.bytes)
            #expect(["applied", "superseded"].contains(document.outcome), "\(ack.documentID): \(document.outcome)")
        }
        let replay = try await Fixtures.run(PodiumBinary.path, ["replay", "--database", served.database])
        #expect(replay.status == 0 && replay.out.contains("the stored facts agree"), "\(replay.out)\(replay.err)")
        // And the restarted server takes the feed where it stopped.
        let next = try await served.call("POST", "/v1/feeds/odf", body: documents.last!, port: newPort)
        #expect(next.status == 200, "\(next.json)")
        restarted.terminate()
        restarted.waitUntilExit()
    }

    @Test func aFullDiskUnderAJobsOutputFailsTheJobNamingThePathAndKeepsTheStore() async throws {
        let disk = try SmallDisk(megabytes: 2)
        let jobs = disk.folder.appendingPathComponent("jobs")
        try FileManager.default.createDirectory(at: jobs, withIntermediateDirectories: true)
        // Room for a few segments of the fixture's HLS, not for all of it.
        try disk.fill(leaving: 300_000)
        let served = try await Served(extra: ["--jobs-dir", jobs.path, "--fixtures", Fixtures.root.appendingPathComponent("fixtures").path])
        defer { served.stop() }
        let startList = Array(try Data(contentsOf: Fixtures.swim.appendingPathComponent("results/02-DT_RESULT-START_LIST.xml")))
        let posted = try await served.call("POST", "/v1/feeds/odf", body: startList)
        #expect(posted.status == 200, "\(posted.json)")

        let created = try await served.call("POST", "/v1/jobs", body: Array(#"{"input": "fixture:swim-100-free", "hls": {"segmentSeconds": 1}}"#.utf8))
        #expect(created.status == 201, "\(created.json)")
        let job = try await served.ended(job: 1, within: 60)
        #expect(job["state"] as? String == "failed", "\(job)")
        let failure = job["failure"] as? String ?? ""
        #expect(failure.contains(jobs.path) && failure.lowercased().contains("space"), "the failure names the path and the cause: \(failure)")

        // The server and its store are whole: the frames written before the disk filled can be
        // read, the acknowledged document is there, and the server is ready for the next job.
        let frames = job["frames"] as? Int ?? 0
        #expect(frames > 0, "\(job)")
        let first = try await served.call("GET", "/v1/jobs/1/frames?from=0&to=0")
        #expect(first.status == 200)
        let unit = try await served.call("GET", "/v1/units/SWMM100MFR------------FNL-000100--")
        #expect(unit.status == 200, "\(unit.json)")
        #expect(try await served.call("GET", "/readyz").status == 200)
        let integrity = try await Fixtures.run("sqlite3", [served.database, "PRAGMA integrity_check"])
        #expect(integrity.out.trimmingCharacters(in: .whitespacesAndNewlines) == "ok", "\(integrity.out)\(integrity.err)")
    }

    @Test func aReceiverThatStopsReadingLeavesTheJobAndItsOtherOutputsWhole() async throws {
        let folder = try Fixtures.scratchFolder()
        let clip = folder.appendingPathComponent("live.ts")
        // 12 Mb/s: more than the kernel buffers between Podium and the hung receiver hold (its
        // receive buffer fixed at 64 KiB, Podium's send buffer growing to 4 MiB), so its output backs up.
        try await Clips.transportStream(at: clip, seconds: 8, size: "640x360", extra: [
            "-b:v", "12M", "-minrate", "12M", "-maxrate", "12M", "-bufsize", "1M", "-x264-params", "nal-hrd=cbr",
        ])
        let ports = Loopback.freePorts(3)
        let (inputPort, udpPort, rtmpPort) = (ports[0], ports[1], ports[2])
        let served = try await Served(extra: ["--jobs-dir", folder.appendingPathComponent("jobs").path])
        defer { served.stop() }
        let udpReceiver = try UDPCapture(port: udpPort)
        let rtmpReceiver = try BackgroundProcess("ffmpeg", [
            "-hide_banner", "-v", "error", "-listen", "1", "-recv_buffer_size", "65536", "-i", "rtmp://127.0.0.1:\(rtmpPort)/live/final", "-c", "copy", "-f", "flv",
            folder.appendingPathComponent("rtmp.flv").path,
        ])
        defer { rtmpReceiver.resume(); rtmpReceiver.kill() }
        try #require(await Loopback.waitForTCPListenerUntouched(on: rtmpPort), "the RTMP receiver did not start")

        let startList = Array(try Data(contentsOf: Fixtures.swim.appendingPathComponent("results/02-DT_RESULT-START_LIST.xml")))
        #expect(try await served.call("POST", "/v1/feeds/odf", body: startList).status == 200)
        let request = #"{"input": "udp://127.0.0.1:\#(inputPort)", "clock": {"source": "arrival"}, "results": {"source": "feeds", "unit": "SWMM100MFR------------FNL-000100--"}, "carriers": ["id3", "sei"], "outputs": ["udp://127.0.0.1:\#(udpPort)", "rtmp://127.0.0.1:\#(rtmpPort)/live/final"], "hls": {"segmentSeconds": 1}}"#
        let created = try await served.call("POST", "/v1/jobs", body: Array(request.utf8))
        try #require(created.status == 201, "\(created.json)")
        #expect(await Loopback.waitForUDPListener(on: inputPort))
        let sender = try BackgroundProcess("ffmpeg", [
            "-hide_banner", "-v", "error", "-re", "-i", clip.path, "-map", "0", "-c", "copy", "-f", "mpegts", "udp://127.0.0.1:\(inputPort)?pkt_size=1316",
        ])
        defer { sender.kill() }
        // The RTMP receiver hangs once it has taken its first megabyte (under a second of the
        // feed): its connection stays open, nothing more is read. Hanging it by its progress, not
        // after a time, leaves the ~11 MB still to come to back up behind it, however slowly this
        // test is scheduled beside others.
        let received = folder.appendingPathComponent("rtmp.flv")
        let tookAMegabyte = await OwnThread.run {
            let deadline = Date().addingTimeInterval(20)
            while Date() < deadline {
                let size = (try? FileManager.default.attributesOfItem(atPath: received.path)[.size] as? Int) ?? 0
                if size >= 1 << 20 { return true }
                usleep(5_000)
            }
            return false
        }
        rtmpReceiver.suspend()
        try #require(tookAMegabyte && sender.isRunning, "the RTMP receiver hangs while most of the feed is still to come")
        await sender.wait(timeout: 30)
        try await Task.sleep(for: .seconds(1))
        let stopped = try await served.call("DELETE", "/v1/jobs/1")
        #expect(stopped.status == 200, "the job stops at once, whatever the hung receiver does: \(stopped.json)")
        let job = try await served.ended(job: 1, within: 30)
        let udpBytes = udpReceiver.stop()

        #expect(job["state"] as? String == "stopped", "\(job)")
        let stats = try #require(job["stats"] as? [String: Any], "\(job)")
        let frames = try #require(stats["frames"] as? Int)
        #expect(frames >= 398, "Podium read \(frames) of the 400 frames sent")
        #expect(stats["corruptPackets"] as? Int == 0, "a 12 Mb/s feed arrives whole: \(stats)")
        let outputs = try #require(stats["outputs"] as? [[String: Any]])
        let udp = try #require(outputs.first { ($0["target"] as? String)?.hasPrefix("udp://") == true }, "\(outputs)")
        #expect(udp["dropped"] as? Int == 0 && udp["failure"] == nil, "\(udp)")
        let rtmp = try #require(outputs.first { ($0["target"] as? String)?.hasPrefix("rtmp://") == true }, "\(outputs)")
        #expect((rtmp["written"] as? Int ?? 0) > 0, "the receiver read before it hung: \(rtmp)")
        #expect((rtmp["dropped"] as? Int ?? 0) > 0 || rtmp["failure"] != nil, "the hung receiver's output reports what it did not deliver: \(rtmp)")

        // The receiver that read got every frame the job read, each tagged at its PTS.
        let stream = try TransportStream(bytes: Array(udpBytes.prefix(udpBytes.count / 188 * 188)))
        let video = stream.packets[try #require(stream.pid(ofStreamType: 0x1B))] ?? []
        let tags = stream.packets[try #require(stream.pid(ofStreamType: 0x15))] ?? []
        #expect(video.count == frames)
        #expect(Set(tags.compactMap(\.pts)) == Set(video.compactMap(\.pts)))
        // And the job's HLS is complete.
        let playlistPath = try #require((job["output"] as? String)?.split(separator: " ").first { $0.hasSuffix(".m3u8") }, "\(job)")
        let playlist = try String(contentsOfFile: String(playlistPath), encoding: .utf8)
        #expect(playlist.contains("#EXT-X-ENDLIST"))
    }
}
