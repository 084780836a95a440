public import Foundation

/// A designer's overlay template: the graphics, what triggers each, what text it binds, where it
/// goes and how it fades. A JSON document, validated with errors that name the JSON path.
///
/// ```json
/// {"name": "swimming", "version": "1", "elements": [
///   {"id": "clock", "kind": "clock", "trigger": {"on": "start"}, "text": "{{clock.display}}",
///    "layout": {"rect": [0.78, 0.04, 0.18, 0.07]}, "timing": {"fadeIn": 10}}]}
/// ```
public struct OverlayTemplate: Sendable, Hashable {
    /// Graphic kinds a template may use.
    public enum Kind: String, Sendable, Hashable, CaseIterable {
        case text, clock, laneTag, splitBoard, resultBoard, lowerThird, line
    }

    /// Moments an element can start or end at.
    public enum Event: String, Sendable, Hashable, CaseIterable {
        /// From the first frame.
        case always
        /// The start signal.
        case start
        /// The lane's reaction (per lane).
        case reaction
        /// The lane's latest split (per lane; each split triggers again).
        case split
        /// The lane's touch (per lane).
        case finish
        /// The first touch of the race.
        case firstFinish
        /// Every lane that races has touched.
        case raceComplete
        /// The lane's status mark shows (per lane): a DNS from the start, a DNF or DSQ once the race is complete.
        case status

        var perLane: Bool { self == .reaction || self == .split || self == .finish || self == .status }
    }

    /// Where an element goes.
    public enum Layout: Sendable, Hashable {
        /// A normalised screen rectangle; per-lane elements move down by `rowStep` per place in the race order.
        case rect([Double], rowStep: Double)
        /// A world anchor: `laneTag` (a lane's centre line on the water, `distance` metres from
        /// the start wall) or `worldRecordLine`; a lane tag with a `tag` box is laid out on screen.
        case world(anchor: String, distance: Double, tag: TagBox?)
    }

    /// The screen box of a lane tag's label, and what to do when two labels would overlap.
    public struct TagBox: Sendable, Hashable {
        /// Width and height as fractions of the frame.
        public let width: Double
        public let height: Double
        public let overlap: Overlap

        /// What a tag does when its place next to its point is taken (by another tag or a board).
        public enum Overlap: String, Sendable, Hashable, CaseIterable {
            /// Moves above or below its point, one row at a time, with a leader line; hidden when no row is free.
            case stagger
            /// Stays next to its point, or is hidden.
            case hide
        }
    }

    /// A named value of an element and its binding.
    public struct ValueBinding: Sendable, Hashable {
        public let name: String
        public let binding: Mustache
    }

    /// One graphic.
    public struct Element: Sendable, Hashable {
        public let id: String
        public let kind: Kind
        /// One instance per lane, with `lane` in the text's context.
        public let perLane: Bool
        public let on: Event
        public let until: Event?
        public let text: Mustache
        /// Named values a graphics engine binds to (OGraf-style data), each a binding like `text`.
        public let values: [ValueBinding]
        public let layout: Layout
        /// Frames after the trigger before it shows.
        public let delay: Int
        /// Frames it stays after showing; nil means until `until` (or for ever).
        public let hold: Int?
        public let fadeIn: Int
        public let fadeOut: Int

        /// Every name the text and the values bind.
        var names: Set<String> { values.reduce(text.names) { $0.union($1.binding.names) } }
    }

    public let name: String
    public let version: String
    /// The template's own description, when it gives one.
    public var summary: String? = nil
    public let elements: [Element]

    /// Parses and validates a template; the error names the JSON path of the bad field and why.
    public static func parse(_ data: Data) throws(TemplateError) -> OverlayTemplate {
        let root: JSONValue
        do {
            root = try JSONDecoder().decode(JSONValue.self, from: data)
        } catch {
            throw TemplateError(path: "$", reason: "not valid JSON")
        }
        let fields = try object(root, at: "$", allowed: ["name", "version", "description", "elements"])
        let name = try string(fields["name"], at: "$.name")
        let version = try string(fields["version"], at: "$.version")
        guard case .array(let items)? = fields["elements"], !items.isEmpty else {
            throw TemplateError(path: "$.elements", reason: "must be a non-empty array")
        }
        var elements: [Element] = []
        var ids: Set<String> = []
        for (index, item) in items.enumerated() {
            let element = try parseElement(item, at: "$.elements[\(index)]")
            guard ids.insert(element.id).inserted else {
                throw TemplateError(path: "$.elements[\(index)].id", reason: "\"\(element.id)\" is used by an earlier element")
            }
            elements.append(element)
        }
        var template = OverlayTemplate(name: name, version: version, elements: elements)
        switch fields["description"] {
        case nil: break
        case .string(let text)?: template.summary = text
        case let other?: throw TemplateError(path: "$.description", reason: "must be a string, not \(other.typeName)")
        }
        return template
    }

