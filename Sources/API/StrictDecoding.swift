import Foundation
import HTTPTypes
import Overlay

/// A request field that breaks the request's schema (docs/openapi.yaml): its JSON path, such as
/// `$.hls.window` or `$.outputs[1]`, and why. Thrown while decoding; answered as a 400
/// `bad_request` naming the path.
struct RequestFieldError: Error {
    let path: String
    let reason: String

    init(_ path: String, _ reason: String) {
        self.path = path
        self.reason = reason
    }

    init(at codingPath: [any CodingKey], _ reason: String) {
        self.init(Self.jsonPath(codingPath), reason)
    }

    var apiError: APIError { APIError(.badRequest, code: "bad_request", message: "\(path) \(reason)", details: ["path": path]) }

    /// `$`, then `.name` for each field and `[n]` for each array index.
    static func jsonPath(_ codingPath: [any CodingKey]) -> String {
        codingPath.reduce(into: "$") { path, key in
            if let index = key.intValue { path += "[\(index)]" } else { path += ".\(key.stringValue)" }
        }
    }
}

/// Decodes a request body strictly: an empty body, bytes that are not JSON, and every field that
/// breaks the schema are 400s naming what was wrong (the first fault found, fields in the order
/// the type reads them).
func decodeRequest<Request: Decodable>(_ type: Request.Type, from body: Data) throws -> Request {
    guard !body.isEmpty else { throw APIError(.badRequest, code: "bad_request", message: "the body is empty; send a JSON object") }
    do {
        return try JSONDecoder().decode(Request.self, from: body)
    } catch let error as RequestFieldError {
        throw error.apiError
    } catch DecodingError.dataCorrupted(let context) where context.codingPath.isEmpty {
        throw APIError(.badRequest, code: "bad_json", message: "the body is not valid JSON", details: ["path": "$"])
    } catch {
        // Every field is read through `StrictFields`, which throws its own errors; anything else
        // the decoder says is still the request's fault.
        throw APIError(.badRequest, code: "bad_request", message: "the body does not fit the request: \(error)", details: ["path": "$"])
    }
}

/// The fields of one JSON object of a request, read strictly: the object must be an object, a
/// field the type does not know is refused (naming the fields it does), and so is `null` (an
/// optional field is left out, never null: the OpenAPI document allows no null, and one meaning
/// per spelling keeps clients from guessing). Each reader names the field's path in its error.
struct StrictFields<Key: CodingKey & CaseIterable & RawRepresentable> where Key.RawValue == String {
    private let container: KeyedDecodingContainer<Key>

    init(_ decoder: any Decoder) throws {
        let any: KeyedDecodingContainer<AnyFieldKey>
        do {
            any = try decoder.container(keyedBy: AnyFieldKey.self)
        } catch DecodingError.typeMismatch {
            let value = try JSONValue(from: decoder)
            throw RequestFieldError(at: decoder.codingPath, "must be an object, not \(value.typeName)")
        }
        let allowed = Key.allCases.map(\.rawValue).sorted()
        let names = any.allKeys.map(\.stringValue).sorted()
        if let unknown = names.first(where: { !allowed.contains($0) }) {
            throw RequestFieldError(at: decoder.codingPath + [AnyFieldKey(unknown)], "is not a field here; the fields are \(allowed.joined(separator: ", "))")
        }
        if let null = try names.first(where: { try any.decodeNil(forKey: AnyFieldKey($0)) }) {
            throw RequestFieldError(at: decoder.codingPath + [AnyFieldKey(null)], "is null; leave the field out instead")
        }
        container = try decoder.container(keyedBy: Key.self)
    }

    /// A field that breaks the schema: 400 naming its path.
    func wrong(_ key: Key, _ reason: String) -> RequestFieldError {
        RequestFieldError(at: container.codingPath + [key], reason)
    }

    /// The field's JSON as it came, or nil when it is left out.
    func value(_ key: Key) throws -> JSONValue? {
        try container.decodeIfPresent(JSONValue.self, forKey: key)
    }

    /// A nested object or other type that reads itself strictly.
    func nested<Value: Decodable>(_ key: Key, as type: Value.Type = Value.self) throws -> Value? {
        try container.decodeIfPresent(Value.self, forKey: key)
    }

    /// 1 to 2,048 characters (Unicode code points, as JSON Schema's `maxLength` counts), no NUL:
    /// the `RequestText` of docs/openapi.yaml.
    func text(_ key: Key, required: Bool = false) throws -> String? {
        switch try value(key) {
        case nil:
            if required { throw wrong(key, "is required") }
            return nil
        case .string(let text)? where Self.isRequestText(text):
            return text
        case .string?:
            throw wrong(key, "must be a non-empty string of at most 2048 characters, without NUL")
        case let other?:
            throw wrong(key, "must be a string, not \(other.typeName)")
        }
    }

    func integer(_ key: Key, in range: ClosedRange<Int64>) throws -> Int64? {
        switch try value(key) {
        case nil: return nil
        case .integer(let number)? where range.contains(number): return number
        case .integer(let number)?: throw wrong(key, "must be an integer from \(range.lowerBound) to \(range.upperBound), not \(number)")
        case let other?: throw wrong(key, "must be an integer from \(range.lowerBound) to \(range.upperBound), not \(other.typeName)")
        }
    }

    func number(_ key: Key, in range: ClosedRange<Double>) throws -> Double? {
        switch try value(key) {
        case nil: return nil
        case .integer(let number)? where range.contains(Double(number)): return Double(number)
        case .number(let number)? where range.contains(number): return number
        case let other?: throw wrong(key, "must be a number from \(range.lowerBound) to \(range.upperBound), not \(other.typeName)")
        }
    }

    func texts(_ key: Key, maximum: Int) throws -> [String]? {
        switch try value(key) {
        case nil: return nil
        case .array(let items)?:
            guard items.count <= maximum else { throw wrong(key, "may hold at most \(maximum) entries") }
            return try items.enumerated().map { index, item in
                guard case .string(let text) = item, Self.isRequestText(text) else {
                    throw RequestFieldError(
                        at: container.codingPath + [key, AnyFieldKey(index: index)],
                        "must be a non-empty string of at most 2048 characters, without NUL, not \(item.typeName)"
                    )
                }
                return text
            }
        case let other?: throw wrong(key, "must be an array of strings, not \(other.typeName)")
        }
    }

    static func isRequestText(_ text: String) -> Bool {
        !text.isEmpty && text.unicodeScalars.count <= 2048 && !text.unicodeScalars.contains("\0")
    }
}

/// Any field name or array index, for naming what a request's type does not know.
struct AnyFieldKey: CodingKey {
    let stringValue: String
    let intValue: Int?

    init(_ name: String) {
        stringValue = name
        intValue = nil
    }

    init(index: Int) {
        stringValue = "\(index)"
        intValue = index
    }

    init?(stringValue: String) { self.init(stringValue) }
    init?(intValue: Int) { self.init(index: intValue) }
}
