import Foundation
import Overlay
import Store
import TestSupport
import Testing

enum PodiumFeeds {
    static let root = Fixtures.root.appendingPathComponent("fixtures/feeds")

    static func run(_ arguments: [String]) async throws -> (status: Int32, out: String, err: String) {
        try await Fixtures.run(PodiumBinary.path, arguments)
    }
}

struct ImportCommandTests {
    @Test func importsAFolderWithItsManifestTimesThenReportsDuplicates() async throws {
        let database = try Fixtures.scratchFolder().appendingPathComponent("podium.sqlite").path
        let folder = PodiumFeeds.root.appendingPathComponent("athletics-100m").path
        let first = try await PodiumFeeds.run(["import", folder, "--database", database])
        #expect(first.status == 0, "\(first.err)")
        let lines = first.out.split(separator: "\n")
        #expect(lines.count == 5)
        #expect(lines.allSatisfy { $0.contains(": accepted (odf) #") })
        let stored = try SQLiteStore(path: database).feedDocuments()
        #expect(stored.map(\.receivedUTC).first == "2026-08-02T18:00:00.200000Z")

        let second = try await PodiumFeeds.run(["import", folder, "--database", database])
        #expect(second.status == 0)
        #expect(second.out.split(separator: "\n").allSatisfy { $0.contains(": duplicate (odf) of #") })
        #expect(try SQLiteStore(path: database).feedDocuments().count == 5)
    }

    /// Documents are read and decoded many at a time ahead of the intake (in batches of 64); what
    /// the store gets and the operator reads is still one document at a time, in name order, and
    /// an entry that cannot be read stops the import right there, with everything before it stored.
    @Test func aLargeFolderIsTakenInNameOrderAndStopsAtAnEntryItCannotRead() async throws {
        let scratch = try Fixtures.scratchFolder()
        let folder = scratch.appendingPathComponent("versions")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let template = try String(contentsOf: Fixtures.swim.appendingPathComponent("results/05-DT_RESULT-OFFICIAL.xml"), encoding: .utf8)
        for version in 1...150 {
            let text = template.replacingOccurrences(of: #"Version="4""#, with: #"Version="\#(version)""#)
            try Data(text.utf8).write(to: folder.appendingPathComponent(String(format: "v%03d.xml", version)))
        }
        // A folder where the 101st document should be: listed, but not a file that can be read.
        try FileManager.default.createDirectory(at: folder.appendingPathComponent("v100a.xml"), withIntermediateDirectories: true)
        let database = scratch.appendingPathComponent("podium.sqlite").path
        let run = try await PodiumFeeds.run(["import", folder.path, "--database", database])
        #expect(run.status != 0)
        #expect(run.err.contains("v100a.xml cannot be read"), "\(run.err)")
        let lines = run.out.split(separator: "\n").map(String.init)
        #expect(lines.count == 100)
        #expect(lines.enumerated().allSatisfy { index, line in line.hasSuffix(String(format: "v%03d.xml: accepted (odf) #%d", index + 1, index + 1)) })
        let stored = try SQLiteStore(path: database).feedDocuments()
        #expect(stored.count == 100)
        #expect(stored.map(\.source) == (1...100).map { folder.appendingPathComponent(String(format: "v%03d.xml", $0)).path })
    }

    @Test func aRejectedDocumentIsReportedAndTheRestStillImported() async throws {
        let scratch = try Fixtures.scratchFolder()
        let folder = scratch.appendingPathComponent("drop")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: PodiumFeeds.root.appendingPathComponent("lenex/podium-open.lxf"), to: folder.appendingPathComponent("a.lxf"))
        try Data(#"{"format":"podium-events","version":2}"#.utf8).write(to: folder.appendingPathComponent("b.json"))
        try FileManager.default.copyItem(at: PodiumFeeds.root.appendingPathComponent("events/swim-100-free-events.json"), to: folder.appendingPathComponent("c.json"))
        let database = scratch.appendingPathComponent("podium.sqlite").path
        let run = try await PodiumFeeds.run(["import", folder.path, "--database", database])
        #expect(run.status == 1)
        let lines = run.out.split(separator: "\n").map(String.init)
        #expect(lines.count == 3)
        #expect(lines[0].hasSuffix("a.lxf: accepted (lenex) #1"))
        #expect(lines[1].hasSuffix("b.json: rejected #2: podium-events: $.version: must be 1"))
        #expect(lines[2].hasSuffix("c.json: accepted (podium-events) #3"))
        let replay = try await PodiumFeeds.run(["replay", "--database", database])
        #expect(replay.status == 0)
        #expect(replay.out == "replayed 2 documents: the stored facts agree\n")
    }

    @Test func watchingAFolderImportsEachNewFileOnce() async throws {
        let scratch = try Fixtures.scratchFolder()
        let inbox = scratch.appendingPathComponent("inbox")
        try FileManager.default.createDirectory(at: inbox, withIntermediateDirectories: true)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: PodiumBinary.path)
        process.arguments = ["import", "--watch", inbox.path, "--interval", "0.05", "--database", scratch.appendingPathComponent("podium.sqlite").path]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        defer { if process.isRunning { process.terminate() } }
        for name in ["01-DT_PARTIC.xml", "02-DT_RESULT-START_LIST.xml"] {
            try FileManager.default.copyItem(at: PodiumFeeds.root.appendingPathComponent("athletics-100m/\(name)"), to: inbox.appendingPathComponent(name))
        }
        var seen = ""
        let deadline = Date().addingTimeInterval(20)
        while Date() < deadline, seen.components(separatedBy: "accepted").count - 1 < 2 {
            seen += String(decoding: pipe.fileHandleForReading.availableData, as: UTF8.self)
        }
        process.terminate()
        process.waitUntilExit()
        #expect(seen.contains("01-DT_PARTIC.xml: accepted (odf) #1"))
        #expect(seen.contains("02-DT_RESULT-START_LIST.xml: accepted (odf) #2"))
    }

