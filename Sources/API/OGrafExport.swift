public import Foundation
public import Overlay
import ZIPFoundation

/// The files of a template's OGraf graphic (docs/ograf.md): `NAME.ograf.json` (the manifest,
/// `OGrafManifest`) and `graphic.mjs` (the module that draws any Podium overlay). Written to a
/// folder by `podium ograf export`, served as a zip by `GET /v1/templates/{name}/ograf`.
public enum OGrafExport {
    /// The module, as shipped in the API's resources.
    public static let module = bundledResource("ograf-graphic", "mjs")

    /// Each file's name and bytes, the manifest first.
    public static func files(for template: OverlayTemplate) throws -> [(name: String, bytes: Data)] {
        let encoder = canonicalEncoder()
        encoder.outputFormatting.insert(.prettyPrinted)
        let manifest = try encoder.encode(OGrafManifest.manifest(for: template)) + Data("\n".utf8)
        return [(OGrafManifest.fileName(for: template), manifest), (OGrafManifest.moduleFile, module)]
    }

    /// Writes the graphic's files into `folder` (made if missing); returns their paths.
    public static func write(_ template: OverlayTemplate, to folder: URL) throws -> [String] {
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        return try files(for: template).map { file in
            let url = folder.appendingPathComponent(file.name)
            try file.bytes.write(to: url, options: .atomic)
            return url.path
        }
    }

    /// The graphic's files in one zip, in a folder named after the template (as OGraf hosts
    /// import a graphic: a folder holding its manifest).
    public static func zip(_ template: OverlayTemplate) throws -> Data {
        let archive = try Archive(accessMode: .create)
        for file in try files(for: template) {
            let bytes = file.bytes
            try archive.addEntry(
                with: "\(template.name)/\(file.name)", type: .file, uncompressedSize: Int64(bytes.count), compressionMethod: .deflate
            ) { position, size in
                bytes.subdata(in: Int(position)..<Int(position) + size)
            }
        }
        guard let data = archive.data else { throw CocoaError(.fileWriteUnknown) }
        return data
    }
}
