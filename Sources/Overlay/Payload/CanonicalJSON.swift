/// Writes `FrameOverlay`'s canonical JSON byte by byte: the very bytes `JSONEncoder` produces
/// with `.sortedKeys` and `.withoutEscapingSlashes` (keys in code-point order, absent optionals
/// left out, integral doubles without `.0`, other doubles in Swift's shortest round-trip form),
/// at a small fraction of its cost. Every job stores and serves this JSON for every frame, so it
/// is on the per-frame path; the tests hold it to `JSONEncoder` on every golden frame.
struct CanonicalJSONWriter {
    private(set) var bytes: [UInt8] = []

    init(capacity: Int = 4096) { bytes.reserveCapacity(capacity) }

    // MARK: - Objects

    /// Writes an object whose members `body` writes through `member(_:_:)`; keys must come sorted.
    mutating func object(_ body: (inout ObjectWriter) -> Void) {
        bytes.append(UInt8(ascii: "{"))
        // The buffer is swapped into the member writer and back, so one reference to it exists
        // at any time and appending never copies it (an assignment would leave two).
        var writer = ObjectWriter(json: CanonicalJSONWriter(capacity: 0))
        swap(&writer.json, &self)
        body(&writer)
        swap(&writer.json, &self)
        bytes.append(UInt8(ascii: "}"))
    }

    /// The members of one object, written in sorted key order.
    struct ObjectWriter {
        fileprivate(set) var json: CanonicalJSONWriter
        private var first = true

        fileprivate init(json: CanonicalJSONWriter) { self.json = json }

        private mutating func key(_ name: StaticString) {
            if !first { json.bytes.append(UInt8(ascii: ",")) }
            first = false
            json.bytes.append(UInt8(ascii: "\""))
            json.bytes.append(contentsOf: UnsafeBufferPointer(start: name.utf8Start, count: name.utf8CodeUnitCount))
            json.bytes.append(UInt8(ascii: "\""))
            json.bytes.append(UInt8(ascii: ":"))
        }

        mutating func member(_ name: StaticString, _ value: String?) {
            guard let value else { return }
            key(name)
            json.string(value)
        }

        mutating func member(_ name: StaticString, _ value: Int64?) {
            guard let value else { return }
            key(name)
            json.integer(value)
        }

        mutating func member(_ name: StaticString, _ value: Int?) {
            member(name, value.map(Int64.init))
        }

        mutating func member(_ name: StaticString, _ value: Double?) {
            guard let value else { return }
            key(name)
            json.double(value)
        }

        mutating func member(_ name: StaticString, _ value: Bool?) {
            guard let value else { return }
            key(name)
            let literal: StaticString = value ? "true" : "false"
            json.bytes.append(contentsOf: UnsafeBufferPointer(start: literal.utf8Start, count: literal.utf8CodeUnitCount))
        }

        /// A member whose value `write` produces (an object or an array); nothing when `present` is false.
        mutating func member(_ name: StaticString, present: Bool = true, _ write: (inout CanonicalJSONWriter) -> Void) {
            guard present else { return }
            key(name)
            write(&json)
        }
    }

    // MARK: - Values

    mutating func array<Element>(_ items: [Element], _ write: (inout CanonicalJSONWriter, Element) -> Void) {
        bytes.append(UInt8(ascii: "["))
        for (index, item) in items.enumerated() {
            if index > 0 { bytes.append(UInt8(ascii: ",")) }
            write(&self, item)
        }
        bytes.append(UInt8(ascii: "]"))
    }

    mutating func integer(_ value: Int64) {
        if value == 0 {
            bytes.append(UInt8(ascii: "0"))
            return
        }
        if value < 0 { bytes.append(UInt8(ascii: "-")) }
        // Digits are written in place, most significant first, without a temporary array.
        var magnitude = value.magnitude
        var divisor: UInt64 = 1
        while divisor <= magnitude / 10 { divisor *= 10 }
        while divisor > 0 {
            bytes.append(UInt8(ascii: "0") + UInt8(magnitude / divisor))
            magnitude %= divisor
            divisor /= 10
        }
    }

