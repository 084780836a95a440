public import Foundation

/// Why a third-party OGraf graphic or its mapping file cannot be used: a sentence naming the
/// field that is wrong.
public struct OGrafImportError: Error, CustomStringConvertible, Equatable {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// A third-party OGraf v1 graphic's manifest, as far as Podium drives the graphic
/// (docs/ograf.md, "A graphic of your own"): where its module is, how it may be rendered, and
/// the data fields its schema declares. Pure: reading the folder is the caller's job.
public struct OGrafGraphic: Sendable {
    public let id: String
    public let name: String
    /// The ES module, relative to the manifest's folder (checked: no absolute path, no `..`).
    public let main: String
    public let supportsRealTime: Bool
    public let supportsNonRealTime: Bool
    /// The data schema's top-level properties, by name.
    public let fields: [String: OGrafDataField]
    /// The properties the schema requires.
    public let required: Set<String>

    /// Reads and checks a manifest (`*.ograf.json`): the members OGraf v1 requires, with their
    /// types, a `main` inside the graphic's folder, and a data `schema` that is an object schema.
    public init(manifest: Data) throws(OGrafImportError) {
        guard let value = try? JSONDecoder().decode(JSONValue.self, from: manifest), case .object(let members) = value else {
            throw OGrafImportError("the manifest is not a JSON object")
        }
        func string(_ key: String) throws(OGrafImportError) -> String {
            guard case .string(let text)? = members[key], !text.isEmpty else {
                throw OGrafImportError("the manifest's `\(key)` must be a non-empty string (it is \(members[key]?.typeName ?? "missing"))")
            }
            return text
        }
        func flag(_ key: String) throws(OGrafImportError) -> Bool {
            guard case .bool(let flag)? = members[key] else {
                throw OGrafImportError("the manifest's `\(key)` must be true or false (it is \(members[key]?.typeName ?? "missing"))")
            }
            return flag
        }
        let schemaURL = try string("$schema")
        guard schemaURL.contains("/v1/") else {
            throw OGrafImportError("the manifest's `$schema` is \(schemaURL), not an OGraf v1 graphics schema")
        }
        id = try string("id")
        name = try string("name")
        main = try string("main")
        let parts = main.split(separator: "/", omittingEmptySubsequences: false)
        guard !main.hasPrefix("/"), !main.contains("://"), !main.contains("\\"), !parts.contains(".."), !parts.contains("") else {
            throw OGrafImportError("the manifest's `main` (\(main)) must be a path inside the graphic's folder")
        }
        supportsRealTime = try flag("supportsRealTime")
        supportsNonRealTime = try flag("supportsNonRealTime")
        guard supportsRealTime || supportsNonRealTime else {
            throw OGrafImportError("the manifest says the graphic supports neither real-time nor non-real-time rendering")
        }
        switch members["schema"] {
        case nil, .null:
            fields = [:]
            required = []
        case .object(let schema):
            if let type = schema["type"], type != .string("object"), type != .array([.string("object")]) {
                throw OGrafImportError("the manifest's data `schema` must describe an object (its `type` is \(type))")
            }
            var fields: [String: OGrafDataField] = [:]
            if let properties = schema["properties"] {
                guard case .object(let declared) = properties else { throw OGrafImportError("the data schema's `properties` must be an object") }
                for (field, declaration) in declared {
                    fields[field] = try OGrafDataField(declaration, named: field)
                }
            }
            self.fields = fields
            switch schema["required"] {
            case nil: required = []
            case .array(let names):
                var listed: Set<String> = []
                for name in names {
                    guard case .string(let text) = name else { throw OGrafImportError("the data schema's `required` must list field names") }
                    listed.insert(text)
                }
                required = listed
            default: throw OGrafImportError("the data schema's `required` must be an array of field names")
            }
        case let other?:
            throw OGrafImportError("the manifest's `schema` must be an object (it is \(other.typeName))")
        }
    }
}

/// One field of a graphic's data schema: the JSON types it takes, its default and allowed values.
public struct OGrafDataField: Sendable, Hashable {
    public enum Kind: String, Sendable, CaseIterable {
        case string, number, integer, boolean, object, array
    }

