public import Foundation
public import MediaFormats
public import Overlay

/// Frame-exact rendering through an OGraf graphic (docs/ograf.md): each frame's overlay is
/// scheduled at its time (`setActionsSchedule`) and drawn with `goToTime` in headless Chromium,
/// and its picture, alpha kept, goes into a PNG-in-MOV movie at the frame's own timestamp, one
/// picture per frame.
public enum OGrafRender {
    /// Renders `frames` (in presentation order, one job's or fixture's) through `module` (an OGraf
    /// graphic's ES module whose default export is its element, Podium's own) into a movie at
    /// `path`. `progress` is told how many frames are done.
    public static func movie(
        of frames: [FrameOverlay], module: Data, width: Int, height: Int, to path: String, progress: (Int) -> Void = { _ in }
    ) throws -> Int {
        try render(frames, width: width, height: height, to: path, progress: progress) { browser, _ in
            _ = try browser.evaluate(Self.loading(
                #"import("data:text/javascript;base64,\#(module.base64EncodedString())")"#, data: nil, width: width, height: height
            ))
        } draw: { browser, frame, time in
            // The schedule up to this frame's time: play at 0 and this frame's overlay at its time
            // (each overlay is the whole state, so the earlier ones change nothing), which keeps a
            // long job's render flat in memory and time per frame.
            let schedule = #"[{"timestamp":0,"action":{"type":"playAction","params":{}}},{"timestamp":\#(time),"action":{"type":"updateAction","params":{"data":"#
                + String(decoding: frame.canonicalJSON(), as: UTF8.self) + "}}}]"
            try goTo(time, of: frame, in: browser, scheduling: schedule)
        }
        return frames.count
    }

    /// What rendering a third-party graphic found in the frames: fields of the mapping whose
    /// value in some frames did not fit the graphic's type (and had no default), with how many.
    public struct MappingReport: Sendable {
        public let frames: Int
        public let misfits: [String: Int]
    }

