import Foundation
import HTTPTypes
import MediaFormats
import Overlay
import Pipeline
import Store

/// `POST /v1/jobs`: what a client may ask for, decoded strictly. Everything the request's schema
/// (docs/openapi.yaml) says is checked here and refused with a 400 naming the JSON path: unknown
/// and null fields, types, ranges, spellings. Whether this server can start the job (its
/// fixtures, allowlist, schedule, templates, the key's owner) is `job(for:desk:)`'s part.
///
/// ```json
/// {"input": "udp://127.0.0.1:5000" | "fixture:swim-100-free",
///  "clock": {"source": "anchor", "anchor": {"pts": 0, "timeBase": "1/90000", "utc": "…"}, "frameRate": "50/1",
///            "latencyMs": 0, "timecodeDate": "2026-07-31", "timecodeZone": "Z"},
///  "results": {"source": "feeds", "unit": "SWMM100MFR-----------FNL-000100--"}
///             | {"source": "feeds", "venue": "AQU", "at": "2026-07-31T21:42:00+02:00"} | {"source": "fixture"},
///  "template": "swimming", "carriers": ["id3", "sei"], "cues": "on-change", "lookaheadMs": 500,
///  "outputs": ["udp://127.0.0.1:6000", "srt://127.0.0.1:7000?mode=listener"],
///  "hls": {"segmentSeconds": 2, "window": 6}, "owner": "broadcaster-name"}
/// ```
struct JobRequest: Decodable {
    /// A job's input: a fixture by plain name, or a network URL (checked against the allowlist later).
    enum Input {
        case fixture(name: String)
        case network(url: String)
    }

    static let maximumBody = 64 * 1024

    /// The input as written.
    let inputText: String
    let input: Input
    let clock: ClockRequest?
    let results: ResultsRequest?
    let template: String?
    let carriers: Carriers?
    /// Which frames get a timed-ID3 cue on every output; nil: each output's standard mode.
    let cues: CueMode?
    let lookaheadMs: Int64
    let outputs: [String]
    let hls: HLSRequest?
    let owner: String?

    private enum CodingKeys: String, CodingKey, CaseIterable {
        case input, clock, results, template, carriers, cues, lookaheadMs, outputs, hls, owner
    }

    init(from decoder: any Decoder) throws {
        let fields = try StrictFields<CodingKeys>(decoder)
        inputText = try fields.text(.input, required: true)!
        if inputText.hasPrefix("fixture:") {
            let name = String(inputText.dropFirst("fixture:".count))
            guard isPlainName(name) else { throw fields.wrong(.input, "names a fixture by a plain name (fixture:swim-100-free)") }
            input = .fixture(name: name)
        } else {
            input = .network(url: inputText)
        }
        clock = try fields.nested(.clock)
        results = try fields.nested(.results)
        if let list = try fields.texts(.carriers, maximum: 2) {
            guard let chosen = try? Carriers(list: list.joined(separator: ",")) else { throw fields.wrong(.carriers, "holds id3 and/or sei") }
            carriers = chosen
        } else {
            carriers = nil
        }
        if let mode = try fields.text(.cues) {
            guard let chosen = CueMode(rawValue: mode) else {
                throw fields.wrong(.cues, "must be one of \(CueMode.names)")
            }
            cues = chosen
        } else {
            cues = nil
        }
        lookaheadMs = try fields.integer(.lookaheadMs, in: 0...10_000) ?? 0
        outputs = try fields.texts(.outputs, maximum: 8) ?? []
        hls = try fields.nested(.hls)
        template = try fields.text(.template)
        if let template, !isPlainName(template) {
            throw fields.wrong(.template, "is a plain template name (lower-case letters, digits, dashes)")
        }
        owner = try fields.text(.owner)
        if let owner, !APIKeyRecord.isValidOwner(owner) { throw fields.wrong(.owner, "must be \(APIKeyRecord.ownerRule)") }
    }
}

/// `clock` of a job request: the source, and what it needs.
struct ClockRequest: Decodable {
    let source: ClockSource?
    /// An anchor (with or without a frame rate), read as a clock file reads it.
    let anchored: ClockFile?
    /// A frame rate given without an anchor: it keeps the fixture's anchor (or the source's own clock).
    let frameRateAlone: Rational?
    let latencyMs: Int64?
    let timecodeDay: TimecodeDay?

    private enum CodingKeys: String, CodingKey, CaseIterable {
        case source, anchor, frameRate, latencyMs, timecodeDate, timecodeZone
    }