    /// The types the schema allows (JSON Schema `type`, a name or a list); empty: any.
    public let kinds: [Kind]
    public let defaultValue: JSONValue?
    /// JSON Schema `enum`, when given.
    public let allowed: [JSONValue]?

    init(_ declaration: JSONValue, named field: String) throws(OGrafImportError) {
        guard case .object(let members) = declaration else {
            throw OGrafImportError("the data schema's field `\(field)` must be a schema object")
        }
        func kind(_ name: JSONValue) throws(OGrafImportError) -> Kind? {
            guard case .string(let text) = name else { throw OGrafImportError("the data schema's field `\(field)` has a `type` that is not a name") }
            if text == "null" { return nil }
            guard let kind = Kind(rawValue: text) else { throw OGrafImportError("the data schema's field `\(field)` has an unknown type `\(text)`") }
            return kind
        }
        switch members["type"] {
        case nil: kinds = []
        case .array(let names):
            var listed: [Kind] = []
            for name in names { if let one = try kind(name) { listed.append(one) } }
            kinds = listed
        case let name?: kinds = try kind(name).map { [$0] } ?? []
        }
        defaultValue = members["default"]
        if case .array(let values)? = members["enum"] { allowed = values } else { allowed = nil }
    }

    /// `value` as this field takes it: as it is when its type fits, else converted where nothing
    /// is lost (a number as a string, a numeric string as a number, "true" as a boolean); nil
    /// when it does not fit the type or the allowed values.
    public func fitting(_ value: JSONValue) -> JSONValue? {
        let fitted: JSONValue?
        if kinds.isEmpty || kinds.contains(where: { Self.holds($0, value) }) {
            fitted = value
        } else {
            fitted = kinds.lazy.compactMap { Self.converted(value, to: $0) }.first
        }
        guard let fitted else { return nil }
        if let allowed, !allowed.contains(fitted) { return nil }
        return fitted
    }

    private static func holds(_ kind: Kind, _ value: JSONValue) -> Bool {
        switch (kind, value) {
        case (.string, .string), (.integer, .integer), (.number, .integer), (.number, .number), (.boolean, .bool), (.object, .object), (.array, .array): true
        case (.integer, .number(let number)): number.rounded() == number && abs(number) < 9e15
        default: false
        }
    }

    private static func converted(_ value: JSONValue, to kind: Kind) -> JSONValue? {
        switch (kind, value) {
        case (.string, .integer(let number)): .string(String(number))
        case (.string, .number(let number)): .string(number.rounded() == number && abs(number) < 9e15 ? String(Int64(number)) : String(number))
        case (.string, .bool(let flag)): .string(flag ? "true" : "false")
        case (.integer, .number(let number)) where number.rounded() == number && abs(number) < 9e15: .integer(Int64(number))
        case (.integer, .string(let text)): Int64(text.trimmingCharacters(in: .whitespaces)).map(JSONValue.integer)
        case (.number, .string(let text)): Double(text.trimmingCharacters(in: .whitespaces)).flatMap { $0.isFinite ? JSONValue.number($0) : nil }
        case (.boolean, .string("true")): .bool(true)
        case (.boolean, .string("false")): .bool(false)
        default: nil
        }
    }
}

/// A place in a frame overlay's JSON (wire-format.md): member names joined by dots, an array
/// item by its index (`order[0]`) or by one of its members (`lanes[lane=4]`,
/// `elements[id=laneTag.4]`). For example `lanes[lane=4].athlete.familyName`, `clock.display`,
/// `elements[id=results].visible`.
public struct OverlayPath: Sendable, Hashable, CustomStringConvertible {
    enum Step: Sendable, Hashable {
        case member(String)
        case index(Int)
        case item(member: String, equals: String)
    }

    public let description: String
    let steps: [Step]