    /// Renders `frames` through a third-party graphic (`OGrafGraphicFolder`), its data filled
    /// from each frame by `mapping`. The graphic is loaded non-real-time with the first frame's
    /// data and given one schedule for the whole render, the way a playout would have driven it:
    /// `updateAction` when its data changes, `playAction` when `show` turns true, `stopAction`
    /// when it turns false, each at its frame's time; then `goToTime` per frame. So its own
    /// animations (a plate sliding in after `playAction`) land on the frames they would air on.
    public static func movie(
        of frames: [FrameOverlay], graphic: OGrafGraphicFolder, mapping: OGrafDataMapping, width: Int, height: Int, to path: String,
        progress: (Int) -> Void = { _ in }
    ) throws -> MappingReport {
        guard graphic.graphic.supportsNonRealTime else {
            throw BrowserError(description: "the graphic \(graphic.graphic.id) does not support non-real-time rendering (its manifest's supportsNonRealTime is false), so it cannot be rendered frame by frame")
        }
        let perFrame = try frames.map { frame in
            do { return mapping.frameData(for: try JSONValue(parsing: frame.canonicalJSONBytes())) } catch {
                throw BrowserError(description: "frame \(frame.frame)'s overlay could not be read back as JSON: \(error)")
            }
        }
        var misfits: [String: Int] = [:]
        for data in perFrame { for field in data.misfits { misfits[field, default: 0] += 1 } }
        try render(frames, width: width, height: height, to: path, progress: progress) { browser, times in
            try browser.open(graphic, at: origin)
            let main = origin + "/" + graphic.graphic.main.split(separator: "/").map { $0.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? String($0) }.joined(separator: "/")
            _ = try browser.evaluate(Self.loading(#"import(\#(try json(.string(main))))"#, data: perFrame.first?.data, width: width, height: height))
            _ = try browser.evaluate("window.graphic.setActionsSchedule({ schedule: \(try json(schedule(perFrame, at: times))) })")
        } draw: { browser, frame, time in
            try goTo(time, of: frame, in: browser, scheduling: nil)
        }
        return MappingReport(frames: frames.count, misfits: misfits)
    }

    /// Where a third-party graphic's folder is served to the page: a name no resolver knows.
    static let origin = "https://graphic.podium.invalid"

    /// The actions a playout would have sent: the data when it changes, play and stop on `shown`'s edges.
    static func schedule(_ frames: [OGrafDataMapping.FrameData], at times: [Double]) -> JSONValue {
        var actions: [JSONValue] = []
        func action(_ type: String, _ params: [String: JSONValue], at time: Double) {
            actions.append(.object(["timestamp": .number(time), "action": .object(["type": .string(type), "params": .object(params)])]))
        }
        var shown = false
        for (index, frame) in frames.enumerated() {
            if index > 0, frame.data != frames[index - 1].data { action("updateAction", ["data": frame.data], at: times[index]) }
            if frame.shown != shown {
                action(frame.shown ? "playAction" : "stopAction", [:], at: times[index])
                shown = frame.shown
            }
        }
        return .array(actions)
    }

    private static func json(_ value: JSONValue) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    /// The script that imports a graphic's module (`importing` evaluates to the import's promise),
    /// defines its element, puts it on the transparent page and loads it non-real-time.
    private static func loading(_ importing: String, data: JSONValue?, width: Int, height: Int) throws -> String {
        let characteristics = #"{"resolution":{"width":\#(width),"height":\#(height)}}"#
        let dataMember = try data.map { ", data: " + (try json($0)) } ?? ""
        return """
            (async () => {
              document.documentElement.style.background = "transparent";
              document.body.style.margin = "0";
              const { default: Graphic } = await \(importing);
              customElements.define("podium-ograf-graphic", Graphic);
              window.graphic = document.createElement("podium-ograf-graphic");
              document.body.append(window.graphic);
              const loaded = await window.graphic.load({ renderType: "non-realtime", renderCharacteristics: \(characteristics)\(dataMember) });
              if (loaded && loaded.statusCode !== undefined && loaded.statusCode !== 200) throw new Error("load answered " + loaded.statusCode);
            })()
            """
    }

    /// Sets `schedule` (when given), draws `time` with `goToTime` and waits for the page to paint
    /// it. OGraf graphics answer `goToTime` with a status or with nothing; anything but 200 is an error.
    private static func goTo(_ time: Double, of frame: FrameOverlay, in browser: HeadlessBrowser, scheduling schedule: String?) throws {
        let going = "window.graphic.goToTime({ timestamp: \(time) })"
        let status = try browser.evaluate("""
            \(schedule.map { "window.graphic.setActionsSchedule({ schedule: \($0) }).then(() => \(going))" } ?? "Promise.resolve(\(going))")
              .then((answer) => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(() => done(answer && answer.statusCode !== undefined ? answer.statusCode : 200)))))
            """)
        guard status as? Int == 200 else { throw BrowserError(description: "goToTime for frame \(frame.frame) answered \(status ?? "nothing")") }
    }

    /// The render both kinds of graphic share: checks, the browser, the movie, one picture per
    /// frame at its PTS lasting until the next frame's. `prepare` loads the graphic (given each
    /// frame's time in milliseconds from the first), `draw` brings one frame's time on screen.
    private static func render(
        _ frames: [FrameOverlay], width: Int, height: Int, to path: String, progress: (Int) -> Void,
        prepare: (HeadlessBrowser, [Double]) throws -> Void, draw: (HeadlessBrowser, FrameOverlay, Double) throws -> Void
    ) throws {
        guard let first = frames.first else { throw BrowserError(description: "there are no frames to render") }
        guard let timeBase = Rational(parsing: first.timeBase), timeBase.numerator > 0 else {
            throw BrowserError(description: "frame \(first.frame) has no usable time base (\(first.timeBase))")
        }
        guard (16...7680).contains(width), (16...4320).contains(height) else {
            throw BrowserError(description: "a picture of \(width)×\(height) is outside 16×16 to 7680×4320")
        }
        // Milliseconds from the first frame, the time line the graphic is scheduled on.
        let milliseconds = frames.map { Double($0.pts - first.pts) * Double(timeBase.numerator) / Double(timeBase.denominator) * 1000 }
        let browser = try HeadlessBrowser(width: width, height: height)
        defer { browser.close() }
        try prepare(browser, milliseconds)
        let writer = try PNGMovieWriter(path: path, width: width, height: height, timeBase: timeBase)
        for (index, frame) in frames.enumerated() {
            try draw(browser, frame, milliseconds[index])
            let next = index + 1 < frames.count ? frames[index + 1].pts : nil
            let previous = index > 0 ? frames[index - 1].pts : nil
            let duration = next.map { $0 - frame.pts } ?? previous.map { frame.pts - $0 } ?? 1
            try writer.append(png: try browser.screenshot(), pts: frame.pts, duration: max(1, duration))
            progress(index + 1)
        }
        try writer.finish()
    }
}
