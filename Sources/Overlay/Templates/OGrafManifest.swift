/// A Podium template described as an EBU OGraf v1 graphic (docs/ograf.md).
///
/// The graphic's data is Podium's own `FrameOverlay`, the JSON of one frame as the API serves
/// it: the template has already been applied there (each element's text, rectangle or projected
/// points, visibility and fade), so one module draws every template and the manifest says what
/// this template puts in the data. Pure: it builds the manifest; writing and serving it is the
/// caller's job.
public enum OGrafManifest {
    /// The OGraf v1 graphics manifest schema, named in every manifest.
    public static let schemaURL = "https://ograf.ebu.io/v1/specification/json-schemas/graphics/schema.json"
    /// The graphic's ES module, beside the manifest.
    public static let moduleFile = "graphic.mjs"
    /// What `load` and `updateAction` take as `data`, and its version (`v_podium`).
    public static let payloadFormat = "podium.frame-overlay"
    public static let payloadVersion = 1
    /// The custom actions every exported graphic has: the clock runs locally between updates.
    public static let startClockAction = "startClock"
    public static let stopClockAction = "stopClock"

    /// The manifest's file name: `NAME.ograf.json`, as OGraf finds manifests by that ending.
    public static func fileName(for template: OverlayTemplate) -> String { "\(template.name).ograf.json" }

    /// The manifest of `template`'s graphic.
    public static func manifest(for template: OverlayTemplate) -> JSONValue {
        .object([
            "$schema": .string(schemaURL),
            "id": .string("tv.podium.template.\(template.name)"),
            "version": .string(template.version),
            "name": .string("Podium \(template.name)"),
            "description": .string(template.summary ?? "Podium's \(template.name) template, drawn from each frame's overlay."),
            "author": .object(["name": .string("Podium")]),
            "main": .string(moduleFile),
            "supportsRealTime": .bool(true),
            "supportsNonRealTime": .bool(true),
            "stepCount": .integer(1),
            "schema": dataSchema(for: template),
            "customActions": .array([
                .object([
                    "id": .string(startClockAction), "name": .string("Start the clock"),
                    "description": .string("Runs the clock element locally from `hundredths` until the next update or stopClock."),
                    "schema": .object([
                        "type": .string("object"),
                        "properties": .object(["hundredths": .object(["type": .string("integer"), "minimum": .integer(0), "default": .integer(0)])]),
                    ]),
                ]),
                .object([
                    "id": .string(stopClockAction), "name": .string("Stop the clock"),
                    "description": .string("Holds the clock element at the time it shows."), "schema": .null,
                ]),
            ]),
            "renderRequirements": .array([
                // Element rectangles are fractions of the frame: any size draws, 16:9 is what templates are made for.
                .object(["resolution": .object(["width": .object(["ideal": .integer(1920)]), "height": .object(["ideal": .integer(1080)])])]),
            ]),
            "v_podium": .object([
                "template": .string(template.name),
                "templateVersion": .string(template.version),
                "payload": .string(payloadFormat),
                "payloadVersion": .integer(Int64(payloadVersion)),
                "elements": .array(template.elements.map(elementBinding)),
            ]),
        ])
    }

    /// The data schema (OGraf's GDD flavour of JSON Schema): the `FrameOverlay` fields the module
    /// draws, with the element ids and value names this template binds.
    static func dataSchema(for template: OverlayTemplate) -> JSONValue {
        let ids = template.elements.map { $0.perLane ? "\($0.id)\\.[0-9]+" : $0.id }
        let valueNames = Set(template.elements.flatMap { $0.values.map(\.name) }).sorted()
        let element: JSONValue = .object([
            "type": .string("object"),
            "properties": .object([
                "id": .object([
                    "type": .string("string"), "pattern": .string("^(\(ids.joined(separator: "|")))$"),
                    "description": .string("The template element's id; a per-lane element's ends in its lane (laneTag.4)."),
                ]),
                "kind": .object(["type": .string("string"), "enum": .array(Set(template.elements.map(\.kind.rawValue)).sorted().map(JSONValue.string))]),
                "text": .object(["type": .string("string"), "description": .string("The element's text, bound from the frame's state.")]),
                "values": .object([
                    "type": .string("object"),
                    "properties": .object(Dictionary(uniqueKeysWithValues: valueNames.map { ($0, JSONValue.object(["type": .string("string")])) })),
                ]),
                "rect": .object([
                    "type": .string("array"), "items": .object(["type": .string("number")]),
                    "description": .string("x, y (top left), width, height as fractions of the frame; for a lane tag, the box its label was laid out in (draw a leader line from its screen point); absent for other world-anchored elements."),
                ]),
                "screen": .object([
                    "type": .string("array"),
                    "items": .object(["type": .string("array"), "items": .object(["type": .string("number")])]),
                    "description": .string("Projected points of a world anchor (x, y as fractions of the frame), when the camera sees it."),
                ]),
                "visible": .object(["type": .string("boolean")]),
                "opacity": .object(["type": .string("number"), "minimum": .integer(0), "maximum": .integer(1)]),
            ]),
            "required": .array(["id", "kind", "text", "visible", "opacity"].map(JSONValue.string)),
        ])
        return .object([
            "type": .string("object"),
            "properties": .object([
                "frame": .object(["type": .string("integer"), "description": .string("The frame's index in presentation order.")]),
                "pts": .object(["type": .string("integer")]),
                "captureUTC": .object(["type": .string("string"), "description": .string("Capture UTC of the frame, ISO 8601 with microseconds.")]),
                "unit": .object(["type": .string("string")]),
                "clock": .object([
                    "type": .string("object"),
                    "properties": .object([
                        "state": .object(["type": .string("string"), "enum": .array(["notStarted", "running", "stopped", "final"].map(JSONValue.string))]),
                        "hundredths": .object(["type": .string("integer")]),
                        "display": .object(["type": .string("string")]),
                    ]),
                ]),
                "elements": .object(["type": .string("array"), "items": element, "description": .string("What the template puts on screen on this frame.")]),
            ]),
            "required": .array([.string("elements")]),
        ])
    }

    /// One element as the template binds it: what it is, when it shows, and the paths its text
    /// and values read from the frame's state.
    static func elementBinding(_ element: OverlayTemplate.Element) -> JSONValue {
        var fields: [String: JSONValue] = [
            "id": .string(element.id), "kind": .string(element.kind.rawValue), "perLane": .bool(element.perLane),
            "on": .string(element.on.rawValue), "text": .string(element.text.source),
            "binds": .array(([element.text] + element.values.map(\.binding)).flatMap(\.bindingPaths).reduce(into: [String]()) { paths, path in
                if !paths.contains(path) { paths.append(path) }
            }.map(JSONValue.string)),
        ]
        if let until = element.until { fields["until"] = .string(until.rawValue) }
        if !element.values.isEmpty {
            fields["values"] = .object(Dictionary(element.values.map { ($0.name, JSONValue.string($0.binding.source)) }, uniquingKeysWith: { first, _ in first }))
        }
        return .object(fields)
    }
}