    public init(parsing text: String) throws(OGrafImportError) {
        description = text
        var steps: [Step] = []
        var name = ""
        var characters = text.makeIterator()
        var afterBracket = false
        func bad(_ why: String) -> OGrafImportError { OGrafImportError("the path `\(text)` \(why)") }
        while let character = characters.next() {
            switch character {
            case ".":
                if name.isEmpty {
                    guard afterBracket else { throw bad("has an empty member name") }
                } else {
                    steps.append(.member(name))
                }
                name = ""
                afterBracket = false
            case "[":
                if !name.isEmpty { steps.append(.member(name)) }
                guard !steps.isEmpty else { throw bad("starts with a bracket") }
                name = ""
                var inside = ""
                var closed = false
                while let next = characters.next() {
                    if next == "]" { closed = true; break }
                    inside.append(next)
                }
                guard closed else { throw bad("has a bracket that is not closed") }
                if let index = Int(inside), index >= 0 {
                    steps.append(.index(index))
                } else if let equals = inside.firstIndex(of: "="), equals != inside.startIndex {
                    steps.append(.item(member: String(inside[..<equals]), equals: String(inside[inside.index(after: equals)...])))
                } else {
                    throw bad("has `[\(inside)]`, neither an index nor member=value")
                }
                afterBracket = true
            case "]":
                throw bad("has a `]` without its `[`")
            default:
                guard !afterBracket else { throw bad("needs a dot after `]`") }
                name.append(character)
            }
        }
        if !name.isEmpty {
            steps.append(.member(name))
        } else if !afterBracket {
            throw bad(text.isEmpty ? "is empty" : "ends with a dot")
        }
        self.steps = steps
    }

    /// The value at this path in `json`, or nil where there is none.
    public func value(in json: JSONValue) -> JSONValue? {
        var current = json
        for step in steps {
            switch (step, current) {
            case (.member(let name), .object(let members)):
                guard let next = members[name] else { return nil }
                current = next
            case (.index(let index), .array(let items)):
                guard index < items.count else { return nil }
                current = items[index]
            case (.item(let member, let wanted), .array(let items)):
                guard let found = items.first(where: { item in
                    guard case .object(let members) = item, let value = members[member] else { return false }
                    return Self.text(of: value) == wanted
                }) else { return nil }
                current = found
            default:
                return nil
            }
        }
        return current == .null ? nil : current
    }

    /// A scalar's text as a path would spell it.
    private static func text(of value: JSONValue) -> String? {
        switch value {
        case .string(let text): text
        case .integer(let number): String(number)
        case .number(let number): number.rounded() == number && abs(number) < 9e15 ? String(Int64(number)) : String(number)
        case .bool(let flag): flag ? "true" : "false"
        default: nil
        }
    }
}

/// How a job's frames drive a third-party graphic: which frame overlay value fills each of the
/// graphic's data fields, and when the graphic is on screen. Read from a mapping file:
///
/// ```json
/// {"show": "elements[id=results].visible",
///  "data": {"name": "lanes[lane=4].athlete.familyName",
///           "time": {"path": "clock.display", "default": "0.00"}}}
/// ```
///
/// `show` (optional): the graphic plays while the value there is true, a non-zero number or a
/// non-empty string, array or object, and stops otherwise; without it, it plays from the first
/// frame. `data`: the graphic's fields, each from a path, with an optional default for frames
/// where the path has no value or its value does not fit the field's type.
public struct OGrafDataMapping: Sendable {
    public struct Source: Sendable, Hashable {
        public let path: OverlayPath
        public let defaultValue: JSONValue?
    }

    public let show: OverlayPath?
    /// The graphic's fields and where each comes from, by field name.
    public let sources: [String: Source]
    private let fields: [String: OGrafDataField]