    /// As `JSONEncoder` writes a double: its `description`, without a trailing `.0`.
    mutating func double(_ value: Double) {
        if value == value.rounded(), value.magnitude < 1e15 {
            integer(Int64(value))
            if value == 0, value.sign == .minus { bytes.insert(UInt8(ascii: "-"), at: bytes.count - 1) }
            return
        }
        var text = value.description
        if text.hasSuffix(".0") { text.removeLast(2) }
        bytes.append(contentsOf: text.utf8)
    }

    mutating func string(_ text: String) { Self.appendQuoted(text, to: &bytes) }

    /// Appends a value this writer wrote before.
    mutating func append(written value: [UInt8]) { bytes.append(contentsOf: value) }

    /// Appends `text` as a JSON string, escaped as `JSONEncoder` escapes it (slashes left alone).
    static func appendQuoted(_ text: String, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        // Most texts need no escaping: copy them whole.
        if !text.utf8.contains(where: { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }) {
            out.append(contentsOf: text.utf8)
            out.append(UInt8(ascii: "\""))
            return
        }
        let hex = Array("0123456789abcdef".utf8)
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""): out += [UInt8(ascii: "\\"), UInt8(ascii: "\"")]
            case UInt8(ascii: "\\"): out += [UInt8(ascii: "\\"), UInt8(ascii: "\\")]
            case 0x08: out += [UInt8(ascii: "\\"), UInt8(ascii: "b")]
            case 0x0C: out += [UInt8(ascii: "\\"), UInt8(ascii: "f")]
            case 0x0A: out += [UInt8(ascii: "\\"), UInt8(ascii: "n")]
            case 0x0D: out += [UInt8(ascii: "\\"), UInt8(ascii: "r")]
            case 0x09: out += [UInt8(ascii: "\\"), UInt8(ascii: "t")]
            case 0..<0x20:
                out += [UInt8(ascii: "\\"), UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0"), hex[Int(byte >> 4)], hex[Int(byte & 0xF)]]
            default:
                out.append(byte)
            }
        }
        out.append(UInt8(ascii: "\""))
    }
}

/// A frame's canonical JSON, and where its lanes are in it.
public struct FrameJSON: Sendable, Equatable {
    /// Exactly `FrameOverlay.canonicalJSONBytes()`.
    public let bytes: [UInt8]
    /// The bytes of the `lanes` array (its brackets included).
    public let lanes: Range<Int>
}

extension FrameJSON {
    /// `json`, a frame's canonical JSON, with its data version set to `version`: the bytes
    /// `canonicalJSONBytes()` gives for the same frame with that version. Nil when `json` has no
    /// data version to replace. (The store keeps a correction that changes only the version as
    /// the aired frame plus the new version.)
    public static func replacingDataVersion(in json: [UInt8], with version: String) -> [UInt8]? {
        guard let value = topLevelStringValue(named: "dataVersion", in: json) else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(json.count + version.utf8.count)
        out.append(contentsOf: json[..<value.lowerBound])
        CanonicalJSONWriter.appendQuoted(version, to: &out)
        out.append(contentsOf: json[value.upperBound...])
        return out
    }

    /// Where the top-level member `name` holds a string (its quotes included), or nil.
    static func topLevelStringValue(named name: String, in json: [UInt8]) -> Range<Int>? {
        let key = Array("\"\(name)\":\"".utf8)
        /// The closing quote of the string opened at `quote` (escapes skipped), or nil.
        func closingQuote(after quote: Int) -> Int? {
            var end = quote + 1
            while end < json.count, json[end] != UInt8(ascii: "\"") { end += json[end] == UInt8(ascii: "\\") ? 2 : 1 }
            return end < json.count ? end : nil
        }
        var depth = 0
        var index = 0
        while index < json.count {
            switch json[index] {
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                depth += 1
            case UInt8(ascii: "}"), UInt8(ascii: "]"):
                depth -= 1
            case UInt8(ascii: "\""):
                if depth == 1, json[index...].starts(with: key) {
                    let value = index + key.count - 1
                    return closingQuote(after: value).map { value..<$0 + 1 }
                }
                guard let end = closingQuote(after: index) else { return nil }
                index = end
            default:
                break
            }
            index += 1
        }
        return nil
    }
}

