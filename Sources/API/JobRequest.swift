import Foundation
import HTTPTypes
import Hummingbird
import Jobs
import MediaFormats
import Overlay
import Pipeline
import Store

/// A JSON object read strictly: unknown fields, wrong types and values out of range are 400s
/// naming the JSON path, such as `$.hls.window`.
struct StrictObject {
    let fields: [String: JSONValue]
    let path: String

    /// Reads a request body as a JSON object of the `allowed` fields.
    static func body(_ data: Data, allowed: Set<String>) throws -> StrictObject {
        guard !data.isEmpty else { throw APIError(.badRequest, code: "bad_request", message: "the body is empty; send a JSON object") }
        let value: JSONValue
        do {
            value = try JSONDecoder().decode(JSONValue.self, from: data)
        } catch {
            throw APIError(.badRequest, code: "bad_json", message: "the body is not valid JSON", details: ["path": "$"])
        }
        return try StrictObject(value, path: "$", allowed: allowed)
    }

    init(_ value: JSONValue, path: String, allowed: Set<String>) throws {
        guard case .object(let fields) = value else { throw StrictObject.wrong(path, "must be an object, not \(value.typeName)") }
        if let unknown = fields.keys.sorted().first(where: { !allowed.contains($0) }) {
            throw StrictObject.wrong("\(path).\(unknown)", "is not a field here; the fields are \(allowed.sorted().joined(separator: ", "))")
        }
        // An optional field is left out, never null: the OpenAPI document allows no null, and one
        // meaning per spelling keeps clients from guessing.
        if let null = fields.keys.sorted().first(where: { fields[$0] == .null }) {
            throw StrictObject.wrong("\(path).\(null)", "is null; leave the field out instead")
        }
        self.fields = fields
        self.path = path
    }

    static func wrong(_ path: String, _ reason: String) -> APIError {
        APIError(.badRequest, code: "bad_request", message: "\(path) \(reason)", details: ["path": path])
    }

    /// A field that breaks the request's schema (docs/openapi.yaml): 400 naming its path.
    func wrong(_ name: String, _ reason: String) -> APIError { StrictObject.wrong("\(path).\(name)", reason) }

    /// A field that fits the schema but that this server cannot start a job with (a rule across
    /// fields, its allowlist, its schedule): 422 `cannot_start` naming its path, so that a 400
    /// always means the request itself is malformed.
    func refused(_ name: String, _ reason: String) -> APIError {
        let path = "\(path).\(name)"
        return APIError(.unprocessableContent, code: "cannot_start", message: "\(path) \(reason)", details: ["path": path])
    }

    func string(_ name: String, required: Bool = false) throws -> String? {
        switch fields[name] {
        case nil, .null?:
            if required { throw wrong(name, "is required") }
            return nil
        case .string(let text)?:
            guard Self.isRequestText(text) else { throw wrong(name, "must be a non-empty string of at most 2048 characters, without NUL") }
            return text
        case let other?:
            throw wrong(name, "must be a string, not \(other.typeName)")
        }
    }

    func integer(_ name: String, in range: ClosedRange<Int64>) throws -> Int64? {
        switch fields[name] {
        case nil, .null?: return nil
        case .integer(let number)? where range.contains(number): return number
        case let other?: throw wrong(name, "must be an integer from \(range.lowerBound) to \(range.upperBound), not \(other.typeName == "an integer" ? "\(other)" : other.typeName)")
        }
    }

    func number(_ name: String, in range: ClosedRange<Double>) throws -> Double? {
        switch fields[name] {
        case nil, .null?: return nil
        case .integer(let number)? where range.contains(Double(number)): return Double(number)
        case .number(let number)? where range.contains(number): return number
        case let other?: throw wrong(name, "must be a number from \(range.lowerBound) to \(range.upperBound), not \(other.typeName)")
        }
    }