    /// Reads a mapping file and checks it against `graphic`: every field it fills is one the
    /// graphic declares, every default fits its field, and every field the graphic requires is
    /// filled or has the schema's default.
    public init(json: Data, for graphic: OGrafGraphic) throws(OGrafImportError) {
        guard let value = try? JSONDecoder().decode(JSONValue.self, from: json), case .object(let members) = value else {
            throw OGrafImportError("the mapping is not a JSON object")
        }
        let unknown = Set(members.keys).subtracting(["show", "data", "description"])
        guard unknown.isEmpty else {
            throw OGrafImportError("the mapping has unknown members: \(unknown.sorted().joined(separator: ", ")) (it may have show, data, description)")
        }
        switch members["show"] {
        case nil, .null: show = nil
        case .string(let path): show = try OverlayPath(parsing: path)
        case let other?: throw OGrafImportError("the mapping's `show` must be a path (it is \(other.typeName))")
        }
        guard case .object(let declared)? = members["data"] else {
            throw OGrafImportError("the mapping's `data` must be an object of the graphic's fields (it is \(members["data"]?.typeName ?? "missing"))")
        }
        let known = graphic.fields.keys.sorted().joined(separator: ", ")
        var sources: [String: Source] = [:]
        for (name, declaration) in declared {
            guard let field = graphic.fields[name] else {
                throw OGrafImportError("the mapping fills `\(name)`, which the graphic \(graphic.id) does not declare (it has: \(known.isEmpty ? "no fields" : known))")
            }
            let source: Source
            switch declaration {
            case .string(let path):
                source = Source(path: try OverlayPath(parsing: path), defaultValue: nil)
            case .object(let parts):
                let extra = Set(parts.keys).subtracting(["path", "default"])
                guard extra.isEmpty else { throw OGrafImportError("the mapping of `\(name)` has unknown members: \(extra.sorted().joined(separator: ", ")) (it may have path, default)") }
                guard case .string(let path)? = parts["path"] else { throw OGrafImportError("the mapping of `\(name)` needs a `path`") }
                var fallback: JSONValue?
                if let given = parts["default"] {
                    guard let fitted = field.fitting(given) else {
                        throw OGrafImportError("the mapping's default for `\(name)` (\(given.typeName)) does not fit the field's type (\(field.kinds.map(\.rawValue).joined(separator: " or ")))")
                    }
                    fallback = fitted
                }
                source = Source(path: try OverlayPath(parsing: path), defaultValue: fallback)
            default:
                throw OGrafImportError("the mapping of `\(name)` must be a path or {\"path\", \"default\"} (it is \(declaration.typeName))")
            }
            sources[name] = source
        }
        let unfilled = graphic.required.filter { sources[$0] == nil && graphic.fields[$0]?.defaultValue == nil }
        guard unfilled.isEmpty else {
            throw OGrafImportError("the graphic \(graphic.id) requires \(unfilled.sorted().joined(separator: ", ")), which the mapping does not fill and the schema gives no default for")
        }
        self.sources = sources
        fields = graphic.fields
    }

    /// What one frame gives the graphic.
    public struct FrameData: Sendable, Hashable {
        /// The graphic's data: each mapped field with a value that fits (or its default).
        public let data: JSONValue
        /// Whether the graphic is on screen in this frame.
        public let shown: Bool
        /// Fields whose value in this frame did not fit their type and had no default.
        public let misfits: [String]
    }

    /// The graphic's data and visibility for one frame overlay (its JSON).
    public func frameData(for overlay: JSONValue) -> FrameData {
        var data: [String: JSONValue] = [:]
        var misfits: [String] = []
        for (name, source) in sources {
            let found = source.path.value(in: overlay)
            if let found, let fitted = fields[name]?.fitting(found) {
                data[name] = fitted
            } else if let fallback = source.defaultValue {
                data[name] = fallback
            } else if found != nil {
                misfits.append(name)
            }
        }
        return FrameData(data: .object(data), shown: show.map { Self.isTrue($0.value(in: overlay)) } ?? true, misfits: misfits.sorted())
    }

    private static func isTrue(_ value: JSONValue?) -> Bool {
        switch value {
        case nil, .null?: false
        case .bool(let flag)?: flag
        case .integer(let number)?: number != 0
        case .number(let number)?: number != 0
        case .string(let text)?: !text.isEmpty
        case .array(let items)?: !items.isEmpty
        case .object(let members)?: !members.isEmpty
        }
    }
}
