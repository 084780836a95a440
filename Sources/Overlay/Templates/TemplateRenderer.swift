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

    /// Creates a renderer.
    public init(template: OverlayTemplate, timeline: RaceTimeline, lens: Lens? = nil, laneWidth: Double = 2.5) {
        self.template = template
        self.timeline = timeline
        self.lens = lens
        self.laneWidth = laneWidth
    }

    /// The frame's overlay with its elements filled in.
    public func render(_ frame: FrameTiming, camera: CameraPose? = nil) -> FrameOverlay {
        var overlay = timeline.overlay(for: frame, camera: camera)
        overlay.elements = elements(for: frame, overlay: overlay, camera: camera)
        return overlay
    }

    /// The elements active on a frame, in template order (per-lane elements in lane order).
    public func elements(for frame: FrameTiming, overlay: FrameOverlay, camera: CameraPose?) -> [FrameOverlay.Element] {
        let root = context(of: overlay)
        let projection = camera.flatMap { pose in lens.map { Projection(pose: pose, lens: $0) } }
        var result: [FrameOverlay.Element] = []
        for element in template.elements {
            if element.perLane {
                for (lane, laneValue) in zip(timeline.lanes, laneValues(root)) {
                    guard let opacity = opacity(of: element, on: frame, lane: lane) else { continue }
                    let place = overlay.order.firstIndex(of: lane.lane) ?? (lane.lane - 1)
                    result.append(make(element, id: "\(element.id).\(lane.lane)", context: [root, .object(["lane": laneValue])],
                                       opacity: opacity, lane: lane.lane, place: place, overlay: overlay, projection: projection))
                }
            } else if let opacity = opacity(of: element, on: frame, lane: nil) {
                result.append(make(element, id: element.id, context: [root], opacity: opacity, lane: nil, place: 0, overlay: overlay, projection: projection))
            }
        }
        return result
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
        _ element: OverlayTemplate.Element, id: String, context: [JSONValue], opacity: Double, lane: Int?, place: Int,
        overlay: FrameOverlay, projection: Projection?
    ) -> FrameOverlay.Element {
        let text = element.text.render(context)
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