    private static func object(_ value: JSONValue?, at path: String, allowed: Set<String>) throws(TemplateError) -> [String: JSONValue] {
        guard case .object(let fields)? = value else { throw TemplateError(path: path, reason: "must be an object") }
        if let unknown = fields.keys.sorted().first(where: { !allowed.contains($0) }) {
            throw TemplateError(path: "\(path).\(unknown)", reason: "unknown field; allowed: \(allowed.sorted().joined(separator: ", "))")
        }
        return fields
    }

    private static func string(_ value: JSONValue?, at path: String) throws(TemplateError) -> String {
        guard case .string(let text)? = value, !text.isEmpty else { throw TemplateError(path: path, reason: "must be a non-empty string") }
        return text
    }

    private static func frames(_ value: JSONValue?, at path: String) throws(TemplateError) -> Int? {
        guard let value else { return nil }
        guard case .integer(let number) = value, (0...100_000).contains(number) else {
            throw TemplateError(path: path, reason: "must be a whole number of frames from 0 to 100000")
        }
        return Int(number)
    }

    private static func event(_ value: JSONValue?, at path: String) throws(TemplateError) -> Event {
        guard case .string(let text)? = value, let event = Event(rawValue: text) else {
            throw TemplateError(path: path, reason: "must be one of \(Event.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        return event
    }

    private static func parseElement(_ value: JSONValue, at path: String) throws(TemplateError) -> Element {
        let fields = try object(value, at: path, allowed: ["id", "kind", "perLane", "trigger", "text", "values", "layout", "timing"])
        let id = try string(fields["id"], at: "\(path).id")
        guard id.first?.isLetter == true, id.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" }) else {
            throw TemplateError(path: "\(path).id", reason: "\"\(id)\" must start with a letter and hold letters, digits, - and _ only")
        }
        guard case .string(let kindText)? = fields["kind"], let kind = Kind(rawValue: kindText) else {
            throw TemplateError(path: "\(path).kind", reason: "must be one of \(Kind.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        var perLane = false
        if let flag = fields["perLane"] {
            guard case .bool(let value) = flag else { throw TemplateError(path: "\(path).perLane", reason: "must be true or false") }
            perLane = value
        }
        let trigger = try object(fields["trigger"], at: "\(path).trigger", allowed: ["on", "until"])
        let on = try event(trigger["on"], at: "\(path).trigger.on")
        let until = try trigger["until"].map { value throws(TemplateError) in try event(value, at: "\(path).trigger.until") }
        for (event, field) in [(on, "on"), (until, "until")] where event?.perLane == true && !perLane {
            throw TemplateError(path: "\(path).trigger.\(field)", reason: "\"\(event!.rawValue)\" happens per lane: set \"perLane\": true")
        }
        let textSource = try string(fields["text"], at: "\(path).text")
        let text: Mustache
        do {
            text = try Mustache(textSource)
        } catch {
            throw TemplateError(path: "\(path).text", reason: error.description)
        }
        let values = try parseValues(fields["values"], at: "\(path).values")
        let layout = try parseLayout(fields["layout"], perLane: perLane, at: "\(path).layout")
        let timing = try fields["timing"].map { value throws(TemplateError) in
            try object(value, at: "\(path).timing", allowed: ["delay", "hold", "fadeIn", "fadeOut"])
        } ?? [:]
        return Element(
            id: id, kind: kind, perLane: perLane, on: on, until: until, text: text, values: values, layout: layout,
            delay: try frames(timing["delay"], at: "\(path).timing.delay") ?? 0,
            hold: try frames(timing["hold"], at: "\(path).timing.hold"),
            fadeIn: try frames(timing["fadeIn"], at: "\(path).timing.fadeIn") ?? 0,
            fadeOut: try frames(timing["fadeOut"], at: "\(path).timing.fadeOut") ?? 0
        )
    }

    /// An element's named values (`"values": {name: binding}`).
    private static func parseValues(_ value: JSONValue?, at path: String) throws(TemplateError) -> [ValueBinding] {
        guard let valuesField = value else { return [] }
        var values: [ValueBinding] = []
        guard case .object(let entries) = valuesField else { throw TemplateError(path: "\(path)", reason: "must be an object of name → binding") }
        for name in entries.keys.sorted() {
            guard name.first?.isLetter == true, name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }) else {
                throw TemplateError(path: "\(path).\(name)", reason: "a value name starts with a letter and holds letters, digits and _ only")
            }
            let source = try string(entries[name], at: "\(path).\(name)")
            do {
                values.append(ValueBinding(name: name, binding: try Mustache(source)))
            } catch {
                throw TemplateError(path: "\(path).\(name)", reason: error.description)
            }
        }
        return values
    }

    /// Where an element is drawn: a screen rectangle (with a row step per lane) or a place in the pool.
    private static func parseLayout(_ value: JSONValue?, perLane: Bool, at path: String) throws(TemplateError) -> Layout {
        let layoutFields = try object(value, at: path, allowed: ["rect", "rowStep", "world", "distance", "tag"])
        if let rectValue = layoutFields["rect"] {
            guard layoutFields["world"] == nil else { throw TemplateError(path: "\(path)", reason: "give either \"rect\" or \"world\", not both") }
            for field in ["distance", "tag"] where layoutFields[field] != nil {
                throw TemplateError(path: "\(path).\(field)", reason: "belongs to a \"world\" layout, not a \"rect\"")
            }
            guard case .array(let numbers) = rectValue, numbers.count == 4 else {
                throw TemplateError(path: "\(path).rect", reason: "must be [x, y, width, height], normalised 0…1")
            }
            let rect = numbers.compactMap(\.doubleValue)
            guard rect.count == 4, rect.allSatisfy({ (0...1).contains($0) }), rect[0] + rect[2] <= 1, rect[1] + rect[3] <= 1, rect[2] > 0, rect[3] > 0 else {
                throw TemplateError(path: "\(path).rect", reason: "must be [x, y, width, height] inside the screen (0…1, x + width ≤ 1, y + height ≤ 1)")
            }
            var rowStep = 0.0
            if let step = layoutFields["rowStep"] {
                guard let number = step.doubleValue else { throw TemplateError(path: "\(path).rowStep", reason: "must be a number") }
                rowStep = number
                guard (0...1).contains(rowStep) else { throw TemplateError(path: "\(path).rowStep", reason: "must be between 0 and 1") }
            }
            return .rect(rect, rowStep: rowStep)
        } else if case .string(let anchor)? = layoutFields["world"] {
            guard anchor == "laneTag" || anchor == "worldRecordLine" else {
                throw TemplateError(path: "\(path).world", reason: "must be \"laneTag\" or \"worldRecordLine\"")
            }
            guard (anchor == "laneTag") == perLane else {
                throw TemplateError(path: "\(path).world", reason: anchor == "laneTag" ? "a lane tag needs \"perLane\": true" : "the world-record line is one element, not per lane")
            }
            var distance = 5.0
            if let value = layoutFields["distance"] {
                guard let number = value.doubleValue else { throw TemplateError(path: "\(path).distance", reason: "must be metres from the start wall") }
                distance = number
            }
            var tag: TagBox?
            if let tagValue = layoutFields["tag"] {
                guard anchor == "laneTag" else { throw TemplateError(path: "\(path).tag", reason: "only a lane tag has a tag box") }
                tag = try parseTagBox(tagValue, at: "\(path).tag")
            }
            return .world(anchor: anchor, distance: distance, tag: tag)
        } else {
            throw TemplateError(path: "\(path)", reason: "needs \"rect\" [x, y, width, height] or \"world\" (laneTag, worldRecordLine)")
        }
    }

    /// `{"size": [width, height], "overlap": "stagger"}`: a lane tag's label box.
    private static func parseTagBox(_ value: JSONValue, at path: String) throws(TemplateError) -> TagBox {
        let fields = try object(value, at: path, allowed: ["size", "overlap"])
        guard case .array(let numbers)? = fields["size"], numbers.count == 2 else {
            throw TemplateError(path: "\(path).size", reason: "must be [width, height], fractions of the frame")
        }
        let size = numbers.compactMap(\.doubleValue)
        guard size.count == 2, size.allSatisfy({ $0 > 0 && $0 <= 0.5 }) else {
            throw TemplateError(path: "\(path).size", reason: "must be [width, height], each more than 0 and at most 0.5 of the frame")
        }
        var overlap = TagBox.Overlap.stagger
        if let overlapValue = fields["overlap"] {
            guard case .string(let name) = overlapValue, let chosen = TagBox.Overlap(rawValue: name) else {
                throw TemplateError(path: "\(path).overlap", reason: "must be one of \(TagBox.Overlap.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            overlap = chosen
        }
        return TagBox(width: size[0], height: size[1], overlap: overlap)
    }
}

/// Why a template was refused: the JSON path of the bad field and why, so a designer fixes it in one try.
public struct TemplateError: Error, Hashable, CustomStringConvertible {
    /// JSONPath, e.g. `$.elements[2].trigger.on`.
    public let path: String
    public let reason: String
    public var description: String { "\(path): \(reason)" }
}

extension JSONValue {
    /// The value as a number, whether JSON wrote it with a fraction or without; nil for anything else.
    fileprivate var doubleValue: Double? {
        switch self {
        case .integer(let number): Double(number)
        case .number(let number): number
        default: nil
        }
    }
}
