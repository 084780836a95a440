import Feeds
import Jobs
import Foundation
import HTTPTypes
import Hummingbird
import Overlay
import Store

/// `/v1/feeds/{odf|lenex|events}`: timing systems post documents; `/v1/units`: what they said.
struct FeedsController {
    let desk: FeedDesk

    /// What each endpoint takes, by the formats `DocumentDecoder` recognises: the lenex feed
    /// takes a `.lef` as it is and zipped as a `.lxf`.
    static let formats: [String: Set<String>] = ["odf": ["odf"], "lenex": ["lenex", "lenex-zip"], "events": ["podium-events"]]

    func addRoutes(
        feeds: RouterGroup<PodiumRequestContext>, units: RouterGroup<PodiumRequestContext>, athletes: RouterGroup<PodiumRequestContext>,
        records: RouterGroup<PodiumRequestContext>, schedule: RouterGroup<PodiumRequestContext>
    ) {
        feeds.post(":format", use: post)
        units.get(use: listUnits)
        units.get(":unit", use: showUnit)
        athletes.get(use: listAthletes)
        records.get(use: listRecords)
        schedule.get(use: listSchedule)
    }

    /// `GET /v1/schedule?from=&to=&discipline=&venue=&limit=&cursor=`: the units the schedule messages give,
    /// by scheduled start (units without one last), filtered by a start window, discipline and venue.
    @Sendable func listSchedule(_ request: Request, context: PodiumRequestContext) async throws -> Response {
        _ = try context.requireKey(Set(APIScope.allCases))
        let query = request.uri.queryParameters
        func instant(_ name: String) throws -> UTCInstant? {
            guard let text = query.get(name).map({ String($0) }) else { return nil }
            guard let value = UTCInstant(iso8601: text) else {
                throw APIError(.badRequest, code: "bad_request", message: "\(name) must be an ISO 8601 date-time with a zone", details: [name: text])
            }
            return value
        }
        let from = try instant("from")
        let to = try instant("to")
        let discipline = query.get("discipline").map { String($0) }
        if let discipline, discipline.count != 3 || !discipline.allSatisfy({ ($0.isUppercase || $0.isNumber) && $0.isASCII }) {
            throw APIError(.badRequest, code: "bad_request", message: "discipline is three capitals or digits (SWM, BK3)", details: ["discipline": discipline])
        }
        let venue = query.get("venue").map { String($0) }
        let page = try PageRequest(request)
        let book = await desk.book(asKnownAt: try Self.asKnownAt(request))
        let units = ScheduleQuery(from: from, to: to, discipline: discipline, venue: venue).units(in: book.schedule).map(ScheduledUnitView.init)
        // By start (ISO 8601 UTC, which sorts as it reads; units without one last), then by unit.
        return jsonResponse(try canonicalEncoder().encode(page.page(of: units, named: "units") { ($0.start ?? "~") + " " + $0.unit }))
    }

