import Foundation

/// Applies a template to the frames of a race: which elements show, with what text, where, and
/// how opaque. Pure: the timeline, the frame, the camera pose and the lens are all parameters.
public struct TemplateRenderer: Sendable {
    public let template: OverlayTemplate
    public let timeline: RaceTimeline
    /// The lens, for projecting world anchors; without one they are never visible.
    public let lens: Lens?
    /// Lane width in metres; lane n's centre line is at x = (n − ½) × width.
    public let laneWidth: Double

    /// Names whose values change from frame to frame: a text binding none of them is the same
    /// on every frame of an epoch and is rendered once per epoch.
    static let volatileNames: Set<String> = ["clock", "worldRecordLine", "captureUTC", "seq", "frame", "pts", "camera", "timecode"]

    /// Element ids whose text binds a volatile name.
    private let volatileElements: Set<String>
    /// `id.lane` of every per-lane element instance, by element and lane position.
    private let instanceIDs: [String: [String]]
    /// Binding contexts and the texts that do not change within an epoch.
    private let epochs = EpochCache<EpochContext>()

    /// What every frame of an epoch shares.
    struct EpochContext: Sendable {
        let root: JSONValue
        let laneContexts: [JSONValue]
        /// Rendered texts of the non-volatile element instances, by instance id.
        let texts: [String: String]
    }

    /// Creates a renderer.
    public init(template: OverlayTemplate, timeline: RaceTimeline, lens: Lens? = nil, laneWidth: Double = 2.5) {
        self.template = template
        self.timeline = timeline
        self.lens = lens
        self.laneWidth = laneWidth
        volatileElements = Set(template.elements.filter { !$0.text.names.isDisjoint(with: TemplateRenderer.volatileNames) }.map(\.id))
        instanceIDs = Dictionary(uniqueKeysWithValues: template.elements.filter(\.perLane).map { element in
            (element.id, timeline.lanes.map { "\(element.id).\($0.lane)" })
        })
    }

    /// The frame's overlay with its elements filled in.
    public func render(_ frame: FrameTiming, camera: CameraPose? = nil) -> FrameOverlay {
        var overlay = timeline.overlay(for: frame, camera: camera)
        overlay.elements = elements(for: frame, overlay: overlay, camera: camera)
        return overlay
    }

    /// The elements active on a frame, in template order (per-lane elements in lane order).
    public func elements(for frame: FrameTiming, overlay: FrameOverlay, camera: CameraPose?) -> [FrameOverlay.Element] {
        let shared = epochs.value(for: timeline.epoch(of: frame)) { epochContext(of: overlay) }
        let projection = camera.flatMap { pose in lens.map { Projection(pose: pose, lens: $0) } }
        var volatile: JSONValue?
        func text(_ element: OverlayTemplate.Element, id: String, lane: Int?) -> String {
            if let cached = shared.texts[id] { return cached }
            if volatile == nil { volatile = TemplateRenderer.volatileContext(of: overlay) }
            var context = [shared.root, volatile!]
            if let lane { context.append(shared.laneContexts[lane]) }
            return element.text.render(context)
        }
        var result: [FrameOverlay.Element] = []
        for element in template.elements {
            if element.perLane {
                let ids = instanceIDs[element.id]!
                for (position, lane) in timeline.lanes.enumerated() {
                    guard let opacity = opacity(of: element, on: frame, lane: lane) else { continue }
                    let place = overlay.order.firstIndex(of: lane.lane) ?? (lane.lane - 1)
                    result.append(make(element, id: ids[position], text: text(element, id: ids[position], lane: position), opacity: opacity,
                                       lane: lane.lane, place: place, overlay: overlay, projection: projection))
                }
            } else if let opacity = opacity(of: element, on: frame, lane: nil) {
                result.append(make(element, id: element.id, text: text(element, id: element.id, lane: nil), opacity: opacity,
                                   lane: nil, place: 0, overlay: overlay, projection: projection))
            }
        }
        return result
    }

    /// The contexts of an epoch and the texts of its non-volatile element instances.
    private func epochContext(of overlay: FrameOverlay) -> EpochContext {
        let root = context(of: overlay)
        let laneContexts = laneValues(root).map { JSONValue.object(["lane": $0]) }
        var texts: [String: String] = [:]
        for element in template.elements where !volatileElements.contains(element.id) {
            if element.perLane {
                for (position, id) in instanceIDs[element.id]!.enumerated() {
                    texts[id] = element.text.render([root, laneContexts[position]])
                }
            } else {
                texts[element.id] = element.text.render([root])
            }
        }
        return EpochContext(root: root, laneContexts: laneContexts, texts: texts)
    }

    /// The frame-by-frame values, shadowing the epoch's in a binding context.
    static func volatileContext(of overlay: FrameOverlay) -> JSONValue {
        var fields: [String: JSONValue] = [
            "seq": .integer(Int64(overlay.seq)), "frame": .integer(Int64(overlay.frame)), "pts": .integer(overlay.pts),
            "captureUTC": .string(overlay.captureUTC), "clock": overlay.clock.bindingValue,
        ]
        if let line = overlay.worldRecordLine { fields["worldRecordLine"] = line.bindingValue }
        if let camera = overlay.camera { fields["camera"] = camera.bindingValue }
        if let timecode = overlay.timecode { fields["timecode"] = .string(timecode) }
        return .object(fields)
    }

    // MARK: - Timing