    init(from decoder: any Decoder) throws {
        let fields = try StrictFields<CodingKeys>(decoder)
        if let text = try fields.text(.source) {
            guard let chosen = ClockSource(rawValue: text) else {
                throw fields.wrong(.source, "must be one of \(ClockSource.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            source = chosen
        } else {
            source = nil
        }
        let anchor = try fields.value(.anchor)
        let frameRate = try fields.value(.frameRate)
        // The API takes ratios in one spelling only ("1/90000", "50", "60000/1001"), the `Ratio`
        // pattern of docs/openapi.yaml; clock files on disk are read more leniently.
        var timeBase: JSONValue?
        if case .object(let fields)? = anchor { timeBase = fields["timeBase"] }
        let ratios: [(name: String, value: JSONValue?)] = [("frameRate", frameRate), ("anchor.timeBase", timeBase)]
        for (name, value) in ratios {
            if case .string(let text)? = value, !isPositiveRatio(text) {
                throw RequestFieldError(RequestFieldError.jsonPath(decoder.codingPath) + ".\(name)", "must be a positive ratio such as 1/90000 or 50")
            }
        }
        if anchor == nil, case .string(let text)? = frameRate, let rate = Rational(parsing: text) {
            frameRateAlone = rate
            anchored = nil
        } else if anchor != nil || frameRate != nil {
            frameRateAlone = nil
            var file: [String: JSONValue] = [:]
            file["anchor"] = anchor
            file["frameRate"] = frameRate
            do {
                anchored = try ClockFile(json: try JSONEncoder().encode(JSONValue.object(file)))
            } catch {
                throw RequestFieldError(at: decoder.codingPath, "is not a clock: \(error)")
            }
        } else {
            (frameRateAlone, anchored) = (nil, nil)
        }
        latencyMs = try fields.integer(.latencyMs, in: 0...60_000)
        if let date = try fields.text(.timecodeDate) {
            let zone = try fields.text(.timecodeZone) ?? "Z"
            guard let day = TimecodeDay(date: date, zone: zone) else {
                throw fields.wrong(.timecodeDate, "and timecodeZone must be a date (YYYY-MM-DD) and a zone (Z or ±HH:MM)")
            }
            timecodeDay = day
        } else {
            timecodeDay = nil
        }
    }

    /// The settings this clock asks for over `base` (a fixture's own clock, or none).
    func settings(over base: ClockSettings) -> ClockSettings {
        var settings = base
        if let source { settings.source = source }
        if let frameRateAlone { settings.frameRate = frameRateAlone }
        if let anchored {
            settings.anchor = anchored.anchor
            settings.frameRate = anchored.frameRate ?? settings.frameRate
        }
        if let latencyMs { settings.latency = Double(latencyMs) / 1000 }
        if let timecodeDay { settings.timecodeDay = timecodeDay }
        return settings
    }
}

/// `results` of a job request: a fixture's own folder, or the server's feeds with the unit to
/// follow (by its code, or the one scheduled at a venue now or at `at`) and the ledger.
struct ResultsRequest: Decodable {
    enum Source: String {
        case feeds, fixture
    }

    let source: Source
    let unit: String?
    let venue: String?
    let at: UTCInstant?
    /// Whether the rehearsal ledger (test documents) is asked for instead of production.
    let rehearsal: Bool
    /// The fields given that apply to the feeds only, in the order they are named when refused.
    let feedOnlyFields: [String]

    private enum CodingKeys: String, CodingKey, CaseIterable {
        case source, unit, venue, at, ledger
    }

    init(from decoder: any Decoder) throws {
        let fields = try StrictFields<CodingKeys>(decoder)
        let sourceText = try fields.text(.source, required: true)!
        guard let source = Source(rawValue: sourceText) else { throw fields.wrong(.source, "must be feeds or fixture, not \(sourceText)") }
        self.source = source
        let ledger = try fields.text(.ledger)
        switch ledger {
        case nil, "production": rehearsal = false
        case "rehearsal": rehearsal = true
        case let other?: throw fields.wrong(.ledger, "must be production or rehearsal, not \(other)")
        }
        venue = try fields.text(.venue)
        unit = try fields.text(.unit)
        let atText = try fields.text(.at)
        var feedOnly: [String] = []
        if venue != nil { feedOnly.append("venue") }
        if atText != nil { feedOnly.append("at") }
        if ledger != nil { feedOnly.append("ledger") }
        feedOnlyFields = feedOnly
        if source == .feeds, venue != nil, unit != nil { throw fields.wrong(.venue, "and results.unit exclude each other") }
        if let atText {
            guard let instant = UTCInstant(iso8601: atText) else { throw fields.wrong(.at, "must be an ISO 8601 date-time with a zone") }
            at = instant
        } else {
            at = nil
        }
        if let unit, UnitCode(unit) == nil { throw fields.wrong(.unit, "must be a 34-character RSC") }
    }
}

/// `hls` of a job request: Podium's HLS in the job's own folder.
struct HLSRequest: Decodable {
    let segmentSeconds: Double
    let window: Int

    private enum CodingKeys: String, CodingKey, CaseIterable {
        case segmentSeconds, window
    }

    init(from decoder: any Decoder) throws {
        let fields = try StrictFields<CodingKeys>(decoder)
        segmentSeconds = try fields.number(.segmentSeconds, in: 0.5...30) ?? 2
        window = Int(try fields.integer(.window, in: 1...100) ?? 6)
    }
}
