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
    static let volatileNames: Set<String> = ["clock", "worldRecordLine", "captureUTC", "seq", "frame", "pts", "timeBase", "camera", "timecode"]

    /// What is known of each template element before any frame, in template order.
    private let plans: [Plan]
    /// Binding contexts and the texts that do not change within an epoch.
    private let epochs = EpochCache<EpochContext>()
    /// The width of the pool in lanes, for the world-record line.
    private let poolWidth: Double
    /// Whether any element is a lane tag with a label box to lay out on each frame.
    private let hasTagBoxes: Bool

    /// A template element with its instance ids, geometry and whether its text changes within
    /// an epoch. A class: every frame reaches every plan, and a reference is one retain where a
    /// copy of the element (its strings and arrays) is many.
    final class Plan: Sendable {
        let element: OverlayTemplate.Element
        /// One id per instance: the element's own, or `id.lane` per lane position.
        let ids: [String]
        /// The text binds a name that changes from frame to frame.
        let volatile: Bool
        /// The frame-by-frame names the text binds (a subset of `volatileNames`).
        let volatileNames: Set<String>
        /// For a text that is exactly `{{clock.FIELD}}` and no values: the field, read straight from the frame.
        let directClock: String?
        /// Screen rectangles by place in the race order (rect layouts).
        let rects: [[Double]]
        /// World anchors by lane position (lane tags).
        let anchors: [FrameOverlay.WorldAnchor]

        init(
            element: OverlayTemplate.Element, ids: [String], volatile: Bool, volatileNames: Set<String>, directClock: String?,
            rects: [[Double]], anchors: [FrameOverlay.WorldAnchor]
        ) {
            self.element = element
            self.ids = ids
            self.volatile = volatile
            self.volatileNames = volatileNames
            self.directClock = directClock
            self.rects = rects
            self.anchors = anchors
        }
    }

    /// An element instance's text and values.
    struct Content: Sendable {
        let text: String
        let values: [String: String]?
    }

    /// What every frame of an epoch shares.
    struct EpochContext: Sendable {
        let root: JSONValue
        let laneContexts: [JSONValue]
        /// Rendered content of the non-volatile element instances, by element index and instance.
        let texts: [[Content]?]
    }

    /// Creates a renderer.
    public init(template: OverlayTemplate, timeline: RaceTimeline, lens: Lens? = nil, laneWidth: Double = 2.5) {
        self.template = template
        self.timeline = timeline
        self.lens = lens
        self.laneWidth = laneWidth
        let places = max(1, timeline.lanes.count)
        plans = template.elements.map { element in
            var rects: [[Double]] = []
            var anchors: [FrameOverlay.WorldAnchor] = []
            switch element.layout {
            case let .rect(rect, rowStep):
                rects = (0..<places).map { place in
                    let y = min(1 - rect[3], rect[1] + rowStep * Double(place))
                    return [rect[0], (y * 10000).rounded() / 10000, rect[2], rect[3]]
                }
            case let .world(anchor, distance, _) where anchor == "laneTag":
                // On the water over the lane's centre line: the point the tag's label belongs to.
                anchors = timeline.lanes.map { lane in
                    FrameOverlay.WorldAnchor(anchor: anchor, points: [[(Double(lane.lane) - 0.5) * laneWidth, distance, 0]])
                }
            case .world:
                break
            }
            return Plan(
                element: element, ids: element.perLane ? timeline.lanes.map { "\(element.id).\($0.lane)" } : [element.id],
                volatile: !element.names.isDisjoint(with: TemplateRenderer.volatileNames),
                volatileNames: element.names.intersection(TemplateRenderer.volatileNames),
                directClock: element.values.isEmpty ? element.text.singleValuePath.flatMap { path in
                    path.count == 2 && path[0] == "clock" && ["display", "hundredths", "state"].contains(path[1]) ? path[1] : nil
                } : nil,
                rects: rects, anchors: anchors
            )
        }
        poolWidth = Double(timeline.lanes.map(\.lane).max() ?? 8) * laneWidth
        hasTagBoxes = template.elements.contains { if case .world(_, _, _?) = $0.layout { true } else { false } }
    }

    /// The frame's overlay with its elements filled in.
    public func render(_ frame: FrameTiming, camera: CameraPose? = nil) -> FrameOverlay {
        let epoch = timeline.epoch(of: frame)
        var overlay = timeline.overlay(for: frame, camera: camera, epoch: epoch)
        overlay.elements = elements(for: frame, overlay: overlay, camera: camera, epoch: epoch)
        return overlay
    }

    /// The elements active on a frame, in template order (per-lane elements in lane order).
    public func elements(for frame: FrameTiming, overlay: FrameOverlay, camera: CameraPose?) -> [FrameOverlay.Element] {
        elements(for: frame, overlay: overlay, camera: camera, epoch: timeline.epoch(of: frame))
    }

    private func elements(for frame: FrameTiming, overlay: FrameOverlay, camera: CameraPose?, epoch: Int) -> [FrameOverlay.Element] {
        let shared = epochs.value(for: epoch) { epochContext(of: overlay) }
        let projection = camera.flatMap { pose in lens.map { Projection(pose: pose, lens: $0) } }
        func text(_ index: Int, instance: Int, lane: Int?) -> Content {
            if let cached = shared.texts[index] { return cached[instance] }
            if let direct = plans[index].directClock { return Content(text: TemplateRenderer.clockText(direct, of: overlay), values: nil) }
            var context = [shared.root, TemplateRenderer.volatileContext(of: overlay, names: plans[index].volatileNames)]
            if let lane { context.append(shared.laneContexts[lane]) }
            return TemplateRenderer.content(of: template.elements[index], in: context)
        }
        var result: [FrameOverlay.Element] = []
        result.reserveCapacity(plans.reduce(0) { $0 + $1.ids.count })
        // Lanes are reached by index and elements through their plans: copying either out would
        // retain every string and array it holds, for every instance on every frame.
        for (index, plan) in plans.enumerated() {
            if plan.element.perLane {
                for position in timeline.lanes.indices {
                    guard let opacity = opacity(of: plan, on: frame, lane: position) else { continue }
                    let laneNumber = timeline.lanes[position].lane
                    let place = overlay.order.firstIndex(of: laneNumber) ?? (laneNumber - 1)
                    result.append(make(plan, id: plan.ids[position], text: text(index, instance: position, lane: position), opacity: opacity,
                                       position: position, place: place, overlay: overlay, projection: projection))
                }
            } else if let opacity = opacity(of: plan, on: frame, lane: nil) {
                result.append(make(plan, id: plan.ids[0], text: text(index, instance: 0, lane: nil), opacity: opacity, position: nil,
                                   place: 0, overlay: overlay, projection: projection))
            }
        }
        if hasTagBoxes { layOutTags(&result, overlay: overlay) }
        return result
    }

    /// Gives each visible lane tag of a template with a tag box its label box (`rect`), in race
    /// order, around the rectangles of the frame's other elements; a tag with no free place is
    /// hidden (`LaneTagLayout`). Runs on every frame: no string parsing and no dictionaries, and
    /// nothing in a results document (a lane listed twice in the order) can make it trap.
    private func layOutTags(_ elements: inout [FrameOverlay.Element], overlay: FrameOverlay) {
        var obstacles: [[Double]]?
        for plan in plans {
            guard case let .world(_, _, box?) = plan.element.layout else { continue }
            // This plan's visible tags: where they are in `elements`, and their place in the race.
            var tags: [(index: Int, rank: Int, lane: Int)] = []
            for index in elements.indices where elements[index].visible && elements[index].screen?.count == 1 {
                guard let position = plan.ids.firstIndex(of: elements[index].id) else { continue }
                let lane = timeline.lanes[position].lane
                tags.append((index, overlay.order.firstIndex(of: lane) ?? Int.max, lane))
            }
            guard !tags.isEmpty else { continue }
            tags.sort { ($0.rank, $0.lane) < ($1.rank, $1.lane) }
            var taken = obstacles ?? elements.compactMap { $0.world == nil ? $0.rect : nil }
            let boxes = LaneTagLayout.place(tags.map { elements[$0.index].screen![0] }, box: box, obstacles: taken)
            for (tag, rect) in zip(tags, boxes) {
                let element = elements[tag.index]
                elements[tag.index] = FrameOverlay.Element(
                    id: element.id, kind: element.kind, text: element.text, values: element.values, rect: rect, world: element.world,
                    screen: rect == nil ? nil : element.screen, visible: rect != nil, opacity: element.opacity
                )
                if let rect { taken.append(rect) }
            }
            // A second element of lane tags is laid out around the first one's labels.
            obstacles = taken
        }
    }

    /// The contexts of an epoch and the texts of its non-volatile element instances.
    private func epochContext(of overlay: FrameOverlay) -> EpochContext {
        let root = context(of: overlay)
        let laneContexts = laneValues(root).map { JSONValue.object(["lane": $0]) }
        let texts: [[Content]?] = template.elements.enumerated().map { index, element in
            guard !plans[index].volatile else { return nil }
            if element.perLane { return laneContexts.map { TemplateRenderer.content(of: element, in: [root, $0]) } }
            return [TemplateRenderer.content(of: element, in: [root])]
        }
        return EpochContext(root: root, laneContexts: laneContexts, texts: texts)
    }

    /// A clock field as its binding would render it.
    static func clockText(_ field: String, of overlay: FrameOverlay) -> String {
        switch field {
        case "hundredths": String(overlay.clock.hundredths)
        case "state": overlay.clock.state.rawValue
        default: overlay.clock.display
        }
    }

    static func content(of element: OverlayTemplate.Element, in context: [JSONValue]) -> Content {
        Content(
            text: element.text.render(context),
            values: element.values.isEmpty ? nil : Dictionary(uniqueKeysWithValues: element.values.map { ($0.name, $0.binding.render(context)) })
        )
    }

    /// The frame-by-frame values, shadowing the epoch's in a binding context.
    static func volatileContext(of overlay: FrameOverlay, names: Set<String>) -> JSONValue {
        var fields: [String: JSONValue] = [:]
        for name in names {
            switch name {
            case "seq": fields[name] = .integer(Int64(overlay.seq))
            case "frame": fields[name] = .integer(Int64(overlay.frame))
            case "pts": fields[name] = .integer(overlay.pts)
            case "captureUTC": fields[name] = .string(overlay.captureUTC)
            case "clock": fields[name] = overlay.clock.bindingValue
            case "worldRecordLine": fields[name] = overlay.worldRecordLine?.bindingValue
            case "camera": fields[name] = overlay.camera?.bindingValue
            case "timecode": fields[name] = overlay.timecode.map { .string($0) }
            case "timeBase": fields[name] = .string(overlay.timeBase)
            default: continue
            }
        }
        // Names with no value this frame are present as null, so they shadow the epoch's values.
        for name in names where fields[name] == nil { fields[name] = .null }
        return .object(fields)
    }

    // MARK: - Timing

    /// Frame counting without division, for the common case.
    enum FrameCount {
        /// Whether at least `count` whole frames have started since the frame that showed `instant`:
        /// (end − instant) ≥ (count + 1) × duration, compared by cross-multiplication.
        static func atLeast(_ count: Int, since instant: UTCInstant, on frame: FrameTiming) -> Bool {
            let end = frame.captureEnd.secondsSinceEpoch, start = frame.captureStart.secondsSinceEpoch, at = instant.secondsSinceEpoch
            // (end − at) = (endN·atD − atN·endD) / (endD·atD); duration = (endN·startD − startN·endD) / (endD·startD)
            let since = (end.numerator * at.denominator - at.numerator * end.denominator) * start.denominator
            let frames = (end.numerator * start.denominator - start.numerator * end.denominator) * at.denominator * Int128(count + 1)
            return since >= frames
        }
    }

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

    /// When `event` happened, for the lane at position `lane` of the timeline (nil: no lane).
    private func instant(of event: OverlayTemplate.Event, lane: Int?, on frame: FrameTiming) -> UTCInstant? {
        switch event {
        case .always: return nil
        case .start: return timeline.start
        case .firstFinish: return timeline.clockStop?.happenedAt
        case .raceComplete: return timeline.raceComplete
        case .reaction: return lane.flatMap { timeline.lanes[$0].reaction?.happenedAt }
        case .finish: return lane.flatMap { timeline.lanes[$0].finish?.happenedAt }
        case .split: return lane.flatMap { timeline.lanes[$0].intermediates.last { frame.shows(eventAt: $0.happenedAt) }?.happenedAt }
        case .status:
            // As the state shows it: a DNS from the start, a DNF or DSQ once the race is complete.
            guard let mark = lane.flatMap({ timeline.lanes[$0].status }) else { return nil }
            return mark == .dns ? timeline.start : timeline.raceComplete
        }
    }

    /// Nil when the element is not on screen; otherwise its opacity, from the fades. `lane` is a
    /// position in the timeline's lanes, for a per-lane element.
    private func opacity(of plan: Plan, on frame: FrameTiming, lane: Int?) -> Double? {
        var trigger: UTCInstant?
        if plan.element.on != .always {
            guard let instant = instant(of: plan.element.on, lane: lane, on: frame), frame.shows(eventAt: instant) else { return nil }
            trigger = instant
        }
        var end: UTCInstant?
        if let until = plan.element.until, let instant = instant(of: until, lane: lane, on: frame), frame.shows(eventAt: instant) {
            end = instant
        }
        // Most frames of most elements are long past their fade in and have no end yet: settle
        // those with one comparison, and count frames exactly only near a trigger or an end.
        let settled = plan.element.delay + max(plan.element.fadeIn, 1) + (plan.element.hold.map { _ in 0 } ?? 0)
        if end == nil, plan.element.hold == nil, trigger.map({ FrameCount.atLeast(settled, since: $0, on: frame) }) ?? (frame.sequence >= settled) {
            return 1
        }
        let sinceTrigger = trigger.map { framesSince($0, on: frame) } ?? Int64(frame.sequence)
        let shown = sinceTrigger - Int64(plan.element.delay)
        guard shown >= 0 else { return nil }
        // Frames since the element's end, when it has ended.
        var sinceEnd: Int64?
        if let hold = plan.element.hold, shown >= hold { sinceEnd = shown - Int64(hold) }
        if let end {
            let afterUntil = framesSince(end, on: frame)
            sinceEnd = min(sinceEnd ?? afterUntil, afterUntil)
        }
        var opacity = plan.element.fadeIn > 0 ? min(1, Double(shown + 1) / Double(plan.element.fadeIn)) : 1
        if let sinceEnd {
            guard sinceEnd < plan.element.fadeOut else { return nil }
            opacity = min(opacity, Double(Int64(plan.element.fadeOut) - sinceEnd) / Double(plan.element.fadeOut + 1))
        }
        return (opacity * 1000).rounded() / 1000
    }

    // MARK: - Content and geometry

    private func make(
        _ plan: Plan, id: String, text content: Content, opacity: Double, position: Int?, place: Int, overlay: FrameOverlay, projection: Projection?
    ) -> FrameOverlay.Element {
        switch plan.element.layout {
        case .rect:
            let places = plan.rects
            return FrameOverlay.Element(
                id: id, kind: plan.element.kind.rawValue, text: content.text, values: content.values, rect: places[min(place, places.count - 1)],
                world: nil, screen: nil, visible: true, opacity: opacity
            )
        case let .world(anchor, _, _):
            let world: FrameOverlay.WorldAnchor
            if let position, !plan.anchors.isEmpty {
                world = plan.anchors[position]
            } else if let line = overlay.worldRecordLine {
                let y = Double(line.positionMillimetres) / 1000
                world = FrameOverlay.WorldAnchor(anchor: anchor, points: [[0, y, 0], [poolWidth, y, 0]])
            } else {
                world = FrameOverlay.WorldAnchor(anchor: anchor, points: [])
            }
            var screen: [[Double]]?
            if let projection, !world.points.isEmpty {
                screen = []
                for point in world.points {
                    guard let projected = projection.project(SIMD3(point[0], point[1], point[2])) else {
                        screen = nil
                        break
                    }
                    screen!.append([(projected.x * 10000).rounded() / 10000, (projected.y * 10000).rounded() / 10000])
                }
            }
            return FrameOverlay.Element(
                id: id, kind: plan.element.kind.rawValue, text: content.text, values: content.values, rect: nil, world: world, screen: screen,
                visible: screen != nil, opacity: opacity
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
