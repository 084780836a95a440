import Benchmark
import Foundation
import Overlay

/// Walks the fixture's frames across samples, so every frame of the race is measured, not just
/// the first (each sample may run a single iteration). Only the benchmark thread touches it.
final class FrameCursor: @unchecked Sendable {
    private var next = 0
    let count: Int
    init(count: Int) { self.count = count }
    func advance() -> Int {
        defer { next = (next + 1) % count }
        return next
    }
}

/// Per-frame cost of the swimming template on the swimming fixture: overlay state, template
/// elements and the in-band encoding, one frame per iteration, cycling through the 600 frames.
let benchmarks: @Sendable () -> Void = {
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()
    let fixture = root.appendingPathComponent("fixtures/swim-100-free")
    let clock = try! ClockFile(json: try! Data(contentsOf: fixture.appendingPathComponent("clock.json")))
    var book = ResultsBook()
    let results = fixture.appendingPathComponent("results")
    for name in try! FileManager.default.contentsOfDirectory(atPath: results.path).sorted() where name.hasSuffix(".xml") {
        _ = try! book.accept(try! ODFDocument.parse(try! Data(contentsOf: results.appendingPathComponent(name))))
    }
    let timeline = RaceTimeline(book: book, unit: book.units.first!)!
    let renderer = TemplateRenderer(
        template: try! OverlayTemplate.parse(try! Data(contentsOf: root.appendingPathComponent("templates/swimming.json"))),
        timeline: timeline, lens: try! Lens(json: try! Data(contentsOf: fixture.appendingPathComponent("lens.json")))
    )
    let camera = try! CameraTrack.recording(try! Data(contentsOf: fixture.appendingPathComponent("camera.jsonl")))
    let capture = CaptureClock(anchor: clock.anchor, frameRate: clock.frameRate!)
    let frames = (0..<600).map { index in
        capture.timing(sequence: index, pts: MediaTime(ticks: clock.anchor.pts.ticks + Int64(index) * 1800, timeBase: clock.anchor.pts.timeBase))
    }
    let poses = frames.map { camera.pose(forCaptureAt: $0.captureStart) }

    Benchmark.defaultConfiguration = .init(metrics: [.wallClock, .mallocCountTotal, .throughput], maxDuration: .seconds(5))

    let stateCursor = FrameCursor(count: frames.count)
    let templateCursor = FrameCursor(count: frames.count)

    Benchmark("State only (no template), full JSON in band") { benchmark in
        for _ in benchmark.scaledIterations {
            let index = stateCursor.advance()
            blackHole(try! OverlayPayload.id3Tag(for: timeline.overlay(for: frames[index], camera: poses[index])))
        }
    }

    Benchmark("Swimming template, compact in band") { benchmark in
        for _ in benchmark.scaledIterations {
            let index = templateCursor.advance()
            blackHole(try! CompactPayload.id3Tag(for: renderer.render(frames[index], camera: poses[index])))
        }
    }
}
