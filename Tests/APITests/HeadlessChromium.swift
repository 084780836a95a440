import AsyncHTTPClient
import Foundation
import HummingbirdWSClient
import Logging
import NIOCore
import NIOWebSocket
import TestSupport

/// Debian's Chromium, headless, driven over the DevTools protocol: open a page, evaluate script in
/// it until a condition holds, take a screenshot, and collect every console error and uncaught
/// exception on the way.
final class HeadlessChromium: @unchecked Sendable {
    private let process: BackgroundProcess
    private let profile: URL
    let port: Int

    struct Failure: Error, CustomStringConvertible { let description: String }

    init() throws {
        profile = try Fixtures.scratchFolder("chromium-profile")
        process = try BackgroundProcess("chromium", [
            "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run", "--mute-audio",
            "--autoplay-policy=no-user-gesture-required", "--remote-debugging-port=0", "--remote-allow-origins=*",
            "--user-data-dir=\(profile.path)", "--window-size=800,600", "about:blank",
        ])
        let portFile = profile.appendingPathComponent("DevToolsActivePort")
        let deadline = Date().addingTimeInterval(30)
        var found: Int?
        while Date() < deadline, found == nil {
            if let text = try? String(contentsOf: portFile, encoding: .utf8), let first = text.split(separator: "\n").first { found = Int(first) }
            if found == nil { usleep(100_000) }
        }
        guard let found else { process.kill(); throw Failure(description: "chromium did not open its DevTools port") }
        port = found
    }

    /// Starts a browser and waits for its DevTools port on a thread of its own (`OwnThread`).
    static func launch() async throws -> HeadlessChromium {
        try await OwnThread.run { try HeadlessChromium() }
    }

    deinit { process.kill() }

    /// Ends the browser (before the server it visited shuts down: its idle connections would hold the shutdown up).
    func close() { process.kill() }

    /// What a page did: the value `until` produced, its console errors and exceptions, and a screenshot (PNG).
    struct Visit {
        let value: String
        let errors: [String]
        let screenshot: Data
    }

    /// Opens `url`, evaluates `probe` (a JavaScript expression giving a string) every 200 ms until
    /// `done` accepts its value, then takes a screenshot.
    func visit(_ url: String, probe: String, timeout: Double = 60, done: @escaping @Sendable (String) -> Bool) async throws -> Visit {
        let targets = try await HTTPClient.shared.execute(HTTPClientRequest(url: "http://127.0.0.1:\(port)/json/list"), timeout: .seconds(10))
        let listed = try await targets.body.collect(upTo: 1 << 20)
        let list = try JSONSerialization.jsonObject(with: Data(listed.readableBytesView)) as? [[String: Any]] ?? []
        guard let socket = list.first(where: { $0["type"] as? String == "page" })?["webSocketDebuggerUrl"] as? String else {
            throw Failure(description: "chromium has no page to drive")
        }
        let session = Session()
        try await WebSocketClient.connect(url: socket, configuration: WebSocketClientConfiguration(maxFrameSize: 64 << 20), logger: Logger(label: "test.chromium")) { inbound, outbound, _ in
            var messages = inbound.messages(maxSize: 64 << 20).makeAsyncIterator()
            var nextID = 0
            /// Sends a command and reads until its answer, noting the events that come meanwhile.
            func call(_ method: String, _ params: [String: Any] = [:]) async throws -> [String: Any] {
                nextID += 1
                let command = try JSONSerialization.data(withJSONObject: ["id": nextID, "method": method, "params": params])
                try await outbound.write(.text(String(decoding: command, as: UTF8.self)))
                while let message = try await messages.next() {
                    guard case .text(let text) = message, let object = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] else { continue }
                    if object["id"] as? Int == nextID { return object["result"] as? [String: Any] ?? [:] }
                    session.note(object)
                }
                throw Failure(description: "chromium closed the DevTools connection")
            }
            _ = try await call("Runtime.enable")
            _ = try await call("Log.enable")
            _ = try await call("Page.enable")
            _ = try await call("Page.navigate", ["url": url])
            let deadline = Date().addingTimeInterval(timeout)
            while Date() < deadline {
                let result = try await call("Runtime.evaluate", ["expression": probe, "returnByValue": true])
                let value = (result["result"] as? [String: Any])?["value"] as? String ?? ""
                session.value = value
                if done(value) { break }
                try await Task.sleep(for: .milliseconds(200))
            }
            let shot = try await call("Page.captureScreenshot", ["format": "png"])
            session.screenshot = Data(base64Encoded: shot["data"] as? String ?? "") ?? Data()
            try await outbound.close(.normalClosure, reason: nil)
        }
        return Visit(value: session.value, errors: session.errors, screenshot: session.screenshot)
    }

    /// What the DevTools connection saw.
    private final class Session: @unchecked Sendable {
        var value = ""
        var errors: [String] = []
        var screenshot = Data()

        func note(_ event: [String: Any]) {
            let params = event["params"] as? [String: Any] ?? [:]
            switch event["method"] as? String {
            case "Runtime.exceptionThrown":
                errors.append("exception: \((params["exceptionDetails"] as? [String: Any])?["text"] ?? params)")
            case "Runtime.consoleAPICalled" where params["type"] as? String == "error":
                errors.append("console.error: \(params["args"] ?? "")")
            case "Log.entryAdded":
                let entry = params["entry"] as? [String: Any] ?? [:]
                if entry["level"] as? String == "error" { errors.append("log: \(entry["text"] ?? "") \(entry["url"] ?? "")") }
            default:
                break
            }
        }
    }
}
