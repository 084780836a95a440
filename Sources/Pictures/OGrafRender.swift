public import Foundation
public import MediaFormats
public import Overlay

/// Frame-exact rendering through an OGraf graphic (docs/ograf.md): each frame's overlay is
/// scheduled at its time (`setActionsSchedule`) and drawn with `goToTime` in headless Chromium,
/// and its picture, alpha kept, goes into a PNG-in-MOV movie at the frame's own timestamp, one
/// picture per frame.
public enum OGrafRender {
    /// Renders `frames` (in presentation order, one job's or fixture's) through `module` (an OGraf
    /// graphic's ES module whose default export is its element) into a movie at `path`.
    /// `progress` is told how many frames are done.
    public static func movie(
        of frames: [FrameOverlay], module: Data, width: Int, height: Int, to path: String, progress: (Int) -> Void = { _ in }
    ) throws -> Int {
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
        let characteristics = #"{"resolution":{"width":\#(width),"height":\#(height)}}"#
        _ = try browser.evaluate("""
            (async () => {
              document.documentElement.style.background = "transparent";
              document.body.style.margin = "0";
              const { default: Graphic } = await import("data:text/javascript;base64,\(module.base64EncodedString())");
              customElements.define("podium-ograf-graphic", Graphic);
              window.graphic = document.createElement("podium-ograf-graphic");
              document.body.append(window.graphic);
              const loaded = await window.graphic.load({ renderType: "non-realtime", renderCharacteristics: \(characteristics) });
              if (loaded && loaded.statusCode !== 200) throw new Error("load answered " + loaded.statusCode);
            })()
            """)
        let writer = try PNGMovieWriter(path: path, width: width, height: height, timeBase: timeBase)
        for (index, frame) in frames.enumerated() {
            // The schedule up to this frame's time: play at 0 and this frame's overlay at its time
            // (each overlay is the whole state, so the earlier ones change nothing), which keeps a
            // long job's render flat in memory and time per frame. Then the picture once the
            // graphic has drawn that time and the page has painted it.
            let time = milliseconds[index]
            let schedule = #"[{"timestamp":0,"action":{"type":"playAction","params":{}}},{"timestamp":\#(time),"action":{"type":"updateAction","params":{"data":"#
                + String(decoding: frame.canonicalJSON(), as: UTF8.self) + "}}}]"
            let status = try browser.evaluate("""
                window.graphic.setActionsSchedule({ schedule: \(schedule) })
                  .then(() => window.graphic.goToTime({ timestamp: \(time) }))
                  .then((answer) => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(() => done(answer && answer.statusCode)))))
                """)
            guard status as? Int == 200 else { throw BrowserError(description: "goToTime for frame \(frame.frame) answered \(status ?? "nothing")") }
            let next = index + 1 < frames.count ? frames[index + 1].pts : nil
            let previous = index > 0 ? frames[index - 1].pts : nil
            let duration = next.map { $0 - frame.pts } ?? previous.map { frame.pts - $0 } ?? 1
            try writer.append(png: try browser.screenshot(), pts: frame.pts, duration: max(1, duration))
            progress(index + 1)
        }
        try writer.finish()
        return frames.count
    }
}