    func strings(_ name: String, maximum: Int) throws -> [String]? {
        switch fields[name] {
        case nil, .null?: return nil
        case .array(let items)?:
            guard items.count <= maximum else { throw wrong(name, "may hold at most \(maximum) entries") }
            return try items.enumerated().map { index, item in
                guard case .string(let text) = item, Self.isRequestText(text) else {
                    throw wrong("\(name)[\(index)]", "must be a non-empty string of at most 2048 characters, without NUL, not \(item.typeName)")
                }
                return text
            }
        case let other?: throw wrong(name, "must be an array of strings, not \(other.typeName)")
        }
    }

    /// 1 to 2,048 characters (Unicode code points, as JSON Schema's `maxLength` counts), no NUL:
    /// the `RequestText` of docs/openapi.yaml.
    static func isRequestText(_ text: String) -> Bool {
        !text.isEmpty && text.unicodeScalars.count <= 2048 && !text.unicodeScalars.contains("\0")
    }

    func object(_ name: String, allowed: Set<String>) throws -> StrictObject? {
        guard let value = fields[name] else { return nil }
        return try StrictObject(value, path: "\(path).\(name)", allowed: allowed)
    }
}

/// The `name` of the path, which must be a plain name (see `isPlainName`); 400 naming what it names otherwise.
func plainName(_ context: PodiumRequestContext, of what: String) throws -> String {
    let name = context.parameters.get("name") ?? ""
    guard isPlainName(name) else {
        throw APIError(.badRequest, code: "bad_request", message: "a \(what) name is 1 to 64 lower-case letters, digits and dashes, not starting with a dash", details: ["name": name])
    }
    return name
}

/// A positive ratio as the API spells it: digits, optionally `/` and digits, neither part zero
/// nor with a leading zero, each at most 18 digits.
func isPositiveRatio(_ text: String) -> Bool {
    let parts = text.split(separator: "/", omittingEmptySubsequences: false)
    return (1...2).contains(parts.count) && parts.allSatisfy { part in
        (1...18).contains(part.utf8.count) && part.utf8.first != UInt8(ascii: "0") && part.utf8.allSatisfy { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }
    }
}

/// A plain name (of a template or a fixture): lower-case letters, digits and dashes, 1 to 64,
/// not starting with a dash; anything else (a path, `..`, an encoded slash) is refused.
func isPlainName(_ name: String) -> Bool {
    (1...64).contains(name.utf8.count) && name.utf8.first != UInt8(ascii: "-")
        && name.utf8.allSatisfy { (UInt8(ascii: "a")...UInt8(ascii: "z")).contains($0) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) || $0 == UInt8(ascii: "-") }
}

/// `POST /v1/jobs`: what a client may ask for, checked in full before anything is stored or opened.
///
/// ```json
/// {"input": "udp://127.0.0.1:5000" | "fixture:swim-100-free",
///  "clock": {"source": "anchor", "anchor": {"pts": 0, "timeBase": "1/90000", "utc": "…"}, "frameRate": "50/1",
///            "latencyMs": 0, "timecodeDate": "2026-07-31", "timecodeZone": "Z"},
///  "results": {"source": "feeds", "unit": "SWMM100MFR-----------FNL-000100--"}
///             | {"source": "feeds", "venue": "AQU", "at": "2026-07-31T21:42:00+02:00"} | {"source": "fixture"},
///  "template": "swimming", "carriers": ["id3", "sei"], "lookaheadMs": 500,
///  "outputs": ["udp://127.0.0.1:6000", "srt://127.0.0.1:7000?mode=listener"],
///  "hls": {"segmentSeconds": 2, "window": 6}, "owner": "broadcaster-name"}
/// ```
struct JobRequest {
    static let fields: Set<String> = ["input", "clock", "results", "template", "carriers", "lookaheadMs", "outputs", "hls", "owner"]
    static let maximumBody = 64 * 1024