    /// A results folder of `count` successive versions of the swimming result message.
    static func manyVersions(_ count: Int, in folder: URL) throws {
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let template = try String(contentsOf: Fixtures.swim.appendingPathComponent("results/05-DT_RESULT-OFFICIAL.xml"), encoding: .utf8)
        for version in 1...count {
            let text = template
                .replacingOccurrences(of: #"Version="4""#, with: #"Version="\#(version)""#)
                .replacingOccurrences(of: #"Value="3.98""#, with: #"Value="\#(String(format: "%d.%02d", 3 + version / 100, version % 100))""#)
            try text.write(to: folder.appendingPathComponent(String(format: "v%04d.xml", version)), atomically: true, encoding: .utf8)
        }
    }

    @Test func aKillMidImportLosesNothingThatWasReportedAccepted() async throws {
        let scratch = try Fixtures.scratchFolder()
        let folder = scratch.appendingPathComponent("versions")
        try Self.manyVersions(2000, in: folder)
        let database = scratch.appendingPathComponent("podium.sqlite").path
        let process = Process()
        process.executableURL = URL(fileURLWithPath: PodiumBinary.path)
        process.arguments = ["import", folder.path, "--database", database]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        var seen = ""
        while seen.components(separatedBy: ": accepted").count - 1 < 40 {
            let chunk = pipe.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            seen += String(decoding: chunk, as: UTF8.self)
        }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        #expect(process.terminationReason == .uncaughtSignal, "the import must still have been running when killed")

        let reported = seen.split(separator: "\n").filter { $0.contains(": accepted") }.map { String($0.split(separator: ":").first!) }
        #expect(reported.count >= 40)
        let stored = try SQLiteStore(path: database).feedDocuments()
        let storedSources = Set(stored.filter { $0.outcome == "applied" }.map(\.source))
        for source in reported { #expect(storedSources.contains(source), "\(source) was reported accepted but is not stored") }
        let replay = try await PodiumFeeds.run(["replay", "--database", database])
        #expect(replay.status == 0, "\(replay.out)")
    }
}

struct ResultsCommandTests {
    @Test func showsWhatWasOnAirAndWhatIsTrueAfterTheCorrection() async throws {
        let scratch = try Fixtures.scratchFolder()
        let database = scratch.appendingPathComponent("podium.sqlite").path
        let imported = try await PodiumFeeds.run(["import", Fixtures.swim.appendingPathComponent("results").path, "--database", database])
        #expect(imported.status == 0, "\(imported.err)")
        // Without a manifest the correction is stamped with the time of import: long after the race was on air.
        let correction = PodiumFeeds.root.appendingPathComponent("swim-100-free-correction").path
        await #expect(try PodiumFeeds.run(["import", correction, "--database", database]).status == 0)

        let unit = "SWMM100MFR------------FNL-000100--"
        let onAir = try await PodiumFeeds.run(["results", unit, "--as-known-at", "2026-07-31T19:45:00Z", "--database", database])
        #expect(onAir.status == 0, "\(onAir.err)")
        let latest = try await PodiumFeeds.run(["results", unit, "--database", database])
        func lane7(_ text: String) throws -> [String: Any] {
            let object = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
            let lanes = try #require(object["lanes"] as? [[String: Any]])
            return try #require(lanes.first { $0["lane"] as? Int == 7 })
        }
        #expect(try lane7(onAir.out)["rank"] as? Int == 6)
        #expect(try lane7(onAir.out)["status"] == nil)
        #expect(try lane7(latest.out)["status"] as? String == "DSQ")
        #expect(try lane7(latest.out)["name"] as? String == "Mateusz WRÓBEL")

        let unknown = try await PodiumFeeds.run(["results", "SWMW200MBF------------FNL-000100--", "--database", database])
        #expect(unknown.status != 0)
        #expect(unknown.err == "podium results: error: no results for SWMW200MBF------------FNL-000100--\n")
    }
}

struct CheckCommandTests {
    @Test(arguments: [[], ["--template", "swimming"]])
    func theFixtureMatchesItsGoldenFiles(template: [String]) async throws {
        let run = try await Fixtures.run(PodiumBinary.path, ["check", Fixtures.swim.path] + template)
        #expect(run.status == 0, "\(run.out)\(run.err)")
        #expect(run.out == "all 600 frames match\n")
    }

    @Test func aDifferenceIsNamedByFrameFieldExpectedAndActual() async throws {
        let copy = try Fixtures.scratchFolder().appendingPathComponent("swim")
        try FileManager.default.copyItem(at: Fixtures.swim, to: copy)
        let golden = copy.appendingPathComponent("expected/frames.jsonl.zip")
        var lines = try Fixtures.goldenLines(golden)
        lines[104] = lines[104].replacingOccurrences(of: #""reaction":{"display":"0.59","hundredths":59}"#, with: #""reaction":{"display":"0.58","hundredths":58}"#)
        try Fixtures.writeGolden(lines, to: golden)
        let run = try await Fixtures.run(PodiumBinary.path, ["check", copy.path])
        #expect(run.status == 1)
        #expect(run.out == "frame 104: $.lanes[3].reaction.display: expected \"0.58\", got \"0.59\"\n")
    }

    @Test func aBrokenTemplateIsNamedWithItsJSONPath() async throws {
        let template = try Fixtures.scratchFolder().appendingPathComponent("bad.json")
        try Data(#"{"name":"bad","version":"1","elements":[{"id":"c","kind":"clock","trigger":{"on":"gun"},"text":"x","layout":{"rect":[0,0,1,1]}}]}"#.utf8).write(to: template)
        let run = try await Fixtures.run(PodiumBinary.path, ["render", Fixtures.swim.path, "--template", template.path])
        #expect(run.status == 1)
        #expect(run.err.hasPrefix("podium render: error: template \(template.path): $.elements[0].trigger.on: must be one of"))
    }
}

struct CameraRecordCommandTests {
    @Test func recordsFreeDFromUDPAndTheRecordingReplaysWithBadMessagesCounted() async throws {
        let out = try Fixtures.scratchFolder().appendingPathComponent("camera.jsonl")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: PodiumBinary.path)
        process.arguments = ["camera", "record", "--listen", "127.0.0.1:0", "--duration", "2", "--out", out.path]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        var seen = ""
        while !seen.contains("\n") {
            let chunk = pipe.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            seen += String(decoding: chunk, as: UTF8.self)
        }
        let port = try #require(UInt16(seen.split(separator: ":").last?.split(separator: "\n").first ?? ""))
        var messages = (0..<20).map { index in
            FreeD.encode(CameraPose(camera: 2, pan: Double(index), tilt: -10, roll: 0, x: 1, y: 2, z: 3, zoom: 100, focus: 5))
        }
        var broken = messages[0]
        broken[28] &+= 1
        messages += [broken, broken, [0xD1, 0x00]]
        #expect(UDPSender.send(messages, toPort: port) == 23)
        process.waitUntilExit()
        let tail = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(process.terminationStatus == 0)
        #expect(tail.contains("recorded 23 messages (3 with a bad checksum or type)"), "\(seen)\(tail)")
        let track = try CameraTrack.recording(try Data(contentsOf: out))
        #expect(track.samples.count == 20)
        #expect(track.rejected == 3)
        #expect(track.samples.map(\.pose.pan) == (0..<20).map(Double.init))
    }
}

struct AthleticsFixtureTests {
    @Test(arguments: [[], ["--template", "athletics-100m"]])
    func theAthleticsFixtureMatchesItsGoldenFiles(template: [String]) async throws {
        let run = try await Fixtures.run(PodiumBinary.path, ["check", Fixtures.root.appendingPathComponent("fixtures/athletics-100m").path] + template)
        #expect(run.status == 0, "\(run.out)\(run.err)")
        #expect(run.out == "all 600 frames match\n")
    }
}
