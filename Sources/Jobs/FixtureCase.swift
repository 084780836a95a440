public import Foundation
public import Overlay
import Pipeline

/// A recorded case: clip, clock, results, and optionally camera tracking and a lens.
public struct FixtureCase: Sendable {
    /// The folder.
    public let folder: URL
    /// The clip's path.
    public let clip: String
    /// Its clock (anchor and frame rate).
    public let clock: ClockFile
    /// Its results.
    public let results: ResultsFolder
    /// Its camera tracking, if recorded.
    public let camera: CameraTrack?
    /// Its lens, if calibrated.
    public let lens: Lens?

    /// Reads the fixture in `path`; what is missing or malformed is named.
    public init(path: String) throws {
        folder = URL(fileURLWithPath: path, isDirectory: true)
        clip = folder.appendingPathComponent("clip.ts").path
        guard let clockBytes = FileManager.default.contents(atPath: folder.appendingPathComponent("clock.json").path) else {
            throw OperatorError("\(path) has no clock.json; a fixture folder holds clip.ts, clock.json and results/")
        }
        clock = try ClockFile(json: clockBytes)
        results = try ResultsFolder(path: folder.appendingPathComponent("results").path)
        camera = try FileManager.default.contents(atPath: folder.appendingPathComponent("camera.jsonl").path).map { try CameraTrack.recording($0) }
        lens = try FileManager.default.contents(atPath: folder.appendingPathComponent("lens.json").path).map { try Lens(json: $0) }
    }

    /// Every frame's overlay, with the template's elements when one is given.
    public func render(template: OverlayTemplate?) throws -> [FrameOverlay] {
        guard let unit = results.book.units.first, let timeline = RaceTimeline(book: results.book, unit: unit) else {
            throw OperatorError("\(folder.path)/results hold no unit results")
        }
        let timings = try FrameReader(inputURL: clip).timings(clock: ClockSettings(source: .anchor, anchor: clock.anchor, frameRate: clock.frameRate))
        let renderer = template.map { TemplateRenderer(template: $0, timeline: timeline, lens: lens) }
        return timings.map { timing in
            let pose = camera?.pose(forCaptureAt: timing.captureStart)
            return renderer?.render(timing, camera: pose) ?? timeline.overlay(for: timing, camera: pose)
        }
    }

    /// The golden file for a template (or for none).
    public func expectedPath(template: OverlayTemplate?) -> String {
        folder.appendingPathComponent(template.map { "expected/frames.\($0.name).jsonl.zip" } ?? "expected/frames.jsonl.zip").path
    }
}

/// Loads a template by path, or by name from `templates/`.
public func loadTemplate(_ reference: String?) throws -> OverlayTemplate? {
    guard let reference else { return nil }
    let path = FileManager.default.fileExists(atPath: reference) ? reference : "templates/\(reference).json"
    guard let data = FileManager.default.contents(atPath: path) else {
        throw OperatorError("template \(reference) not found (a path, or a name in templates/)")
    }
    do {
        return try OverlayTemplate.parse(data)
    } catch {
        throw OperatorError("template \(path): \(error)")
    }
}