    /// Builds the job a request describes, for `key`; every refusal is a 4xx naming what was
    /// wrong. The fields are checked in this order, so a request with several faults hears of
    /// the first.
    static func job(from body: Data, key: APIKeyRecord, desk: JobDesk) async throws -> EnrichmentJob {
        let request = try StrictObject.body(body, allowed: fields)
        let policy = InputPolicy(allowedHosts: desk.settings.allowedHosts, readTimeout: 5, reconnect: ReconnectPolicy())
        let (input, inputURL, fixture) = try await self.input(of: request, policy: policy, desk: desk)
        var clock = try clockSettings(request.object("clock", allowed: ["source", "anchor", "frameRate", "latencyMs", "timecodeDate", "timecodeZone"]), fixture: fixture)
        clock.wallClock = desk.wallClock
        let (results, unit, rehearsal) = try await self.results(of: request, fixture: fixture, desk: desk)
        let (enrichment, outputs) = try self.outputs(of: request, policy: policy, jobsDirectory: desk.settings.jobsDirectory)
        let template = try await self.template(of: request, desk: desk)
        let owner = try self.owner(of: request, key: key)

        // Last, when nothing can refuse the request any more: the documents so far, and each new one.
        var source = results
        if case .feed(_, let inbox) = results, let feeds = desk.feeds {
            source = .feed(ledger: await feeds.follow(inbox, rehearsal: rehearsal), inbox: inbox)
        }
        var job = EnrichmentJob(input: inputURL, results: source, clock: clock, outputs: outputs, unit: unit, store: desk.store)
        job.settings = enrichment
        job.template = template
        job.policy = policy
        job.owner = owner
        job.logger = desk.logger
        if let fixture {
            job.inputLabel = input
            job.camera = fixture.camera
            job.lens = fixture.lens
        }
        return job
    }

    /// The input: a fixture by name, or a network source the allowlist lets through. Files on
    /// the server are never reachable by path.
    private static func input(of request: StrictObject, policy: InputPolicy, desk: JobDesk) async throws -> (text: String, url: String, fixture: FixtureCase?) {
        let input = try request.string("input", required: true)!
        var fixture: FixtureCase?
        let inputURL: String
        if input.hasPrefix("fixture:") {
            let name = String(input.dropFirst("fixture:".count))
            guard isPlainName(name) else { throw request.wrong("input", "names a fixture by a plain name (fixture:swim-100-free)") }
            fixture = try await offloaded { try desk.fixture(name) }
            inputURL = fixture!.clip
        } else {
            let endpoint: InputEndpoint
            do {
                endpoint = try InputEndpoint(input, policy: policy)
            } catch {
                throw APIError(.unprocessableContent, code: "refused_input", message: "$.input: \(error)", details: ["path": "$.input", "input": input])
            }
            guard endpoint.kind.isLive else {
                throw request.refused("input", "must be a network source (udp, srt, rtmp, rtsp, http(s) HLS) or fixture:NAME; the server opens no file by path")
            }
            inputURL = input
        }

        return (input, inputURL, fixture)
    }