    /// Stores and applies one document. 200 only once it is durably in the audit log (accepted,
    /// a duplicate, or superseded by a newer version); 422 for a document that cannot be read or
    /// applied (logged too, with the reason); 413 past 10 MB, compressed or inflated.
    @Sendable func post(_ request: Request, context: PodiumRequestContext) async throws -> Response {
        let key = try context.requireKey([.feed])
        let name = context.parameters.get("format") ?? ""
        guard let formats = Self.formats[name] else {
            throw APIError(.notFound, code: "not_found", message: "no feed \(name); feeds are odf, lenex and events", details: ["format": name])
        }
        let limit = DocumentDecoder.maximumDocumentSize
        let tooLarge = APIError(.contentTooLarge, code: "too_large", message: "a document may be at most \(limit / 1024 / 1024) MB", details: ["limit": "\(limit)"])
        if let length = request.headers[.contentLength].flatMap(Int.init), length > limit { throw tooLarge }
        var body: Data
        do {
            body = Data(try await request.body.collect(upTo: limit).readableBytesView)
        } catch {
            throw tooLarge
        }
        switch request.headers[.contentEncoding]?.lowercased() {
        case nil, "identity":
            break
        case "gzip", "x-gzip":
            do {
                body = try GzipBody.inflate(body, limit: limit)
            } catch .tooLarge {
                throw tooLarge
            } catch {
                // The header was well formed; the body under it is not readable: 422, as a document that cannot be read.
                throw APIError(.unprocessableContent, code: "bad_encoding", message: "the gzip body cannot be inflated: \(error)", details: ["Content-Encoding": "gzip"])
            }
        case let other?:
            throw APIError(.unsupportedMediaType, code: "unsupported_encoding", message: "Content-Encoding \(other) is not taken; send gzip or nothing", details: ["Content-Encoding": other])
        }
        guard !body.isEmpty else { throw APIError(.badRequest, code: "bad_request", message: "the body is empty") }
        if let sniffed = DocumentDecoder.sniff(body.prefix(4096)), !formats.contains(sniffed) {
            let taken = formats.sorted().joined(separator: " or ")
            throw APIError(.unprocessableContent, code: "rejected_document", message: "this feed takes \(taken); the body is \(sniffed)", details: ["format": sniffed])
        }
        let receipt = try await desk.receive(body, source: "api:\(key.owner)")
        PodiumMetrics.feedDocument(outcome: {
            switch receipt.outcome {
            case .accepted: "accepted"
            case .duplicate: "duplicate"
            case .superseded: "superseded"
            case .rejected: "rejected"
            case .rehearsal: "rehearsal"
            }
        }())
        var answer: [String: String] = ["format": receipt.format, "documentId": receipt.documentID.map { "\($0)" } ?? ""]
        if !receipt.notes.isEmpty { answer["notes"] = receipt.notes.joined(separator: "\n") }
        switch receipt.outcome {
        case .accepted: answer["outcome"] = "accepted"
        case .duplicate(let original):
            answer["outcome"] = "duplicate"
            if let original { answer["documentId"] = "\(original)" }
        case .superseded(let version):
            answer["outcome"] = "superseded"
            answer["currentVersion"] = "\(version)"
        case .rehearsal:
            answer["outcome"] = "rehearsal"
        case .rejected(let reason):
            throw APIError(
                .unprocessableContent, code: "rejected_document", message: reason,
                details: ["format": receipt.format, "documentId": receipt.documentID.map { "\($0)" } ?? ""]
            )
        }
        return jsonResponse(try canonicalEncoder().encode(answer))
    }

    /// `GET /v1/units?limit=&cursor=`: the units the feeds have results for, by unit code.
    @Sendable func listUnits(_ request: Request, context: PodiumRequestContext) async throws -> Response {
        _ = try context.requireKey(Set(APIScope.allCases))
        let page = try PageRequest(request)
        let book = await desk.book(asKnownAt: nil, rehearsal: try Self.rehearsal(request))
        let units = book.units.map { code in ["unit": code.rawValue, "status": book.results(of: code)?.status ?? ""] }
        return jsonResponse(try canonicalEncoder().encode(page.page(of: units, named: "units") { $0["unit"] ?? "" }))
    }

    /// `GET /v1/units/{rsc}?asKnownAt=`: a unit's results, latest or as known at a UTC.
    @Sendable func showUnit(_ request: Request, context: PodiumRequestContext) async throws -> Response {
        _ = try context.requireKey(Set(APIScope.allCases))
        let text = context.parameters.get("unit") ?? ""
        guard let code = UnitCode(text) else {
            throw APIError(.badRequest, code: "bad_request", message: "a unit is a 34-character RSC", details: ["unit": text])
        }
        let wall = try Self.asKnownAt(request)
        let book = await desk.book(asKnownAt: wall, rehearsal: try Self.rehearsal(request))
        guard let results = book.results(of: code) else {
            throw APIError(.notFound, code: "not_found", message: "no results for \(text)", details: ["unit": text])
        }
        return jsonResponse(try canonicalEncoder().encode(UnitResultsView(results, athletes: book.athletes, asKnownAt: wall)))
    }

