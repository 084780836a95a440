import API
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Overlay
import Store
import TestSupport
import Testing

/// Podium's templates as EBU OGraf v1 graphics: served by the API, and driven in a real browser
/// (Debian's Chromium, headless) by a minimal OGraf host, in real time and non-real time.
@Suite(.serialized)
struct OGrafTests {
    let server: ServerUnderTest
    let designer: String
    let viewer: String
    let admin: String

    init() throws {
        server = try ServerUnderTest("ograf")
        designer = try server.store.createKey(scope: .designer, owner: "studio", createdUTC: "2026-07-31T19:40:00.000000Z").secret
        viewer = try server.store.createKey(scope: .viewer, owner: "app", createdUTC: "2026-07-31T19:40:00.000000Z").secret
        admin = try server.store.createKey(scope: .admin, owner: "ops", createdUTC: "2026-07-31T19:40:00.000000Z").secret
    }

    static func swimming() throws -> OverlayTemplate {
        try OverlayTemplate.parse(try Data(contentsOf: Fixtures.root.appendingPathComponent("templates/swimming.json")))
    }

    @Test func aTemplatesGraphicIsServedAsAZipOfTheExportedFiles() async throws {
        let expected = try OGrafExport.files(for: Self.swimming())
        let (designer, viewer) = (designer, viewer)
        var stored = try JSONSerialization.jsonObject(with: Data(contentsOf: Fixtures.root.appendingPathComponent("templates/swimming.json"))) as? [String: Any] ?? [:]
        stored["name"] = "pool-final"
        stored["version"] = "7"
        let storedBody = try JSONSerialization.data(withJSONObject: stored)
        try await server.serve { client in
            // A bundled template, for any reader.
            let bundled = try await client.execute(uri: "/v1/templates/swimming/ograf", method: .get, headers: [.authorization: "Bearer \(viewer)"])
            #expect(bundled.status == .ok)
            #expect(bundled.headers[.contentType] == "application/zip")
            #expect(bundled.headers[.contentDisposition] == #"attachment; filename="swimming.ograf.zip""#)
            let entries = try Fixtures.zipEntries(Data(bundled.body.readableBytesView))
            #expect(entries.keys.sorted() == ["swimming/graphic.mjs", "swimming/swimming.ograf.json"])
            for file in expected { #expect(entries["swimming/\(file.name)"] == file.bytes, "\(file.name)") }
            // A template stored through the API wins over a bundled one and is exported as stored.
            let put = try await client.execute(uri: "/v1/templates/pool-final", method: .put, headers: [.authorization: "Bearer \(designer)"], body: ByteBuffer(bytes: storedBody))
            #expect(put.status == .created)
            let own = try await client.execute(uri: "/v1/templates/pool-final/ograf", method: .get, headers: [.authorization: "Bearer \(designer)"])
            #expect(own.status == .ok)
            let ownEntries = try Fixtures.zipEntries(Data(own.body.readableBytesView))
            let manifestBytes = try #require(ownEntries["pool-final/pool-final.ograf.json"])
            let manifest = try #require(try JSONSerialization.jsonObject(with: manifestBytes) as? [String: Any])
            #expect(manifest["id"] as? String == "tv.podium.template.pool-final" && manifest["version"] as? String == "7")
            // Unknown names, bad names and missing keys are refused as the other template routes refuse them.
            let unknown = try await client.execute(uri: "/v1/templates/no-such/ograf", method: .get, headers: [.authorization: "Bearer \(viewer)"])
            #expect(unknown.status == .notFound)
            #expect(String(buffer: unknown.body).contains(#""code":"not_found""#))
            let anonymous = try await client.execute(uri: "/v1/templates/swimming/ograf", method: .get, headers: [:])
            #expect(anonymous.status == .unauthorized)
            let badName = try await client.execute(uri: "/v1/templates/..%2Fetc/ograf", method: .get, headers: [.authorization: "Bearer \(viewer)"])
            #expect(badName.status == .badRequest || badName.status == .notFound, "\(badName.status)")
        }
    }

    /// A minimal OGraf host, as a renderer runs a graphic: `load → playAction → updateAction →
    /// customAction → stopAction → dispose` in real time, then `setActionsSchedule` and `goToTime`
    /// in non-real time. The page's DOM must show exactly the texts of the frame it was given.
    @Test func anOGrafHostDrivesTheExportedGraphicFrameByFrame() async throws {
        let folder = try Fixtures.scratchFolder("ograf-host")
        _ = try OGrafExport.write(Self.swimming(), to: folder)
        let golden = try Fixtures.swimGolden("frames.swimming")
        try Data(("[" + golden.joined(separator: ",") + "]").utf8).write(to: folder.appendingPathComponent("frames.json"))
        try Data(Self.hostPage.utf8).write(to: folder.appendingPathComponent("host.html"))
        let frames = try golden.map { try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]) }
        /// What frame `n` puts on screen: its elements that show (the rule of Podium's previews), id and text.
        func shown(_ n: Int) -> [[String]] {
            (frames[n]["elements"] as? [[String: Any]] ?? []).filter { element in
                (element["opacity"] as? Double ?? 0) > 0 && (element["rect"] != nil || element["visible"] as? Bool == true && element["screen"] != nil)
            }.map { [$0["id"] as? String ?? "", $0["text"] as? String ?? ""] }
        }
        for n in [312, 490, 599] { #expect(!shown(n).isEmpty, "frame \(n) shows nothing") }

        let (http, port) = try await Loopback.httpServer(serving: folder)
        defer { http.kill() }
        let chromium = try await HeadlessChromium.launch()
        defer { chromium.close() }
        let visit = try await chromium.visit("http://127.0.0.1:\(port)/host.html", probe: "document.getElementById('result').textContent") { !$0.isEmpty }
        #expect(visit.errors.isEmpty, "\(visit.errors)")
        let result = try #require(try JSONSerialization.jsonObject(with: Data(visit.value.utf8)) as? [String: Any], "\(visit.value)")
        #expect((result["errors"] as? [String])?.isEmpty == true, "\(result["errors"] ?? "")")
        let statuses = try #require(result["statuses"] as? [String: Any])
        for action in ["load", "play", "update", "startClock", "stopClock", "stop", "dispose", "nrtLoad"] + [312, 490, 599, 0].map({ "goToTime\($0)" }) {
            #expect((statuses[action] as? [String: Any])?["statusCode"] as? Int == 200, "\(action): \(statuses[action] ?? "none")")
        }
        #expect((statuses["play"] as? [String: Any])?["currentStep"] as? Int == 0)
        #expect((statuses["unknown"] as? [String: Any])?["statusCode"] as? Int == 404)
        // Real time: after updateAction with frame 312, the DOM holds frame 312's texts, in its order.
        #expect(result["updated"] as? [[String]] == shown(312))
        // The clock runs locally from the hundredths given, then holds where it stopped.
        let running = try #require(result["clockRunning"] as? String)
        let held = try #require(result["clockHeld"] as? String)
        #expect(Self.hundredths(running).map { $0 > 1234 && $0 < 1234 + 1000 } == true, "\(running)")
        #expect(result["clockHeldLater"] as? String == held)
        #expect((result["afterStop"] as? [Any])?.isEmpty == true)
        #expect(result["afterDispose"] as? Int == 0)
        // Non-real time: each frame at its time, whatever was asked before, and nothing before play.
        let scheduled = try #require(result["nrt"] as? [String: [[String]]])
        for n in [312, 490, 599] { #expect(scheduled["\(n)"] == shown(n), "frame \(n)") }
        #expect(result["again"] as? [[String]] == shown(312))
        #expect(scheduled["0"]?.isEmpty == true)
        // 1 s after it started at 5.00, the clock shows 6.00.
        #expect(result["nrtClock"] as? [String] == ["0.50", "6.00"])
    }

    /// Podium as an OGraf controller: `/ograf/host` follows a job's frames over SSE and drives the
    /// graphic, updating it only when what is on screen changes, the clock run by the graphic.
    @Test func theHostPageDrivesTheGraphicWithAJobsFramesOnEachVisibleChange() async throws {
        let (admin, store) = (admin, server.store)
        let chromium = try await HeadlessChromium.launch()
        try await server.serve { client in
            defer { chromium.close() }
            let port = try #require(client.port)
            for path in ["/ograf/host", "/ograf/graphic.mjs"] {
                let page = try await client.execute(uri: path, method: .get, headers: [:])
                #expect(page.status == .ok, "\(path)")
            }
            let id = try await Self.finishedJob(client, store: store, key: admin)
            // What the host should do, from the aired frames: an update each time the shown elements
            // change (a running clock's text aside), one clock start, the last shown texts.
            let frames = try await store.frames(jobID: Int64(id), from: 0, to: 100_000, limit: 100_000).map { stored in
                try #require(try JSONSerialization.jsonObject(with: stored.overlayJSON) as? [String: Any])
            }
            try #require(frames.count == 600)
            var changes = 0
            var previous: [String]?
            var lastShown: [[String]] = []
            var clockStarts = 0
            var clockWasRunning = false
            for frame in frames {
                let running = (frame["clock"] as? [String: Any])?["state"] as? String == "running"
                if running && !clockWasRunning { clockStarts += 1 }
                clockWasRunning = running
                let shown = (frame["elements"] as? [[String: Any]] ?? []).filter { element in
                    (element["opacity"] as? Double ?? 0) > 0 && (element["rect"] != nil || element["visible"] as? Bool == true && element["screen"] != nil)
                }
                let signature = shown.map { element in
                    let text = running && element["kind"] as? String == "clock" ? "" : element["text"] as? String ?? ""
                    let place = try? JSONSerialization.data(withJSONObject: element["rect"] ?? element["screen"] ?? [], options: .sortedKeys)
                    return "\(element["id"] ?? "")|\(text)|\(element["opacity"] ?? "")|\(place.map { String(decoding: $0, as: UTF8.self) } ?? "")"
                }
                if signature != previous { changes += 1 }
                previous = signature
                lastShown = shown.map { [$0["id"] as? String ?? "", $0["text"] as? String ?? ""] }
            }
            #expect(changes > 1 && changes < 600, "\(changes)")
            let visit = try await Self.visitHost(chromium, port: port, key: admin, job: id)
            #expect(visit.errors.isEmpty, "\(visit.errors)")
            let page = try #require(try JSONSerialization.jsonObject(with: Data(visit.value.utf8)) as? [String: Any], "\(visit.value)")
            #expect((page["errors"] as? [Any])?.isEmpty == true, "\(page)")
            #expect(page["frames"] as? Int == 600 && page["lastFrame"] as? Int == 599 && page["ended"] as? Bool == true, "\(page)")
            #expect(page["loads"] as? Int == 1)
            #expect(page["updates"] as? Int == changes, "\(page)")
            #expect(page["clockStarts"] as? Int == clockStarts && clockStarts == 1, "\(page)")
            #expect(page["clockStops"] as? Int == 1, "\(page)")
            #expect((page["plays"] as? Int ?? 0) >= 1 && page["stops"] as? Int == page["plays"] as? Int, "\(page)")
            #expect(page["texts"] as? [[String]] == lastShown, "\(page)")
        }
    }

    /// A designer's own graphic the server holds (`fixtures/ograf-graphics/finish-plate`, with its
    /// mapping): its manifest and files are served without a key, nothing outside its folder is,
    /// and a job's frames come mapped to its data over Server-Sent Events, with a key.
    @Test func aDesignersOwnGraphicIsServedAndItsMappedFramesPushed() async throws {
        let (admin, viewer, store, graphics) = (admin, viewer, server.store, server.graphics)
        try await server.serve { client in
            let manifest = try await client.execute(uri: "/ograf/graphics/finish-plate", method: .get, headers: [:])
            #expect(manifest.status == .ok && manifest.headers[.contentType] == "application/json")
            #expect((try JSONSerialization.jsonObject(with: Data(String(buffer: manifest.body).utf8)) as? [String: Any])?["id"] as? String == "example.finish-plate")
            let module = try await client.execute(uri: "/ograf/graphics/finish-plate/lib/motion.mjs", method: .get, headers: [:])
            #expect(module.status == .ok && module.headers[.contentType] == "text/javascript; charset=utf-8")
            #expect(String(buffer: module.body) == (try String(contentsOf: Fixtures.root.appendingPathComponent("fixtures/ograf-graphics/finish-plate/lib/motion.mjs"), encoding: .utf8)))
            for path in ["/ograf/graphics/finish-plate/missing.mjs", "/ograf/graphics/finish-plate/%2e%2e/finish-plate.mapping.json", "/ograf/graphics/no-such", "/ograf/graphics/ebu-manifests"] {
                let refused = try await client.execute(uri: path, method: .get, headers: [:])
                #expect(refused.status == .notFound, "\(path)")
                #expect(String(buffer: refused.body).contains(#""code":"not_found""#), "\(path)")
            }

            let id = try await Self.finishedJob(client, store: store, key: admin)
            let unauthenticated = try await client.execute(uri: "/v1/jobs/\(id)/ograf/finish-plate/events", method: .get, headers: [:])
            #expect(unauthenticated.status == .unauthorized)
            let unknown = try await client.execute(uri: "/v1/jobs/\(id)/ograf/no-such/events", method: .get, headers: [.authorization: "Bearer \(viewer)"])
            #expect(unknown.status == .notFound && String(buffer: unknown.body).contains("no OGraf graphic no-such"))
            let pushed = try await client.execute(uri: "/v1/jobs/\(id)/ograf/finish-plate/events?after=539", method: .get, headers: [.authorization: "Bearer \(viewer)"])
            #expect(pushed.status == .ok)
            let events = String(buffer: pushed.body).components(separatedBy: "\n\n").filter { $0.contains("event: frame") }.compactMap { block in
                block.split(separator: "\n").first { $0.hasPrefix("data: ") }.flatMap { try? JSONSerialization.jsonObject(with: Data($0.dropFirst(6).utf8)) as? [String: Any] }
            }
            #expect(events.compactMap { $0["seq"] as? Int } == Array(540..<600))
            // The plate is shown from the frame that first aired the result board (later in a job
            // than in the fixture's render: the job airs results as they were received).
            let aired = try await store.frames(jobID: Int64(id), from: 0, to: 100_000, limit: 100_000)
            let firstShown = try #require(aired.first { stored in
                let frame = try? JSONSerialization.jsonObject(with: stored.overlayJSON) as? [String: Any]
                return (frame?["elements"] as? [[String: Any]] ?? []).contains { $0["id"] as? String == "results" && $0["visible"] as? Bool == true }
            }?.seq)
            #expect(firstShown > 540)
            #expect(events.filter { $0["shown"] as? Bool == true }.compactMap { $0["seq"] as? Int }.first == firstShown)
            #expect(events.filter { $0["shown"] as? Bool == false }.compactMap { $0["seq"] as? Int }.last == firstShown - 1)
            let mapping = try #require(graphics.graphics["finish-plate"]).mapping
            for event in events {
                let seq = try #require(event["seq"] as? Int)
                let expected = mapping.frameData(for: try JSONValue(parsing: aired[seq].overlayJSON))
                let sent = try JSONValue(parsing: try JSONSerialization.data(withJSONObject: event["data"] ?? [:]))
                #expect(sent == expected.data && event["shown"] as? Bool == expected.shown, "frame \(seq)")
            }
            #expect(String(buffer: pushed.body).contains("event: end"))
            let last = try #require(events.last?["data"] as? [String: Any])
            #expect(last["name"] as? String == "OKAFOR" && last["nation"] as? String == "USA" && last["time"] as? String == "8.31" && last["rank"] as? Int == 1, "\(last)")
        }
    }

    /// The host page drives a designer's own graphic with a job's mapped frames in a real
    /// browser: one load, an update each time the mapped data changes, played when the result
    /// board comes up (once), stopped at the job's end, and the winner on the plate then.
    @Test func theHostPageDrivesADesignersOwnGraphic() async throws {
        let (admin, store, graphics) = (admin, server.store, server.graphics)
        let chromium = try await HeadlessChromium.launch()
        try await server.serve { client in
            defer { chromium.close() }
            let port = try #require(client.port)
            let id = try await Self.finishedJob(client, store: store, key: admin)
            // What the page should do, from the aired frames through the same mapping.
            let mapping = try #require(graphics.graphics["finish-plate"]).mapping
            let mapped = try await store.frames(jobID: Int64(id), from: 0, to: 100_000, limit: 100_000).map { stored in
                mapping.frameData(for: try JSONValue(parsing: stored.overlayJSON))
            }
            try #require(mapped.count == 600)
            let changes = zip(mapped, mapped.dropFirst()).filter { $0.data != $1.data }.count
            let plays = zip([false] + mapped.map(\.shown), mapped.map(\.shown)).filter { !$0 && $1 }.count
            #expect(changes >= 1 && plays == 1, "\(changes) changes, \(plays) plays")
            let visit = try await chromium.visit(
                "http://127.0.0.1:\(port)/ograf/host#key=\(admin)&job=\(id)&graphic=finish-plate", probe: "document.getElementById('state').textContent"
            ) { text in
                guard let page = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] else { return false }
                return page["ended"] as? Bool == true || !((page["errors"] as? [Any])?.isEmpty ?? true)
            }
            #expect(visit.errors.isEmpty, "\(visit.errors)")
            let page = try #require(try JSONSerialization.jsonObject(with: Data(visit.value.utf8)) as? [String: Any], "\(visit.value)")
            #expect((page["errors"] as? [Any])?.isEmpty == true, "\(page)")
            #expect(page["frames"] as? Int == 600 && page["outOfOrder"] as? Int == 0 && page["ended"] as? Bool == true, "\(page)")
            #expect(page["loads"] as? Int == 1 && page["updates"] as? Int == changes, "\(page)")
            #expect(page["plays"] as? Int == plays && page["stops"] as? Int == plays, "\(page)")
            let data = try #require(page["data"] as? [String: Any])
            #expect(data["name"] as? String == "OKAFOR" && data["time"] as? String == "8.31" && data["rank"] as? Int == 1, "\(data)")
            let text = page["text"] as? String ?? ""
            #expect(text.contains("OKAFOR") && text.contains("USA") && text.contains("8.31"), "\(text)")
        }
    }

    /// The SDK's follow (`followJob` of `/sdk/podium.js`, which the host page uses) resumes by
    /// itself when the stream breaks off: through a proxy that cuts the event stream mid-frame,
    /// the host still gets every frame once, in order, and the job's end.
    @Test func aBrokenEventStreamIsResumedWithoutAGap() async throws {
        let (admin, store) = (admin, server.store)
        let chromium = try await HeadlessChromium.launch()
        try await server.serve { client in
            defer { chromium.close() }
            let port = try #require(client.port)
            let id = try await Self.finishedJob(client, store: store, key: admin)
            // About a third of the job's 600 frames (each 2–4 KB of JSON) pass before the cut.
            let proxy = try await OwnThread.run { try CuttingProxy(upstream: port, cutAfter: 600_000) }
            let visit = try await Self.visitHost(chromium, port: Int(proxy.port), key: admin, job: id)
            #expect(proxy.cuts == 1)
            #expect(visit.errors.allSatisfy { $0.contains("ERR_") || $0.contains("network") }, "\(visit.errors)")
            let page = try #require(try JSONSerialization.jsonObject(with: Data(visit.value.utf8)) as? [String: Any], "\(visit.value)")
            #expect((page["errors"] as? [Any])?.isEmpty == true, "\(page)")
            #expect(page["frames"] as? Int == 600 && page["outOfOrder"] as? Int == 0 && page["lastSeq"] as? Int == 599, "\(page)")
            #expect(page["ended"] as? Bool == true, "\(page)")
        }
    }

    /// Runs the swimming fixture as a job with the swimming template (and HLS, as a job needs an
    /// output) to its end; its id.
    static func finishedJob(_ client: any TestClientProtocol, store: SQLiteStore, key: String) async throws -> Int {
        let created = try await client.execute(
            uri: "/v1/jobs", method: .post, headers: [.authorization: "Bearer \(key)", .contentType: "application/json"],
            body: ByteBuffer(string: #"{"input": "fixture:swim-100-free", "template": "swimming", "hls": {"segmentSeconds": 2}}"#)
        )
        try #require(created.status == .created, "\(String(buffer: created.body))")
        let id = try #require(try JSONSerialization.jsonObject(with: Data(created.body.readableBytesView)) as? [String: Any])["id"] as! Int
        var state = "running"
        while state == "running" {
            try await Task.sleep(for: .milliseconds(100))
            state = try await store.job(id: Int64(id))?.state ?? ""
        }
        return id
    }

    /// Opens `/ograf/host` on a job until the page says the job ended (or an error came).
    static func visitHost(_ chromium: HeadlessChromium, port: Int, key: String, job: Int) async throws -> HeadlessChromium.Visit {
        try await chromium.visit("http://127.0.0.1:\(port)/ograf/host#key=\(key)&job=\(job)", probe: "document.getElementById('state').textContent") { text in
            guard let page = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] else { return false }
            return page["ended"] as? Bool == true || !((page["errors"] as? [Any])?.isEmpty ?? true)
        }
    }

    /// A race time's hundredths ("12.34", "1:02.34").
    static func hundredths(_ text: String) -> Int? {
        let parts = text.split(separator: ":")
        guard let last = parts.last, let seconds = Double(last) else { return nil }
        let minutes = parts.count == 2 ? Int(parts[0]) ?? 0 : 0
        return minutes * 6000 + Int((seconds * 100).rounded())
    }

    /// The host: loads the graphic's module as renderers do (an ES module whose default export is
    /// the element class) and reports what each action answered and what the DOM then showed.
    static let hostPage = #"""
    <!doctype html>
    <html><head><link rel="icon" href="data:,"></head><body style="margin:0">
    <div id="stage" style="position:relative;width:1280px;height:720px;background:#000"></div>
    <pre id="result"></pre>
    <script type="module">
    const out = { statuses: {}, errors: [] };
    const texts = (graphic) => [...graphic.querySelectorAll("[data-id]")].map((node) => [node.dataset.id, node.textContent]);
    const wait = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
    try {
      const { default: Graphic } = await import("./graphic.mjs");
      customElements.define("podium-graphic", Graphic);
      const frames = await (await fetch("./frames.json")).json();
      const stage = document.getElementById("stage");
      const characteristics = { resolution: { width: 1280, height: 720 }, frameRate: 50 };

      const live = document.createElement("podium-graphic");
      stage.append(live);
      out.statuses.load = await live.load({ data: frames[0], renderType: "realtime", renderCharacteristics: characteristics });
      out.statuses.play = await live.playAction({});
      out.statuses.update = await live.updateAction({ data: frames[312] });
      out.updated = texts(live);
      out.statuses.startClock = await live.customAction({ id: "startClock", payload: { hundredths: 1234 } });
      await wait(300);
      out.clockRunning = live.querySelector('[data-id="clock"]')?.textContent;
      out.statuses.stopClock = await live.customAction({ id: "stopClock", payload: null });
      out.clockHeld = live.querySelector('[data-id="clock"]')?.textContent;
      await wait(200);
      out.clockHeldLater = live.querySelector('[data-id="clock"]')?.textContent;
      out.statuses.unknown = await live.customAction({ id: "no-such-action", payload: null });
      out.statuses.stop = await live.stopAction({});
      out.afterStop = texts(live);
      out.statuses.dispose = await live.dispose({});
      out.afterDispose = live.childElementCount;
      live.remove();

      const offline = document.createElement("podium-graphic");
      stage.append(offline);
      out.statuses.nrtLoad = await offline.load({ renderType: "non-realtime", renderCharacteristics: characteristics });
      const at = (frame) => (frame.pts - frames[0].pts) * 1000 / 90000;
      const schedule = [{ timestamp: 0, action: { type: "playAction", params: {} } }]
        .concat(frames.map((frame) => ({ timestamp: at(frame), action: { type: "updateAction", params: { data: frame } } })));
      // Handed over out of order: the graphic orders them by time.
      out.statuses.schedule = await offline.setActionsSchedule({ schedule: schedule.reverse() });
      out.nrt = {};
      for (const n of [599, 312, 490]) {
        out.statuses["goToTime" + n] = await offline.goToTime({ timestamp: at(frames[n]) });
        out.nrt[n] = texts(offline);
      }
      out.statuses.goToTime0 = await offline.goToTime({ timestamp: -1 });
      out.nrt[0] = texts(offline);
      await offline.goToTime({ timestamp: at(frames[312]) });
      out.again = texts(offline);
      // A clock started by the schedule runs on the renderer's time, not the page's.
      await offline.setActionsSchedule({ schedule: [
        { timestamp: 0, action: { type: "playAction", params: {} } },
        { timestamp: 0, action: { type: "updateAction", params: { data: frames[100] } } },
        { timestamp: 100, action: { type: "customAction", params: { id: "startClock", payload: { hundredths: 500 } } } },
      ] });
      const clockAt = async (ms) => { await offline.goToTime({ timestamp: ms }); return offline.querySelector('[data-id="clock"]')?.textContent; };
      out.nrtClock = [await clockAt(50), await clockAt(1100)];
    } catch (error) {
      out.errors.push(String(error && error.stack || error));
    }
    document.getElementById("result").textContent = JSON.stringify(out);
    </script>
    </body></html>
    """#
}
