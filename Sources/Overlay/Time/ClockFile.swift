public import Foundation

/// The `clock.json` a fixture or an operator supplies: an anchor and the frame rate.
///
/// ```json
/// {"anchor": {"pts": 129600, "timeBase": "1/90000", "utc": "2026-07-31T19:42:10.000Z"}, "frameRate": "50/1"}
/// ```
public struct ClockFile: Sendable, Equatable {
    /// The anchor: PTS (in `timeBase` ticks) ↔ capture UTC.
    public let anchor: ClockAnchor
    /// Frames per second, exact (e.g. 60000/1001). Nil lets the stream's own rate apply.
    public let frameRate: Rational?

    /// Decodes and validates a clock document; errors name the field that was wrong.
    public init(json: Data) throws(ClockFileError) {
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: json)
        } catch {
            throw .malformed("not valid JSON: \(error.localizedDescription)")
        }
        guard let root = object as? [String: Any] else { throw .malformed("the document must be a JSON object") }
        let knownRoot: Set<String> = ["anchor", "frameRate"]
        if let unknown = root.keys.sorted().first(where: { !knownRoot.contains($0) }) {
            throw .malformed("unknown field \"\(unknown)\"")
        }
        guard let anchor = root["anchor"] as? [String: Any] else { throw .malformed("\"anchor\" must be an object") }
        let knownAnchor: Set<String> = ["pts", "timeBase", "utc"]
        if let unknown = anchor.keys.sorted().first(where: { !knownAnchor.contains($0) }) {
            throw .malformed("unknown field \"anchor.\(unknown)\"")
        }
        // Typed values through JSONDecoder, which (unlike NSNumber bridging) never reads true as 1 or 1.5 as 1.
        let typed: Typed
        do {
            typed = try JSONDecoder().decode(Typed.self, from: json)
        } catch let error as FieldError {
            throw .malformed(ClockFile.complaint(about: error.field))
        } catch let DecodingError.typeMismatch(_, context), let DecodingError.dataCorrupted(context),
            let DecodingError.valueNotFound(_, context) {
            throw .malformed(ClockFile.complaint(about: context.codingPath.map(\.stringValue).joined(separator: ".")))
        } catch let DecodingError.keyNotFound(key, context) {
            throw .malformed(ClockFile.complaint(about: (context.codingPath.map(\.stringValue) + [key.stringValue]).joined(separator: ".")))
        } catch {
            throw .malformed("not valid JSON: \(error)")
        }
        guard let timeBase = Rational(parsing: typed.anchor.timeBase), timeBase > .zero else {
            throw .malformed(ClockFile.complaint(about: "anchor.timeBase"))
        }
        guard let utc = UTCInstant(iso8601: typed.anchor.utc) else { throw .malformed(ClockFile.complaint(about: "anchor.utc")) }
        self.anchor = ClockAnchor(pts: MediaTime(ticks: typed.anchor.pts, timeBase: timeBase), utc: utc)
        if let rateText = typed.frameRate {
            guard let rate = Rational(parsing: rateText), rate > .zero else { throw .malformed(ClockFile.complaint(about: "frameRate")) }
            frameRate = rate
        } else {
            frameRate = nil
        }
    }

    private struct Typed: Decodable {
        struct Anchor: Decodable {
            let pts: Int64
            let timeBase: String
            let utc: String

            enum CodingKeys: String, CodingKey { case pts, timeBase, utc }

            init(from decoder: any Decoder) throws {
                let container = try decoder.container(keyedBy: CodingKeys.self)
                // Foundation reports a non-integer number with an empty coding path; name the field here.
                do { pts = try container.decode(Int64.self, forKey: .pts) } catch { throw FieldError(field: "anchor.pts") }
                timeBase = try container.decode(String.self, forKey: .timeBase)
                utc = try container.decode(String.self, forKey: .utc)
            }
        }
        let anchor: Anchor
        let frameRate: String?
    }

    private struct FieldError: Error {
        let field: String
    }

    private static func complaint(about field: String) -> String {
        switch field {
        case "anchor.pts": "\"anchor.pts\" must be an integer tick count"
        case "anchor.timeBase": "\"anchor.timeBase\" must be a positive fraction such as \"1/90000\""
        case "anchor.utc": "\"anchor.utc\" must be an ISO 8601 date-time with a zone, such as \"2026-07-31T19:42:10.000Z\""
        case "frameRate": "\"frameRate\" must be a positive fraction such as \"50/1\" or \"60000/1001\""
        default: "\"\(field)\" is missing or of the wrong type"
        }
    }
}

/// Why a clock document was refused.
public enum ClockFileError: Error, Equatable, CustomStringConvertible {
    /// The document is not a valid clock description; the message names the field.
    case malformed(String)

    public var description: String {
        switch self {
        case .malformed(let reason): "clock file: \(reason)"
        }
    }
}