    /// `GET /v1/athletes?asKnownAt=&limit=&cursor=`: every athlete the feeds named, by competitor code.
    @Sendable func listAthletes(_ request: Request, context: PodiumRequestContext) async throws -> Response {
        _ = try context.requireKey(Set(APIScope.allCases))
        let page = try PageRequest(request)
        let book = await desk.book(asKnownAt: try Self.asKnownAt(request))
        let athletes = book.athletes.values.map(AthleteView.init)
        return jsonResponse(try canonicalEncoder().encode(page.page(of: athletes, named: "athletes", key: \.id)))
    }

    /// `GET /v1/records?asKnownAt=&limit=&cursor=`: the records the feeds gave (world, Olympic,
    /// …), with their holders, by event and type.
    @Sendable func listRecords(_ request: Request, context: PodiumRequestContext) async throws -> Response {
        _ = try context.requireKey(Set(APIScope.allCases))
        let page = try PageRequest(request)
        let book = await desk.book(asKnownAt: try Self.asKnownAt(request))
        let records = book.records.map(RecordView.init)
        // By event, then type; the holder and time tell apart two records of one kind.
        return jsonResponse(try canonicalEncoder().encode(page.page(of: records, named: "records") {
            [$0.event, $0.type, $0.holder ?? "", $0.time].joined(separator: "\u{1F}")
        }))
    }

    /// The `ledger` parameter: `production` (the default) or `rehearsal` (the test feed's documents).
    static func rehearsal(_ request: Request) throws -> Bool {
        switch request.uri.queryParameters.get("ledger").map({ String($0) }) {
        case nil, "production": return false
        case "rehearsal": return true
        case let other?:
            throw APIError(.badRequest, code: "bad_request", message: "ledger is production or rehearsal", details: ["ledger": other])
        }
    }

    /// The `asKnownAt` parameter: the results as received by that UTC; nil for the latest.
    static func asKnownAt(_ request: Request) throws -> UTCInstant? {
        guard let known = request.uri.queryParameters.get("asKnownAt").map({ String($0) }) else { return nil }
        guard let instant = UTCInstant(iso8601: known) else {
            throw APIError(.badRequest, code: "bad_request", message: "asKnownAt must be an ISO 8601 UTC time", details: ["asKnownAt": known])
        }
        return instant
    }
}

/// A scheduled unit as the API shows one.
struct ScheduledUnitView: Encodable {
    let unit: String
    let discipline: String
    let name: String?
    let status: String?
    let start: String?
    let end: String?
    let venue: String?
    let venueName: String?
    let session: String?
    let localStart: String?

    init(_ scheduled: ScheduledUnit) {
        localStart = scheduled.localStart
        (unit, discipline, name, status) = (scheduled.unit.rawValue, scheduled.unit.discipline, scheduled.name, scheduled.status)
        (start, end) = (scheduled.start?.iso8601, scheduled.end?.iso8601)
        (venue, venueName, session) = (scheduled.venue, scheduled.venueName, scheduled.session)
    }
}

/// An athlete as the API shows one.
struct AthleteView: Encodable {
    let id: String
    let givenName: String
    let familyName: String
    let organisation: String
    let gender: String?
    let birthDate: String?
    let bib: String?
    let personalBest: String?

    init(_ athlete: Athlete) {
        (id, givenName, familyName, organisation) = (athlete.id, athlete.givenName, athlete.familyName, athlete.organisation)
        (gender, birthDate, bib, personalBest) = (athlete.gender, athlete.birthDate, athlete.bib, athlete.personalBest?.description)
    }
}

/// A record as the API shows one.
struct RecordView: Encodable {
    let type: String
    let event: String
    let time: String
    let date: String?
    let holder: String?
    let organisation: String?

    init(_ record: RecordEntry) {
        (type, event, time, date) = (record.type, record.event, record.time.description, record.date)
        holder = record.holder.map { "\($0.givenName) \($0.familyName)" }
        organisation = record.holder?.organisation
    }
}