    /// Frames since `instant`, counting the frame whose capture interval contains it as 0.
    private func framesSince(_ instant: UTCInstant, on frame: FrameTiming) -> Int64 {
        // ⌈(end − instant) / (end − start)⌉ − 1, in integers over a common denominator (no gcd per frame).
        let end = frame.captureEnd.secondsSinceEpoch, start = frame.captureStart.secondsSinceEpoch, at = instant.secondsSinceEpoch
        let sinceNumerator = end.numerator * at.denominator - at.numerator * end.denominator
        let sinceDenominator = end.denominator * at.denominator
        let durationNumerator = end.numerator * start.denominator - start.numerator * end.denominator
        let durationDenominator = end.denominator * start.denominator
        let numerator = sinceNumerator * durationDenominator
        let denominator = sinceDenominator * durationNumerator
        let quotient = numerator / denominator
        let ceiling = numerator % denominator != 0 && (numerator > 0) == (denominator > 0) ? quotient + 1 : quotient
        return Int64(ceiling - 1)
    }

    private func instant(of event: OverlayTemplate.Event, lane: LaneTimeline?, on frame: FrameTiming) -> UTCInstant? {
        switch event {
        case .always: return nil
        case .start: return timeline.start
        case .firstFinish: return timeline.clockStop?.happenedAt
        case .raceComplete: return timeline.raceComplete
        case .reaction: return lane?.reaction?.happenedAt
        case .finish: return lane?.finish?.happenedAt
        case .split: return lane?.intermediates.last { frame.shows(eventAt: $0.happenedAt) }?.happenedAt
        }
    }

    /// Nil when the element is not on screen; otherwise its opacity, from the fades.
    private func opacity(of element: OverlayTemplate.Element, on frame: FrameTiming, lane: LaneTimeline?) -> Double? {
        let sinceTrigger: Int64
        if element.on == .always {
            sinceTrigger = Int64(frame.sequence)
        } else {
            guard let trigger = instant(of: element.on, lane: lane, on: frame), frame.shows(eventAt: trigger) else { return nil }
            sinceTrigger = framesSince(trigger, on: frame)
        }
        let shown = sinceTrigger - Int64(element.delay)
        guard shown >= 0 else { return nil }
        // Frames since the element's end, when it has ended.
        var sinceEnd: Int64?
        if let hold = element.hold, shown >= hold { sinceEnd = shown - Int64(hold) }
        if let until = element.until, let end = instant(of: until, lane: lane, on: frame), frame.shows(eventAt: end) {
            let afterUntil = framesSince(end, on: frame)
            sinceEnd = min(sinceEnd ?? afterUntil, afterUntil)
        }
        var opacity = element.fadeIn > 0 ? min(1, Double(shown + 1) / Double(element.fadeIn)) : 1
        if let sinceEnd {
            guard sinceEnd < element.fadeOut else { return nil }
            opacity = min(opacity, Double(Int64(element.fadeOut) - sinceEnd) / Double(element.fadeOut + 1))
        }
        return (opacity * 1000).rounded() / 1000
    }

    // MARK: - Content and geometry

    private func make(
        _ element: OverlayTemplate.Element, id: String, text: String, opacity: Double, lane: Int?, place: Int,
        overlay: FrameOverlay, projection: Projection?
    ) -> FrameOverlay.Element {
        switch element.layout {
        case let .rect(rect, rowStep):
            let y = min(1 - rect[3], rect[1] + rowStep * Double(place))
            return FrameOverlay.Element(
                id: id, kind: element.kind.rawValue, text: text, rect: [rect[0], (y * 10000).rounded() / 10000, rect[2], rect[3]],
                world: nil, screen: nil, visible: true, opacity: opacity
            )
        case let .world(anchor, distance):
            let points: [[Double]]
            if anchor == "laneTag", let lane {
                points = [[(Double(lane) - 0.5) * laneWidth, distance, 0.5]]
            } else if let line = overlay.worldRecordLine {
                let y = Double(line.positionMillimetres) / 1000
                let lanes = Double(timeline.lanes.map(\.lane).max() ?? 8)
                points = [[0, y, 0], [lanes * laneWidth, y, 0]]
            } else {
                points = []
            }
            let projected = projection.map { projection in points.map { projection.project(SIMD3($0[0], $0[1], $0[2])) } }
            let onScreen = projected.map { !$0.isEmpty && $0.allSatisfy { $0 != nil } } ?? false
            return FrameOverlay.Element(
                id: id, kind: element.kind.rawValue, text: text, rect: nil,
                world: FrameOverlay.WorldAnchor(anchor: anchor, points: points),
                screen: onScreen ? projected!.map { [($0!.x * 10000).rounded() / 10000, ($0!.y * 10000).rounded() / 10000] } : nil,
                visible: onScreen, opacity: opacity
            )
        }
    }

    /// The state as the text bindings see it: the overlay's JSON, plus `ranking` (lanes in race order).
    func context(of overlay: FrameOverlay) -> JSONValue {
        guard case .object(var fields) = overlay.bindingContext() else { return .null }
        let lanes = laneValues(.object(fields))
        let byLane = Dictionary(uniqueKeysWithValues: zip(overlay.lanes.map(\.lane), lanes))
        fields["ranking"] = .array(overlay.order.compactMap { byLane[$0] })
        return .object(fields)
    }

    /// Each lane's value, with `split` (its latest split) added for bindings like `{{lane.split.time.display}}`.
    private func laneValues(_ root: JSONValue) -> [JSONValue] {
        guard case .object(let fields) = root, case .array(let lanes)? = fields["lanes"] else { return [] }
        return lanes.map { lane in
            guard case .object(var laneFields) = lane else { return lane }
            if case .array(let splits)? = laneFields["splits"], let last = splits.last { laneFields["split"] = last }
            return .object(laneFields)
        }
    }
}
