public import Foundation
public import Overlay

/// A third-party OGraf graphic on disk: its folder, its checked manifest, and the files a
/// browser may load from it (the module and whatever it imports or links, by relative URL).
public struct OGrafGraphicFolder: Sendable {
    /// The folder, symbolic links resolved: nothing outside it is ever served.
    public let folder: URL
    /// The manifest's file name inside the folder.
    public let manifestFile: String
    public let graphic: OGrafGraphic

    /// Opens `path`: a graphic's folder with exactly one `*.ograf.json`, or that manifest file.
    /// The manifest is checked (`OGrafGraphic`), and its module must be a file in the folder.
    public init(path: String) throws(OGrafImportError) {
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) else {
            throw OGrafImportError("no OGraf graphic at \(path): there is no such file or folder")
        }
        let given = URL(fileURLWithPath: path).standardizedFileURL.resolvingSymlinksInPath()
        let manifestURL: URL
        if isFolder.boolValue {
            let manifests = ((try? FileManager.default.contentsOfDirectory(atPath: given.path)) ?? []).filter { $0.hasSuffix(".ograf.json") }.sorted()
            guard manifests.count == 1 else {
                throw OGrafImportError(manifests.isEmpty
                    ? "\(path) holds no OGraf manifest (*.ograf.json)"
                    : "\(path) holds \(manifests.count) OGraf manifests (\(manifests.joined(separator: ", "))): name the one to use")
            }
            manifestURL = given.appendingPathComponent(manifests[0])
        } else {
            guard given.lastPathComponent.hasSuffix(".ograf.json") else { throw OGrafImportError("\(path) is not an OGraf manifest (*.ograf.json)") }
            manifestURL = given
        }
        folder = manifestURL.deletingLastPathComponent()
        manifestFile = manifestURL.lastPathComponent
        guard let manifest = FileManager.default.contents(atPath: manifestURL.path) else {
            throw OGrafImportError("cannot read \(manifestURL.path)")
        }
        do {
            graphic = try OGrafGraphic(manifest: manifest)
        } catch {
            throw OGrafImportError("\(manifestURL.path): \(error.description)")
        }
        guard file(at: graphic.main) != nil else {
            throw OGrafImportError("\(manifestURL.path): its module `\(graphic.main)` is not a file in \(folder.path)")
        }
    }

    /// The file at `relativePath` (a URL path below the folder, percent-encoded as a browser
    /// sends it) and its media type; nil when there is none, or when the path would lead out of
    /// the folder (`..`, a symbolic link to elsewhere).
    public func file(at relativePath: String) -> (contents: Data, mediaType: String)? {
        guard let decoded = relativePath.removingPercentEncoding, !decoded.hasPrefix("/"),
              !decoded.split(separator: "/").contains("..") else { return nil }
        let url = folder.appendingPathComponent(decoded).standardizedFileURL.resolvingSymlinksInPath()
        guard url.path.hasPrefix(folder.path + "/") else { return nil }
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isFolder), !isFolder.boolValue,
              let contents = FileManager.default.contents(atPath: url.path) else { return nil }
        return (contents, Self.mediaType(of: url.pathExtension.lowercased()))
    }

    /// What a browser needs to be told a file is; a module must be served as JavaScript.
    static func mediaType(of fileExtension: String) -> String {
        switch fileExtension {
        case "mjs", "js": "text/javascript; charset=utf-8"
        case "css": "text/css; charset=utf-8"
        case "json": "application/json"
        case "html", "htm": "text/html; charset=utf-8"
        case "svg": "image/svg+xml"
        case "png": "image/png"
        case "jpg", "jpeg": "image/jpeg"
        case "webp": "image/webp"
        case "gif": "image/gif"
        case "woff2": "font/woff2"
        case "woff": "font/woff"
        case "ttf": "font/ttf"
        case "otf": "font/otf"
        default: "application/octet-stream"
        }
    }
}