/// Writes the canonical JSON of a job's frames one after another, reusing what the previous
/// frame wrote where nothing changed: the lanes (athletes, splits, finishes) are most of a
/// frame's bytes and change only when a result arrives, so their bytes are kept and copied
/// while the lanes stay equal. The bytes are exactly `canonicalJSONBytes()`'s.
public struct FrameJSONWriter: Sendable {
    private var lastLanes: [FrameOverlay.Lane]?
    private var lastLanesJSON: [UInt8] = []
    /// The previous frame's elements and their bytes, by position (most stay as they were; the clock's text changes).
    private var lastElements: [FrameOverlay.Element] = []
    private var lastElementsJSON: [[UInt8]] = []

    /// A writer that remembers nothing yet.
    public init() {}

    /// The canonical JSON of `overlay`.
    public mutating func json(for overlay: FrameOverlay) -> FrameJSON {
        if lastLanes != overlay.lanes {
            var json = CanonicalJSONWriter(capacity: lastLanesJSON.count + 64)
            json.array(overlay.lanes) { $0.write($1) }
            lastLanesJSON = json.bytes
            lastLanes = overlay.lanes
        }
        var elementsJSON: [[UInt8]] = []
        elementsJSON.reserveCapacity(overlay.elements.count)
        for (index, element) in overlay.elements.enumerated() {
            if index < lastElements.count, lastElements[index] == element {
                elementsJSON.append(lastElementsJSON[index])
            } else {
                var json = CanonicalJSONWriter(capacity: 256)
                json.write(element)
                elementsJSON.append(json.bytes)
            }
        }
        lastElements = overlay.elements
        lastElementsJSON = elementsJSON
        return overlay.canonicalJSON(lanesJSON: lastLanesJSON, elementsJSON: elementsJSON)
    }
}

extension FrameOverlay {
    /// The canonical JSON bytes (see `canonicalJSON()`), written without `JSONEncoder`.
    public func canonicalJSONBytes() -> [UInt8] { canonicalJSON(lanesJSON: nil, elementsJSON: nil).bytes }

    /// The canonical JSON, with the lanes' and the elements' bytes given when the caller has them already.
    fileprivate func canonicalJSON(lanesJSON: [UInt8]?, elementsJSON: [[UInt8]]?) -> FrameJSON {
        var lanesRange = 0..<0
        var json = CanonicalJSONWriter(capacity: (lanesJSON?.count ?? 3072) + 1024)
        json.object { o in
            o.member("camera", present: camera != nil) { $0.write(camera!) }
            o.member("captureUTC", captureUTC)
            o.member("clock") { json in
                json.object { c in
                    c.member("display", clock.display)
                    c.member("hundredths", clock.hundredths)
                    c.member("startUTC", clock.startUTC)
                    c.member("state", clock.state.rawValue)
                }
            }
            o.member("dataVersion", dataVersion)
            o.member("elements") { json in
                if let elementsJSON {
                    json.array(elementsJSON) { $0.append(written: $1) }
                } else {
                    json.array(elements) { $0.write($1) }
                }
            }
            o.member("frame", frame)
            o.member("lanes") { json in
                let start = json.bytes.count
                if let lanesJSON {
                    json.append(written: lanesJSON)
                } else {
                    json.array(lanes) { $0.write($1) }
                }
                lanesRange = start..<json.bytes.count
            }
            o.member("leader", leader)
            o.member("order") { $0.array(order) { $0.integer(Int64($1)) } }
            o.member("pts", pts)
            o.member("records") { json in
                json.array(records) { json, record in
                    json.object { r in
                        r.member("holder", record.holder)
                        r.member("time") { $0.write(record.time) }
                        r.member("type", record.type)
                    }
                }
            }
            o.member("resultStatus", resultStatus)
            o.member("seq", seq)
            o.member("timeBase", timeBase)
            o.member("timecode", timecode)
            o.member("unit", unit)
            o.member("worldRecordLine", present: worldRecordLine != nil) { json in
                let line = worldRecordLine!
                json.object { w in
                    w.member("distanceMillimetres", line.distanceMillimetres)
                    w.member("finished", line.finished)
                    w.member("length", line.length)
                    w.member("positionMillimetres", line.positionMillimetres)
                    w.member("raceTime") { $0.write(line.raceTime) }
                    w.member("type", line.type)
                }
            }
        }
        return FrameJSON(bytes: json.bytes, lanes: lanesRange)
    }
}

