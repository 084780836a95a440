import Foundation
import Hummingbird
import Jobs
import Overlay
import Pictures
import Store

/// `/v1/fixtures`: the recorded cases this server holds, and their per-frame render with a
/// template, so a designer sees what a template does on real frames before a job airs it.
struct FixturesController {
    let desk: JobDesk

    /// Who may see fixtures: designers, broadcasters, viewers (admins too). Renders are the designers'.
    static var readers: Set<APIScope> { [.designer, .broadcaster, .viewer] }
    /// The most frames one render answers (about a minute of 50 fps video).
    static let maximumFrames = 3000

    func addRoutes(to group: RouterGroup<PodiumRequestContext>) {
        group.get(use: list)
        group.post(":name/render", use: render)
        group.get(":name/frames/:n/preview.png", use: preview)
        group.get(":name/video.mp4", use: video)
    }

    /// `GET /v1/fixtures/{name}/frames/{n}/preview.png?template=&width=`: frame `n` with its overlay drawn on.
    @Sendable func preview(_ request: Request, context: PodiumRequestContext) async throws -> Response {
        _ = try context.requireKey(Self.readers)
        let name = try Self.fixtureName(context)
        let index = try frameIndex(context)
        let width = try previewWidth(request)
        var template: OverlayTemplate?
        if let templateName = request.uri.queryParameters.get("template").map({ String($0) }) {
            guard isPlainName(templateName) else {
                throw APIError(.badRequest, code: "bad_request", message: "template is a plain template name", details: ["template": templateName])
            }
            template = try await desk.template(templateName)
        }
        let chosen = template
        let png = try await offloaded {
            let fixture = try desk.fixture(name)
            let overlays = try fixture.render(template: chosen)
            guard index < overlays.count else {
                throw APIError(.notFound, code: "not_found", message: "fixture \(name) has no frame \(index); its frames are 0 to \(overlays.count - 1)", details: ["n": "\(index)"])
            }
            return try Previews.png(frame: index, overlay: overlays[index], recording: fixture.clip, width: width)
        }
        return pngResponse(png, cacheControl: "public, max-age=60")
    }

    /// `GET /v1/fixtures/{name}/video.mp4`: the fixture's clip stream-copied into MP4, for players
    /// (the web viewer) that do not read MPEG-TS. Made once, kept beside the jobs' files.
    @Sendable func video(_ request: Request, context: PodiumRequestContext) async throws -> Response {
        _ = try context.requireKey(Self.readers)
        let name = try Self.fixtureName(context)
        let folder = URL(fileURLWithPath: desk.settings.jobsDirectory).appendingPathComponent("renditions")
        let data = try await offloaded {
            let fixture = try desk.fixture(name)
            let path = folder.appendingPathComponent("\(name).mp4").path
            let made = (try? FileManager.default.attributesOfItem(atPath: path))?[.modificationDate] as? Date
            let recorded = (try? FileManager.default.attributesOfItem(atPath: fixture.clip))?[.modificationDate] as? Date
            if made == nil || (recorded.map { $0 > made! } ?? false) {
                try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
                try Rendition.mp4(of: fixture.clip, to: path)
            }
            guard let data = FileManager.default.contents(atPath: path) else {
                throw APIError(.internalServerError, code: "internal", message: "the rendition of \(name) cannot be read")
            }
            return data
        }
        return Response(status: .ok, headers: [.contentType: "video/mp4", .cacheControl: "public, max-age=60"], body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
    }

    static func fixtureName(_ context: PodiumRequestContext) throws -> String { try plainName(context, of: "fixture") }

    /// `GET /v1/fixtures?limit=&cursor=`: every fixture folder with a clip, a clock and results, by name.
    @Sendable func list(_ request: Request, context: PodiumRequestContext) async throws -> Response {
        _ = try context.requireKey(Self.readers)
        let page = try PageRequest(request)
        let directory = desk.settings.fixturesDirectory
        let fixtures = try await offloaded {
            let names = ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).filter(isPlainName).sorted()
            return names.compactMap { name -> FixtureSummary? in
                let folder = URL(fileURLWithPath: directory).appendingPathComponent(name)
                let has = { (file: String) in FileManager.default.fileExists(atPath: folder.appendingPathComponent(file).path) }
                guard has("clip.ts"), has("clock.json"), has("results") else { return nil }
                let clock = FileManager.default.contents(atPath: folder.appendingPathComponent("clock.json").path).flatMap { try? ClockFile(json: $0) }
                return FixtureSummary(
                    name: name, input: "fixture:\(name)", frameRate: clock?.frameRate?.description, anchorUTC: clock?.anchor.utc.iso8601,
                    camera: has("camera.jsonl"), lens: has("lens.json")
                )
            }
        }
        return jsonResponse(try canonicalEncoder().encode(page.page(of: fixtures, named: "fixtures", key: \.name)))
    }

