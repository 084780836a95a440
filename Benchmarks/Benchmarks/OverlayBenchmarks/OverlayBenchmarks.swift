import Benchmark
import Foundation
import Mustache
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

    // The template's texts alone, every one rendered from scratch on every frame by each engine
    // (the renderer above renders them only when an epoch begins). The contexts are built before
    // timing, for both engines alike; the two must give the same text on every frame.
    let template = try! OverlayTemplate.parse(try! Data(contentsOf: root.appendingPathComponent("templates/swimming.json")))
    let texts = TemplateTexts(template: template, overlays: frames.indices.map { timeline.overlay(for: frames[$0], camera: poses[$0]) })
    texts.checkBothEnginesAgree()
    let podiumCursor = FrameCursor(count: frames.count)
    let libraryCursor = FrameCursor(count: frames.count)

    Benchmark("Template texts, Podium's Mustache") { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(texts.renderWithPodium(frame: podiumCursor.advance()))
        }
    }

    Benchmark("Template texts, swift-mustache") { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(texts.renderWithLibrary(frame: libraryCursor.advance()))
        }
    }
}

/// The swimming template's text and value bindings with each frame's contexts, ready for
/// Podium's engine (`[JSONValue]` stacks, as `TemplateRenderer` builds them) and for
/// swift-mustache (`[String: Any]`, the root merged with a lane's `lane`). Unchecked only because
/// `Any` is not `Sendable`: every property is a `let`, set before the benchmarks run.
struct TemplateTexts: @unchecked Sendable {
    struct Contexts {
        let root: JSONValue
        let lanes: [JSONValue]
        let rootAny: [String: Any]
        let lanesAny: [[String: Any]]
    }

    let podium: [(source: Overlay.Mustache, perLane: Bool)]
    let library: [(template: MustacheTemplate, perLane: Bool)]
    let contexts: [Contexts]

    init(template: OverlayTemplate, overlays: [FrameOverlay]) {
        var podium: [(source: Overlay.Mustache, perLane: Bool)] = []
        for element in template.elements {
            podium.append((element.text, element.perLane))
            for value in element.values { podium.append((value.binding, element.perLane)) }
        }
        self.podium = podium
        // No HTML escaping: Podium's texts are for graphics, not markup.
        library = podium.map { (try! MustacheTemplate(string: "{{% CONTENT_TYPE: TEXT}}" + $0.source.source), $0.perLane) }
        contexts = overlays.map(Self.contexts(of:))
    }

    /// The contexts `TemplateRenderer` gives the texts: the overlay's JSON with `ranking` (lanes in
    /// race order) and each lane's latest `split`.
    static func contexts(of overlay: FrameOverlay) -> Contexts {
        guard case .object(var fields) = try! JSONDecoder().decode(JSONValue.self, from: Data(overlay.canonicalJSONBytes())),
              case .array(let lanes)? = fields["lanes"] else { fatalError("a frame's JSON is an object with lanes") }
        let withSplits = lanes.map { lane -> JSONValue in
            guard case .object(var laneFields) = lane else { return lane }
            if case .array(let splits)? = laneFields["splits"], let last = splits.last { laneFields["split"] = last }
            return .object(laneFields)
        }
        let byLane = Dictionary(uniqueKeysWithValues: zip(overlay.lanes.map(\.lane), withSplits))
        fields["ranking"] = .array(overlay.order.compactMap { byLane[$0] })
        let root = JSONValue.object(fields)
        let rootAny = plain(root) as! [String: Any]
        return Contexts(
            root: root, lanes: withSplits.map { .object(["lane": $0]) }, rootAny: rootAny,
            lanesAny: withSplits.map { lane in rootAny.merging(["lane": plain(lane)!]) { $1 } }
        )
    }

    /// A JSON value as swift-mustache reads one: dictionaries, arrays, strings, numbers; null left out.
    static func plain(_ value: JSONValue) -> Any? {
        switch value {
        case .null: nil
        case .bool(let flag): flag
        case .integer(let number): Int(number)
        case .number(let number): number
        case .string(let text): text
        case .array(let items): items.compactMap(plain)
        case .object(let fields): fields.compactMapValues(plain)
        }
    }

    func renderWithPodium(frame: Int) -> Int {
        let context = contexts[frame]
        var characters = 0
        for (source, perLane) in podium {
            if perLane {
                for lane in context.lanes { characters += source.render([context.root, lane]).utf8.count }
            } else {
                characters += source.render([context.root]).utf8.count
            }
        }
        return characters
    }

    func renderWithLibrary(frame: Int) -> Int {
        let context = contexts[frame]
        var characters = 0
        for (template, perLane) in library {
            if perLane {
                for lane in context.lanesAny { characters += template.render(lane).utf8.count }
            } else {
                characters += template.render(context.rootAny).utf8.count
            }
        }
        return characters
    }

    /// Both engines give the same text for every binding on every frame, or the run stops.
    func checkBothEnginesAgree() {
        for (frame, context) in contexts.enumerated() {
            for ((source, perLane), (template, _)) in zip(podium, library) {
                let stacks = perLane ? context.lanes.map { [context.root, $0] } : [[context.root]]
                let merged = perLane ? context.lanesAny : [context.rootAny]
                for (stack, any) in zip(stacks, merged) where source.render(stack) != template.render(any) {
                    fatalError("frame \(frame), \(source.source): Podium \(source.render(stack).debugDescription), swift-mustache \(template.render(any).debugDescription)")
                }
            }
        }
    }
}