extension CanonicalJSONWriter {
    fileprivate mutating func write(_ time: FrameOverlay.Time) {
        object { t in
            t.member("display", time.display)
            t.member("hundredths", time.hundredths)
        }
    }

    fileprivate mutating func write(_ pose: CameraPose) {
        object { p in
            p.member("camera", pose.camera)
            p.member("focus", pose.focus)
            p.member("pan", pose.pan)
            p.member("roll", pose.roll)
            p.member("tilt", pose.tilt)
            p.member("x", pose.x)
            p.member("y", pose.y)
            p.member("z", pose.z)
            p.member("zoom", pose.zoom)
        }
    }

    fileprivate mutating func write(_ lane: FrameOverlay.Lane) {
        object { l in
            l.member("athlete", present: lane.athlete != nil) { json in
                let athlete = lane.athlete!
                json.object { a in
                    a.member("familyName", athlete.familyName)
                    a.member("givenName", athlete.givenName)
                    a.member("id", athlete.id)
                    a.member("organisation", athlete.organisation)
                }
            }
            l.member("finish", present: lane.finish != nil) { json in
                let finish = lane.finish!
                json.object { f in
                    f.member("rank", finish.rank)
                    f.member("records") { $0.array(finish.records) { $0.string($1) } }
                    f.member("time") { $0.write(finish.time) }
                }
            }
            l.member("lane", lane.lane)
            l.member("photoFinishPending", lane.photoFinishPending)
            l.member("reaction", present: lane.reaction != nil) { $0.write(lane.reaction!) }
            l.member("splits") { json in
                json.array(lane.splits) { json, split in
                    json.object { s in
                        s.member("distance", split.distance)
                        s.member("gap", present: split.gap != nil) { json in
                            json.object { g in
                                g.member("display", split.gap!.display)
                                g.member("hundredths", split.gap!.hundredths)
                            }
                        }
                        s.member("rank", split.rank)
                        s.member("time") { $0.write(split.time) }
                    }
                }
            }
            l.member("status", lane.status)
        }
    }

    mutating func write(_ element: FrameOverlay.Element) {
        object { e in
            e.member("id", element.id)
            e.member("kind", element.kind)
            e.member("opacity", element.opacity)
            e.member("rect", present: element.rect != nil) { $0.array(element.rect!) { $0.double($1) } }
            e.member("screen", present: element.screen != nil) { json in
                json.array(element.screen!) { json, point in json.array(point) { $0.double($1) } }
            }
            e.member("text", element.text)
            e.member("values", present: element.values != nil) { json in
                let values = element.values!
                json.bytes.append(UInt8(ascii: "{"))
                for (index, key) in values.keys.sorted().enumerated() {
                    if index > 0 { json.bytes.append(UInt8(ascii: ",")) }
                    json.string(key)
                    json.bytes.append(UInt8(ascii: ":"))
                    json.string(values[key]!)
                }
                json.bytes.append(UInt8(ascii: "}"))
            }
            e.member("visible", element.visible)
            e.member("world", present: element.world != nil) { json in
                let world = element.world!
                json.object { w in
                    w.member("anchor", world.anchor)
                    w.member("points") { json in
                        json.array(world.points) { json, point in json.array(point) { $0.double($1) } }
                    }
                }
            }
        }
    }
}
