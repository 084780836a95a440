public import Foundation
public import Overlay
import Pictures

/// Pictures of frames with their overlays drawn on, for `podium preview` and the API: the
/// frames' overlays (a fixture's render, or a job's stored frames) and the recording they came
/// from, decoded where the frames are chosen.
public struct Previews: Sendable {
    /// Every frame's overlay, in frame order.
    public let overlays: [FrameOverlay]
    /// The recording the pictures come from.
    public let recording: String

    /// Previews of `overlays` over the pictures of `recording`.
    public init(overlays: [FrameOverlay], recording: String) {
        self.overlays = overlays
        self.recording = recording
    }

    /// A fixture's frames with `template`.
    public init(fixture: FixtureCase, template: OverlayTemplate?) throws {
        self.init(overlays: try fixture.render(template: template), recording: fixture.clip)
    }

    /// The recording a job read: a file it was given, or a fixture it named (`fixture:NAME`).
    /// Nil for a live input, whose pictures Podium does not keep.
    public static func recording(ofJobInput input: String, fixtures: String) -> String? {
        if input.hasPrefix("fixture:") {
            let name = String(input.dropFirst("fixture:".count))
            guard !name.contains("/"), !name.hasPrefix(".") else { return nil }
            let clip = URL(fileURLWithPath: fixtures).appendingPathComponent(name).appendingPathComponent("clip.ts").path
            return FileManager.default.fileExists(atPath: clip) ? clip : nil
        }
        guard !input.contains("://"), input != "-", FileManager.default.fileExists(atPath: input) else { return nil }
        return input
    }

    /// One frame's PNG: `overlay` drawn on frame `index` of `recording`, `width` pixels wide.
    public static func png(frame index: Int, overlay: FrameOverlay, recording: String, width: Int) throws -> Data {
        try PreviewPainter.png(try decode([index], of: recording, width: width)[index]!, overlay: overlay)
    }

    /// The frame shown at `utc`: the last one captured at or before it.
    public func frame(at utc: UTCInstant) -> Int? {
        overlays.lastIndex { UTCInstant(iso8601: $0.captureUTC).map { $0 <= utc } ?? false }
    }

    /// One frame every `seconds` of capture time, from the first.
    public func frames(every seconds: Double) -> [Int] {
        guard let start = overlays.first.flatMap({ UTCInstant(iso8601: $0.captureUTC) }), seconds > 0 else { return [] }
        var chosen: [Int] = []
        var due = 0.0
        for (index, overlay) in overlays.enumerated() {
            guard let utc = UTCInstant(iso8601: overlay.captureUTC) else { continue }
            let elapsed = Double(utc.seconds(since: start))
            if elapsed + 1e-6 >= due {
                chosen.append(index)
                due = (elapsed / seconds).rounded(.down) * seconds + seconds
            }
        }
        return chosen
    }

    /// The caption of a frame: its number and capture time.
    public func caption(_ index: Int) -> String {
        let utc = overlays[index].captureUTC
        let time = utc.split(separator: "T").last.map { String($0.prefix(12)) } ?? utc
        return "frame \(index) · \(time) UTC"
    }

    /// PNGs of `frames`, `width` pixels wide, by frame; frames the recording does not have are refused by number.
    public func pngs(_ frames: [Int], width: Int, captions: Bool = false) throws -> [Int: Data] {
        let pictures = try pictures(frames, width: width)
        var answer: [Int: Data] = [:]
        for index in frames {
            answer[index] = try PreviewPainter.png(pictures[index]!, overlay: overlays[index], caption: captions ? caption(index) : nil)
        }
        return answer
    }

    /// One contact sheet of `frames`, each tile `width` pixels wide with its number and timecode.
    public func sheet(_ frames: [Int], width: Int, columns: Int = 4) throws -> Data {
        let pictures = try pictures(frames, width: width)
        return try PreviewPainter.sheet(frames.map { (pictures[$0]!, overlays[$0], caption($0)) }, columns: columns)
    }

    private func pictures(_ frames: [Int], width: Int) throws -> [Int: Picture] {
        if let outside = frames.first(where: { $0 < 0 || $0 >= overlays.count }) {
            throw OperatorError("there is no frame \(outside); the frames are 0 to \(overlays.count - 1)")
        }
        return try Self.decode(frames, of: recording, width: width)
    }

    /// The pictures of `frames`, every one of them, or an error naming the one missing.
    private static func decode(_ frames: [Int], of recording: String, width: Int) throws -> [Int: Picture] {
        guard (16...3840).contains(width) else { throw OperatorError("a preview is 16 to 3840 pixels wide, not \(width)") }
        let pictures = try FramePictures(path: recording).pictures(Set(frames), width: width)
        if let missing = frames.first(where: { pictures[$0] == nil }) {
            throw OperatorError("frame \(missing) could not be decoded from \(URL(fileURLWithPath: recording).lastPathComponent)")
        }
        return pictures
    }
}
