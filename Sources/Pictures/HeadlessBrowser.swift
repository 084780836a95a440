#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// Why the browser could not do what was asked: a sentence for the operator.
public struct BrowserError: Error, CustomStringConvertible {
    public let description: String
}

/// Debian's Chromium, headless, driven over the DevTools protocol on a pipe
/// (`--remote-debugging-pipe`: commands in on fd 3, answers out on fd 4, each message ended by a
/// NUL byte), so nothing listens on a port. One page, one command at a time.
final class HeadlessBrowser {
    private let process: pid_t
    private let commands: Int32
    private let answers: Int32
    private let profile: URL
    private var received: [UInt8] = []
    private var nextID = 0
    private var session = ""
    private var closed = false
    /// The longest one command may take before the browser is taken for hung.
    private let patience: Int32 = 60_000
    /// A graphic's folder the page loads files from, and the origin it is served at (`open`).
    private var served: (origin: String, graphic: OGrafGraphicFolder)?
    /// Ids of the commands that answer the page's requests, apart from `nextID`'s so that an
    /// answer sent while a command waits never changes the id it waits for.
    private var nextRequestAnswerID = 1_000_000_000

    /// Starts a browser whose page is `width` × `height` CSS pixels with a transparent background.
    init(width: Int, height: Int) throws(BrowserError) {
        let executable = try Self.chromium()
        profile = FileManager.default.temporaryDirectory.appendingPathComponent("podium-browser-\(UUID().uuidString)")
        var toBrowser: [Int32] = [0, 0], fromBrowser: [Int32] = [0, 0]
        guard pipe(&toBrowser) == 0, pipe(&fromBrowser) == 0 else {
            throw BrowserError(description: "cannot make the browser's pipes: \(String(cString: strerror(errno)))")
        }
        // Moved well above 4 and closed on exec, so that placing the browser's ends on 3 and 4
        // never lands on one of them and no other child inherits them.
        let raised = (toBrowser + fromBrowser).map { fcntl($0, F_DUPFD_CLOEXEC, 10) }
        for descriptor in toBrowser + fromBrowser { Glibc.close(descriptor) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, raised[0], 3)
        posix_spawn_file_actions_adddup2(&actions, raised[3], 4)
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        let arguments = [
            executable, "--headless=new", "--remote-debugging-pipe", "--no-sandbox", "--disable-gpu", "--no-first-run",
            "--hide-scrollbars", "--mute-audio", "--user-data-dir=\(profile.path)", "--window-size=\(width),\(height)", "about:blank",
        ]
        var argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        defer { for argument in argv { free(argument) } }
        var pid = pid_t()
        let spawned = posix_spawn(&pid, executable, &actions, nil, &argv, environ)
        Glibc.close(raised[0])
        Glibc.close(raised[3])
        guard spawned == 0 else {
            Glibc.close(raised[1])
            Glibc.close(raised[2])
            throw BrowserError(description: "cannot start \(executable): \(String(cString: strerror(spawned)))")
        }
        process = pid
        commands = raised[1]
        answers = raised[2]
        do {
            let targets = try call("Target.getTargets", inPage: false)
            let pages = (targets["targetInfos"] as? [[String: Any]] ?? []).filter { $0["type"] as? String == "page" }
            let target: String
            if let existing = pages.first?["targetId"] as? String {
                target = existing
            } else {
                target = try call("Target.createTarget", ["url": "about:blank"], inPage: false)["targetId"] as? String ?? ""
            }
            session = try call("Target.attachToTarget", ["targetId": target, "flatten": true], inPage: false)["sessionId"] as? String ?? ""
            _ = try call("Emulation.setDeviceMetricsOverride", ["width": width, "height": height, "deviceScaleFactor": 1, "mobile": false])
            _ = try call("Emulation.setDefaultBackgroundColorOverride", ["color": ["r": 0, "g": 0, "b": 0, "a": 0]])
        } catch {
            close()
            throw error
        }
    }

    deinit { close() }