    /// Results: a fixture's own folder, or the server's results feeds (live as they arrive), with
    /// the unit to follow and whether the rehearsal ledger is asked for.
    private static func results(of request: StrictObject, fixture: FixtureCase?, desk: JobDesk) async throws -> (ResultsSource, unit: String?, rehearsal: Bool) {
        let results: ResultsSource
        var unit: String?
        let binding = try request.object("results", allowed: ["source", "unit", "venue", "at", "ledger"])
        var rehearsal = false
        switch try binding?.string("source", required: true) ?? (fixture != nil ? "fixture" : nil) {
        case "fixture":
            guard let fixture else { throw request.refused("results.source", "may be fixture only when the input is a fixture") }
            for name in ["venue", "at", "ledger"] where try binding?.string(name) != nil {
                throw request.refused("results.\(name)", "applies to results from the feeds only")
            }
            results = .folder(fixture.folder.appendingPathComponent("results").path)
            unit = try binding?.string("unit")
        case "feeds":
            guard let feeds = desk.feeds else { throw request.refused("results.source", "feeds are not served by this server") }
            switch try binding!.string("ledger") {
            case nil, "production": break
            case "rehearsal":
                guard feeds.takesRehearsals else { throw request.refused("results.ledger", "is rehearsal, which this server does not keep (podium serve --rehearsals)") }
                rehearsal = true
            case let other?: throw request.wrong("results.ledger", "must be production or rehearsal, not \(other)")
            }
            if let venue = try binding!.string("venue") {
                // "The unit scheduled at this venue now (or at `at`)", resolved once, from the schedule as received.
                guard try binding!.string("unit") == nil else { throw request.wrong("results.venue", "and results.unit exclude each other") }
                let atText = try binding!.string("at")
                guard let at = atText.map({ UTCInstant(iso8601: $0) }) ?? desk.wallClock.now() else {
                    throw request.wrong("results.at", "must be an ISO 8601 date-time with a zone")
                }
                let schedule = await feeds.book(asKnownAt: nil, rehearsal: rehearsal).schedule
                guard let scheduled = ScheduleQuery.unit(at: venue, on: at, in: schedule) else {
                    throw request.refused("results.venue", "has no unit scheduled at \(at.iso8601) in the schedule received so far")
                }
                unit = scheduled.unit.rawValue
            } else {
                guard let code = try binding!.string("unit") else {
                    throw request.refused("results.unit", "or results.venue must name what to follow in the feeds")
                }
                guard UnitCode(code) != nil else { throw request.wrong("results.unit", "must be a 34-character RSC") }
                unit = code
            }
            // The job follows the feeds only once the whole request has been accepted (below).
            results = .feed(ledger: ResultsLedger(), inbox: DocumentInbox())
        case nil:
            throw request.refused("results", "is required for a network input: {\"source\": \"feeds\", \"unit\": RSC}")
        case let other?:
            throw request.wrong("results.source", "must be feeds or fixture, not \(other)")
        }
        if let unit, UnitCode(unit) == nil { throw request.wrong("results.unit", "must be a 34-character RSC") }

        return (results, unit, rehearsal)
    }

    /// Carriers, look-ahead and outputs: network streams the allowlist lets through, and Podium's
    /// HLS in the job's own folder.
    private static func outputs(of request: StrictObject, policy: InputPolicy, jobsDirectory: String) throws -> (EnrichmentSettings, [OutputTarget]) {
        var enrichment = EnrichmentSettings()
        if let carriers = try request.strings("carriers", maximum: 2) {
            do {
                enrichment.carriers = try Carriers(list: carriers.joined(separator: ","))
            } catch {
                throw request.wrong("carriers", "holds id3 and/or sei")
            }
        }
        enrichment.lookahead = Double(try request.integer("lookaheadMs", in: 0...10_000) ?? 0) / 1000

        var outputs: [OutputTarget] = []
        for (index, text) in (try request.strings("outputs", maximum: 8) ?? []).enumerated() {
            var target: OutputTarget
            do {
                target = try OutputTarget(text)
            } catch {
                throw APIError(.unprocessableContent, code: "refused_output", message: "$.outputs[\(index)]: \(error)", details: ["path": "$.outputs[\(index)]", "output": text])
            }
            guard target.isNetwork else {
                throw request.refused("outputs[\(index)]", "must be a udp://, srt:// or rtmp:// stream; files are written only as the job's HLS (\"hls\")")
            }
            let host = target.host ?? ""
            guard host.isEmpty || InputPolicy.isLoopback(host) || policy.allows(host: host) else {
                throw request.refused("outputs[\(index)]", "reaches \(host), which is not an allowed host of this server")
            }
            // A listener binds here; everything else sends to the address that was checked.
            if !host.isEmpty, !target.isListener {
                do {
                    target = target.pinned(to: try policy.pinnedAddress(for: host, in: text))
                } catch {
                    throw request.refused("outputs[\(index)]", error.ruleText)
                }
            }
            guard !outputs.contains(target) else { throw request.refused("outputs[\(index)]", "is given twice") }
            if enrichment.carriers == .id3, !target.container.carriesTimedID3 {
                throw request.refused("outputs[\(index)]", "is \(target.container.rawValue), which carries the sei carrier only; add sei to carriers")
            }
            outputs.append(target)
        }
        if let hls = try request.object("hls", allowed: ["segmentSeconds", "window"]) {
            enrichment.hlsTargetDuration = try hls.number("segmentSeconds", in: 0.5...30) ?? 2
            enrichment.hlsWindow = Int(try hls.integer("window", in: 1...100) ?? 6)
            let folder = URL(fileURLWithPath: jobsDirectory).appendingPathComponent(UUID().uuidString.lowercased())
            outputs.append(try OutputTarget(folder.appendingPathComponent("hls/index.m3u8").path))
        }
        guard !outputs.isEmpty else { throw request.refused("outputs", "or hls must give the job at least one output") }

        return (enrichment, outputs)
    }

