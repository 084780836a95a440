public import Foundation
import HTTPTypes
import Hummingbird
import Jobs
public import Overlay
public import Pictures

/// Designers' own OGraf graphics a server drives with its jobs' frames (docs/ograf.md, "A
/// graphic of your own"): from a folder where each graphic `NAME/` has its mapping beside it,
/// `NAME.mapping.json`. A folder without a mapping beside it is not one of them.
public struct OGrafGraphicLibrary: Sendable {
    /// One graphic: its folder (checked manifest, files) and the mapping that fills its data.
    public struct Graphic: Sendable {
        public let folder: OGrafGraphicFolder
        public let mapping: OGrafDataMapping
    }

    /// The graphics by name.
    public let graphics: [String: Graphic]

    /// A library with no graphics (a server started without `--ograf-graphics`).
    public static let none = OGrafGraphicLibrary(graphics: [:])

    init(graphics: [String: Graphic]) { self.graphics = graphics }

    /// Reads every `NAME.mapping.json` in `directory` with its graphic `NAME/`. Any that cannot
    /// be used is an error naming it, so a server never starts with a graphic it cannot drive.
    public init(directory: String) throws(OGrafImportError) {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else {
            throw OGrafImportError("the OGraf graphics folder \(directory) cannot be read")
        }
        var graphics: [String: Graphic] = [:]
        for file in names.sorted() where file.hasSuffix(".mapping.json") {
            let name = String(file.dropLast(".mapping.json".count))
            guard Self.isValidName(name) else {
                throw OGrafImportError("\(directory)/\(file): a graphic's name is letters, digits, '.', '-' and '_', not starting with '.'")
            }
            let folder = try OGrafGraphicFolder(path: URL(fileURLWithPath: directory).appendingPathComponent(name).path)
            let mappingPath = URL(fileURLWithPath: directory).appendingPathComponent(file).path
            guard let data = FileManager.default.contents(atPath: mappingPath) else { throw OGrafImportError("cannot read \(mappingPath)") }
            do {
                graphics[name] = Graphic(folder: folder, mapping: try OGrafDataMapping(json: data, for: folder.graphic))
            } catch {
                throw OGrafImportError("\(mappingPath): \(error.description)")
            }
        }
        self.graphics = graphics
    }

    static func isValidName(_ name: String) -> Bool {
        !name.isEmpty && !name.hasPrefix(".") && name.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "._-".contains($0)) }
    }

    /// A graphic by the name in a request's path, or the API's 404.
    func graphic(named name: String) throws -> Graphic {
        guard let graphic = graphics[name] else {
            throw APIError(.notFound, code: "not_found", message: "no OGraf graphic \(name) on this server", details: ["graphic": name])
        }
        return graphic
    }

    /// One stored frame as the graphic's live push sends it: `{"data": …, "frame": N, "seq": N, "shown": …}`.
    static func event(for overlayJSON: Data, seq: Int, mapping: OGrafDataMapping) -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        guard let overlay = try? JSONValue(parsing: overlayJSON) else {
            return Data(#"{"error":"frame \#(seq)'s overlay is not JSON","seq":\#(seq)}"#.utf8)
        }
        let mapped = mapping.frameData(for: overlay)
        var event: [String: JSONValue] = ["data": mapped.data, "seq": .integer(Int64(seq)), "shown": .bool(mapped.shown)]
        if case .object(let members) = overlay, let frame = members["frame"] { event["frame"] = frame }
        return (try? encoder.encode(JSONValue.object(event))) ?? Data("{}".utf8)
    }

    /// `GET /ograf/graphics/{name}` (the manifest) and `/ograf/graphics/{name}/{path}` (its
    /// files), open like Podium's own graphic: a browser source imports them without a key.
    func addRoutes(to router: Router<PodiumRequestContext>) {
        let library = self
        router.get("ograf/graphics/:name") { _, context in
            let graphic = try library.graphic(named: context.parameters.get("name") ?? "")
            guard let manifest = try await offloaded({ graphic.folder.file(at: graphic.folder.manifestFile) }) else {
                throw APIError(.notFound, code: "not_found", message: "the graphic's manifest is gone from its folder")
            }
            return Self.fileResponse(manifest.contents, type: manifest.mediaType)
        }
        router.get("ograf/graphics/:name/**") { _, context in
            let graphic = try library.graphic(named: context.parameters.get("name") ?? "")
            let path = context.parameters.getCatchAll().joined(separator: "/")
            guard let file = try await offloaded({ graphic.folder.file(at: path) }) else {
                throw APIError(.notFound, code: "not_found", message: "the graphic \(graphic.folder.graphic.id) has no file \(path)", details: ["path": path])
            }
            return Self.fileResponse(file.contents, type: file.mediaType)
        }
    }

    private static func fileResponse(_ bytes: Data, type: String) -> Response {
        Response(
            status: .ok, headers: [.contentType: type, .cacheControl: "public, max-age=60"],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: bytes))
        )
    }
}