    /// `POST /v1/fixtures/{name}/render`: body `{"template": NAME}` or `{"template": {…a template…}}`
    /// (or `{}` for the overlay without elements), with an optional frame range `from`/`to`.
    /// Answers `{"fixture","template","from","to","frames":[FrameOverlay…]}`.
    @Sendable func render(_ request: Request, context: PodiumRequestContext) async throws -> Response {
        _ = try context.requireKey([.designer])
        let name = try Self.fixtureName(context)
        let body: Data
        do {
            body = Data(try await request.body.collect(upTo: maximumTemplateBytes).readableBytesView)
        } catch {
            throw APIError(.contentTooLarge, code: "too_large", message: "a render request may be at most 1 MB", details: ["limit": "\(maximumTemplateBytes)"])
        }
        let options = try decodeRequest(RenderRequest.self, from: body.isEmpty ? Data("{}".utf8) : body)
        var template: OverlayTemplate?
        switch options.template {
        case nil:
            break
        case .named(let templateName)?:
            template = try await desk.template(templateName)
        case .inline(let inline)?:
            do {
                template = try OverlayTemplate.parse(try JSONEncoder().encode(inline))
            } catch {
                throw APIError(.unprocessableContent, code: "invalid_template", message: "$.template: \(error)", details: ["path": "$.template"])
            }
        }
        let (from, to) = (options.from, options.to)
        let chosen = template
        let frames = try await offloaded { try desk.fixture(name).render(template: chosen) }
        let last = min(to ?? frames.count - 1, frames.count - 1, from + Self.maximumFrames - 1)
        var answer = Data(#"{"fixture":"\#(name)","frames":["#.utf8)
        if from <= last {
            for index in from...last {
                if index > from { answer.append(UInt8(ascii: ",")) }
                answer.append(frames[index].canonicalJSON())
            }
        }
        answer.append(Data(#"],"from":\#(from),"template":\#(chosen.map { "\"\($0.name)\"" } ?? "null"),"to":\#(max(last, from - 1))}"#.utf8))
        return jsonResponse(answer)
    }
}

/// A fixture as `GET /v1/fixtures` lists it.
struct FixtureSummary: Encodable {
    let name: String
    /// What a job names as its input to run on this fixture.
    let input: String
    let frameRate: String?
    let anchorUTC: String?
    let camera: Bool
    let lens: Bool
}

/// The frame index `n` of a path (`…/frames/{n}`, `…/frames/{n}/preview.png`).
func frameIndex(_ context: PodiumRequestContext) throws -> Int {
    let text = context.parameters.get("n") ?? ""
    guard let index = Int(text), index >= 0 else {
        throw APIError(.badRequest, code: "bad_request", message: "a frame index is an integer, 0 or more", details: ["n": text])
    }
    return index
}

/// The `width` of a preview: 16 to 3840 pixels, 640 by default.
func previewWidth(_ request: Request) throws -> Int {
    guard let text = request.uri.queryParameters.get("width").map({ String($0) }) else { return 640 }
    guard let width = Int(text), (16...3840).contains(width) else {
        throw APIError(.badRequest, code: "bad_request", message: "width must be an integer from 16 to 3840", details: ["width": text])
    }
    return width
}

func pngResponse(_ png: Data, cacheControl: String) -> Response {
    Response(status: .ok, headers: [.contentType: "image/png", .cacheControl: cacheControl], body: ResponseBody(byteBuffer: ByteBuffer(bytes: png)))
}

/// `POST /v1/fixtures/{name}/render`'s body, decoded strictly: a template by name or inline, and
/// an optional frame range.
struct RenderRequest: Decodable {
    enum Template {
        case named(String)
        case inline(JSONValue)
    }

    let template: Template?
    let from: Int
    let to: Int?

    private enum CodingKeys: String, CodingKey, CaseIterable {
        case template, from, to
    }

    init(from decoder: any Decoder) throws {
        let fields = try StrictFields<CodingKeys>(decoder)
        switch try fields.value(.template) {
        case nil:
            template = nil
        case .string(let name)?:
            guard isPlainName(name) else { throw fields.wrong(.template, "is a plain template name, or a template object") }
            template = .named(name)
        case .object(let inline)?:
            template = .inline(.object(inline))
        case let other?:
            throw fields.wrong(.template, "must be a template name or a template object, not \(other.typeName)")
        }
        from = Int(try fields.integer(.from, in: 0...10_000_000) ?? 0)
        to = try fields.integer(.to, in: 0...10_000_000).map(Int.init)
    }
}