    /// The template a request names, from the store or the bundled ones.
    private static func template(of request: StrictObject, desk: JobDesk) async throws -> OverlayTemplate? {
        var template: OverlayTemplate?
        if let name = try request.string("template") {
            guard isPlainName(name) else { throw request.wrong("template", "is a plain template name (lower-case letters, digits, dashes)") }
            template = try await desk.template(name)
        }

        return template
    }

    /// A broadcaster's job is its own; an admin may make one for a broadcaster.
    private static func owner(of request: StrictObject, key: APIKeyRecord) throws -> String? {
        let owner = key.scope == .broadcaster ? key.owner : try request.string("owner")
        if key.scope == .broadcaster, let asked = try request.string("owner"), asked != key.owner {
            throw APIError(.forbidden, code: "forbidden", message: "a broadcaster key makes jobs of its own owner only", details: ["path": "$.owner"])
        }
        if let owner, !APIKeyRecord.isValidOwner(owner) { throw request.wrong("owner", "must be \(APIKeyRecord.ownerRule)") }

        return owner
    }

    /// The clock a request asks for; a fixture's own clock when it gives none.
    private static func clockSettings(_ clock: StrictObject?, fixture: FixtureCase?) throws -> ClockSettings {
        var settings = ClockSettings(required: true)
        if let fixture {
            settings.source = .anchor
            settings.anchor = fixture.clock.anchor
            settings.frameRate = fixture.clock.frameRate
        }
        guard let clock else { return settings }
        if let source = try clock.string("source") {
            guard let chosen = ClockSource(rawValue: source) else {
                throw clock.wrong("source", "must be one of \(ClockSource.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            settings.source = chosen
        }
        // The API takes ratios in one spelling only ("1/90000", "50", "60000/1001"), the
        // `Ratio` pattern of docs/openapi.yaml; clock files on disk are read more leniently.
        var timeBase: JSONValue?
        if case .object(let anchor)? = clock.fields["anchor"] { timeBase = anchor["timeBase"] }
        for (name, value) in [("frameRate", clock.fields["frameRate"]), ("anchor.timeBase", timeBase)] {
            if case .string(let text)? = value, !isPositiveRatio(text) { throw clock.wrong(name, "must be a positive ratio such as 1/90000 or 50") }
        }
        if clock.fields["anchor"] == nil, case .string(let text)? = clock.fields["frameRate"], let rate = Rational(parsing: text) {
            // A frame rate alone keeps the fixture's anchor (or the source's own clock).
            settings.frameRate = rate
        } else if clock.fields["anchor"] != nil || clock.fields["frameRate"] != nil {
            var file: [String: JSONValue] = [:]
            file["anchor"] = clock.fields["anchor"]
            file["frameRate"] = clock.fields["frameRate"]
            do {
                let parsed = try ClockFile(json: try JSONEncoder().encode(JSONValue.object(file)))
                settings.anchor = parsed.anchor
                settings.frameRate = parsed.frameRate ?? settings.frameRate
            } catch {
                throw StrictObject.wrong("\(clock.path)", "is not a clock: \(error)")
            }
        }
        if let latency = try clock.integer("latencyMs", in: 0...60_000) { settings.latency = Double(latency) / 1000 }
        if let date = try clock.string("timecodeDate") {
            let zone = try clock.string("timecodeZone") ?? "Z"
            guard let day = TimecodeDay(date: date, zone: zone) else {
                throw clock.wrong("timecodeDate", "and timecodeZone must be a date (YYYY-MM-DD) and a zone (Z or ±HH:MM)")
            }
            settings.timecodeDay = day
        }
        return settings
    }
}