    /// The browser: Debian's `chromium`, or another Chromium on the PATH.
    private static func chromium() throws(BrowserError) -> String {
        let folders = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":")
        for name in ["chromium", "chromium-browser", "google-chrome"] {
            for folder in folders where FileManager.default.isExecutableFile(atPath: "\(folder)/\(name)") { return "\(folder)/\(name)" }
        }
        throw BrowserError(description: "headless Chromium is needed and none is on the PATH (Debian: apt-get install chromium)")
    }

    /// Sends one DevTools command (to the page unless `inPage` is false) and returns its result.
    @discardableResult
    func call(_ method: String, _ params: [String: Any] = [:], inPage: Bool = true) throws(BrowserError) -> [String: Any] {
        nextID += 1
        var message: [String: Any] = ["id": nextID, "method": method, "params": params]
        if inPage { message["sessionId"] = session }
        guard var bytes = try? JSONSerialization.data(withJSONObject: message) else {
            throw BrowserError(description: "\(method): its parameters are not JSON")
        }
        bytes.append(0)
        try write(bytes, for: method)
        while true {
            let answer = try readMessage(for: method)
            guard answer["id"] as? Int == nextID else {
                // An event, or another session's news; the page's requests for the served folder are answered.
                if answer["method"] as? String == "Fetch.requestPaused", let request = answer["params"] as? [String: Any] {
                    try answerRequest(request)
                }
                continue
            }
            if let error = answer["error"] as? [String: Any] {
                throw BrowserError(description: "\(method): \(error["message"] as? String ?? "failed")")
            }
            return answer["result"] as? [String: Any] ?? [:]
        }
    }

    /// Evaluates `expression` in the page, waiting for a promise it gives; its value as JSON types.
    /// A script error or a rejected promise is an error naming it.
    func evaluate(_ expression: String) throws(BrowserError) -> Any? {
        let result = try call("Runtime.evaluate", ["expression": expression, "awaitPromise": true, "returnByValue": true])
        if let exception = result["exceptionDetails"] as? [String: Any] {
            let detail = (exception["exception"] as? [String: Any])?["description"] as? String ?? exception["text"] as? String ?? "an exception"
            throw BrowserError(description: "the page failed: \(detail)")
        }
        return (result["result"] as? [String: Any])?["value"]
    }

    /// Serves `graphic`'s folder to the page at `origin` (`https://NAME.invalid`, a name no
    /// resolver knows) through the DevTools Fetch domain, so nothing listens on a port, and opens
    /// an empty page there: the graphic's module and the files it loads by relative URL come
    /// from the folder with the right media types, and a path outside it is answered 404.
    func open(_ graphic: OGrafGraphicFolder, at origin: String) throws(BrowserError) {
        served = (origin, graphic)
        try call("Fetch.enable", ["patterns": [["urlPattern": origin + "/*", "requestStage": "Request"]]])
        try call("Page.enable")
        try call("Page.navigate", ["url": origin + "/"])
        // The navigation's answer comes when it commits; the page is ready once it has loaded.
        _ = try evaluate("new Promise((done) => { const check = () => document.readyState === 'complete' ? done(true) : setTimeout(check, 10); check(); })")
    }

    /// Answers one request the page made below the served origin: the folder's file, an empty
    /// page for the origin itself, or 404.
    private func answerRequest(_ request: [String: Any]) throws(BrowserError) {
        guard let id = request["requestId"] as? String else { return }
        let url = (request["request"] as? [String: Any])?["url"] as? String ?? ""
        var status = 404
        var body = Data("not found".utf8)
        var mediaType = "text/plain; charset=utf-8"
        if let (origin, graphic) = served, url.hasPrefix(origin + "/") {
            var path = String(url.dropFirst(origin.count + 1))
            if let end = path.firstIndex(where: { $0 == "?" || $0 == "#" }) { path = String(path[..<end]) }
            if path.isEmpty {
                (status, body, mediaType) = (200, Data("<!doctype html><html><head><meta charset=\"utf-8\"></head><body></body></html>".utf8), "text/html; charset=utf-8")
            } else if let file = graphic.file(at: path) {
                (status, body, mediaType) = (200, file.contents, file.mediaType)
            }
        }
        nextRequestAnswerID += 1
        let message: [String: Any] = [
            "id": nextRequestAnswerID, "method": "Fetch.fulfillRequest", "sessionId": session,
            "params": ["requestId": id, "responseCode": status, "responseHeaders": [["name": "Content-Type", "value": mediaType]], "body": body.base64EncodedString()],
        ]
        guard var bytes = try? JSONSerialization.data(withJSONObject: message) else { return }
        bytes.append(0)
        try write(bytes, for: "Fetch.fulfillRequest")
    }

    /// The page as PNG, its transparent background kept as alpha.
    func screenshot() throws(BrowserError) -> Data {
        let result = try call("Page.captureScreenshot", ["format": "png"])
        guard let text = result["data"] as? String, let png = Data(base64Encoded: text) else {
            throw BrowserError(description: "Page.captureScreenshot gave no picture")
        }
        return png
    }

    private func write(_ bytes: Data, for method: String) throws(BrowserError) {
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes { Glibc.write(commands, $0.baseAddress! + offset, bytes.count - offset) }
            if written < 0, errno == EINTR { continue }
            guard written > 0 else { throw BrowserError(description: "\(method): the browser is gone (\(String(cString: strerror(errno))))") }
            offset += written
        }
    }

    /// The next whole message from the browser.
    private func readMessage(for method: String) throws(BrowserError) -> [String: Any] {
        while true {
            if let end = received.firstIndex(of: 0) {
                let message = Data(received[..<end])
                received.removeSubrange(...end)
                guard let object = try? JSONSerialization.jsonObject(with: message) as? [String: Any] else { continue }
                return object
            }
            var poller = pollfd(fd: answers, events: Int16(POLLIN), revents: 0)
            let ready = poll(&poller, 1, patience)
            if ready < 0, errno == EINTR { continue }
            guard ready > 0 else { throw BrowserError(description: "\(method): the browser did not answer within \(patience / 1000) s") }
            var chunk = [UInt8](repeating: 0, count: 1 << 16)
            let count = Glibc.read(answers, &chunk, chunk.count)
            if count < 0, errno == EINTR { continue }
            guard count > 0 else { throw BrowserError(description: "\(method): the browser closed its end") }
            received.append(contentsOf: chunk[..<count])
        }
    }

    /// Ends the browser and removes its profile.
    func close() {
        guard !closed else { return }
        closed = true
        Glibc.close(commands)
        Glibc.close(answers)
        kill(process, SIGTERM)
        var status: Int32 = 0
        // A browser that has not gone after 2 s is killed.
        for _ in 0..<200 {
            if waitpid(process, &status, WNOHANG) != 0 { break }
            usleep(10_000)
        }
        if waitpid(process, &status, WNOHANG) == 0 {
            kill(process, SIGKILL)
            waitpid(process, &status, 0)
        }
        try? FileManager.default.removeItem(at: profile)
    }
}
