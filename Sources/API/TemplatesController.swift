import Foundation
import HTTPTypes
import Hummingbird
import Overlay
import Store

/// `/v1/templates`: designers store and check overlay templates (`docs/templates.md`).
///
/// A template is validated before it is stored (the error names the JSON path), names are
/// refused unless they are plain (so a name can never reach outside the store, nor a path), and
/// bodies are limited to 1 MB.
/// The largest template (and render request) the API takes.
let maximumTemplateBytes = 1 << 20

struct TemplatesController<Store: TemplateStoring> {
    let store: Store
    /// Where bundled templates are found when the store has none of the name (the server's job desk).
    let desk: JobDesk?
    /// What a stored template's `updatedUTC` is dated by.
    let wallClock: any WallClock
    static var maximumSize: Int { maximumTemplateBytes }

    func addRoutes(to group: RouterGroup<PodiumRequestContext>) {
        group.get(use: list)
        group.post("validate", use: validate)
        group.get(":name", use: show)
        group.get(":name/ograf", use: ograf)
        group.put(":name", use: put)
    }

    /// Who may read templates: designers, broadcasters, viewers (admins too).
    static var readers: Set<APIScope> { [.designer, .broadcaster, .viewer] }

    static func checkedName(_ context: PodiumRequestContext) throws -> String { try plainName(context, of: "template") }

    /// The body, at most 1 MB, parsed as a template; 422 naming the JSON path when it is not one.
    static func template(in request: Request) async throws -> (OverlayTemplate, Data) {
        let body: Data
        do {
            body = Data(try await request.body.collect(upTo: maximumSize).readableBytesView)
        } catch {
            throw APIError(.contentTooLarge, code: "too_large", message: "a template may be at most 1 MB", details: ["limit": "\(maximumSize)"])
        }
        do {
            return (try OverlayTemplate.parse(body), body)
        } catch {
            throw APIError(.unprocessableContent, code: "invalid_template", message: error.description, details: ["path": error.path, "reason": error.reason])
        }
    }

    /// `GET /v1/templates?limit=&cursor=`: the stored templates' names, in order.
    @Sendable func list(_ request: Request, context: PodiumRequestContext) async throws -> Response {
        _ = try context.requireKey(Self.readers)
        let page = try PageRequest(request)
        return jsonResponse(try canonicalEncoder().encode(page.page(of: try await store.templateNames(), named: "templates") { $0 }))
    }

    @Sendable func show(_ request: Request, context: PodiumRequestContext) async throws -> Response {
        _ = try context.requireKey(Self.readers)
        let name = try Self.checkedName(context)
        guard let json = try await store.template(name: name) else {
            throw APIError(.notFound, code: "not_found", message: "no template \(name)", details: ["name": name])
        }
        return jsonResponse(json)
    }

    /// `GET /v1/templates/{name}/ograf`: the template as an OGraf v1 graphic, a zip of its
    /// manifest and module (docs/ograf.md). A stored template, else a bundled one.
    @Sendable func ograf(_ request: Request, context: PodiumRequestContext) async throws -> Response {
        _ = try context.requireKey(Self.readers)
        let name = try Self.checkedName(context)
        let notFound = APIError(.notFound, code: "not_found", message: "no template \(name)", details: ["name": name])
        let template: OverlayTemplate
        if let json = try await store.template(name: name) {
            do {
                template = try OverlayTemplate.parse(json)
            } catch {
                throw APIError(.internalServerError, code: "invalid_template", message: "stored template \(name): \(error)", details: ["name": name])
            }
        } else if let desk {
            do {
                template = try await desk.template(name)
            } catch let error as APIError where error.code == "unknown_template" {
                throw notFound
            }
        } else {
            throw notFound
        }
        let zip = try OGrafExport.zip(template)
        return Response(status: .ok, headers: [
            .contentType: "application/zip", .contentDisposition: "attachment; filename=\"\(name).ograf.zip\"",
        ], body: ResponseBody(byteBuffer: ByteBuffer(bytes: zip)))
    }

    /// `PUT /v1/templates/{name}`: stores a valid template (201 new, 200 replaced).
    @Sendable func put(_ request: Request, context: PodiumRequestContext) async throws -> Response {
        let key = try context.requireKey([.designer])
        let name = try Self.checkedName(context)
        let (template, body) = try await Self.template(in: request)
        let replaced = try await store.putTemplate(name: name, json: body, updatedUTC: wallClock.now().iso8601, updatedBy: key.owner)
        let answer = try canonicalEncoder().encode(TemplateAnswer(name: name, elements: template.elements.count, replaced: replaced))
        return jsonResponse(answer, status: replaced ? .ok : .created)
    }

    /// `POST /v1/templates/validate`: checks a template without storing it.
    @Sendable func validate(_ request: Request, context: PodiumRequestContext) async throws -> Response {
        _ = try context.requireKey([.designer])
        let (template, _) = try await Self.template(in: request)
        return jsonResponse(try canonicalEncoder().encode(TemplateAnswer(name: template.name, elements: template.elements.count, replaced: nil)))
    }
}

/// What a stored or validated template answers.
struct TemplateAnswer: Encodable {
    let name: String
    let elements: Int
    let replaced: Bool?
    var valid = true
}
