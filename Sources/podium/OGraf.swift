import API
import ArgumentParser
import Foundation
import Jobs
import Overlay
import Pictures

/// `podium ograf`: Podium templates as EBU OGraf graphics (docs/ograf.md).
struct OGraf: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ograf",
        abstract: "Podium templates as EBU OGraf v1 graphics.",
        subcommands: [Export.self, Render.self, Check.self]
    )

    /// `podium ograf export`: writes a template's graphic (manifest and module) into a folder.
    struct Export: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "export", abstract: "Write a template as an OGraf v1 graphic: NAME.ograf.json and graphic.mjs in the folder."
        )

        @Argument(help: "Template file, or the name of one in templates/ (swimming, athletics-100m).")
        var template: String

        @Option(help: "The folder to write the graphic into (made if missing).")
        var out: String

        func run() throws {
            try reportingErrors("ograf export") {
                guard let loaded = try loadTemplate(template) else { return }
                for path in try OGrafExport.write(loaded, to: URL(fileURLWithPath: out)) { print(path) }
            }
        }
    }

    /// `podium ograf render`: a fixture's or a stored job's frames drawn through the template's
    /// OGraf graphic, frame-exactly (`goToTime` per frame in headless Chromium), into an overlay movie.
    struct Render: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "render",
            abstract: "Render a fixture or a job through an OGraf graphic into a PNG-in-MOV overlay movie with alpha, one picture per frame at its PTS."
        )

        @Argument(help: "A fixture folder (clip.ts, clock.json, results/), or a job id in --database.")
        var source: String

        @Option(help: "Template for a fixture: a file, or the name of one in templates/ (a job draws what it carried).")
        var template: String?

        @Option(help: "The movie to write (.mov).")
        var out: String

        @Option(help: "A third-party OGraf graphic to render through (its folder, or its *.ograf.json) instead of the template's own graphic; needs --mapping.")
        var graphic: String?

        @Option(help: "The mapping file that fills the --graphic's data from each frame (docs/ograf.md).")
        var mapping: String?

        @Option(help: "Picture width in pixels.")
        var width = 1920

        @Option(help: "Picture height in pixels.")
        var height = 1080

        @OptionGroup var stored: StoredJobOptions

        func run() async throws {
            do {
                // Before any frame is computed: a fixture's render takes a while.
                guard (graphic == nil) == (mapping == nil) else { throw OperatorError("--graphic and --mapping go together") }
                let frames: [FrameOverlay]
                if let jobID = Int64(source) {
                    guard template == nil else { throw OperatorError("--template is for fixtures; a job draws what it carried") }
                    frames = try await stored.overlays(of: jobID).1
                } else {
                    guard let template, let loaded = try loadTemplate(template) else { throw OperatorError("a fixture needs --template") }
                    frames = try FixtureCase(path: source).render(template: loaded)
                }
                let step = max(1, frames.count / 10)
                let progress = { (done: Int) in
                    if done % step == 0 || done == frames.count { FileHandle.standardError.write(Data("rendered \(done) of \(frames.count) frames\n".utf8)) }
                }
                if let graphic, let mapping {
                    let (folder, fill) = try Check.open(graphic: graphic, mapping: mapping)
                    let report = try OGrafRender.movie(of: frames, graphic: folder, mapping: fill, width: width, height: height, to: out, progress: progress)
                    for (field, count) in report.misfits.sorted(by: { $0.key < $1.key }) {
                        FileHandle.standardError.write(Data("warning: in \(count) of \(report.frames) frames the value for `\(field)` did not fit the graphic's type and was left out\n".utf8))
                    }
                    print("\(out): \(report.frames) pictures of \(folder.graphic.id), \(width)×\(height), PNG with alpha, each at its frame's PTS")
                } else {
                    let count = try OGrafRender.movie(of: frames, module: OGrafExport.module, width: width, height: height, to: out, progress: progress)
                    print("\(out): \(count) pictures, \(width)×\(height), PNG with alpha, each at its frame's PTS")
                }
            } catch {
                FileHandle.standardError.write(Data("podium ograf render: error: \(error)\n".utf8))
                throw ExitCode.failure
            }
        }
    }

    /// `podium ograf check`: whether a third-party graphic and a mapping file can drive it.
    struct Check: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "check", abstract: "Check a third-party OGraf graphic and the mapping that fills its data from Podium's frames."
        )

        @Argument(help: "The graphic: its folder, or its *.ograf.json.")
        var graphic: String

        @Option(help: "The mapping file (docs/ograf.md).")
        var mapping: String

        func run() throws {
            try reportingErrors("ograf check") {
                let (folder, fill) = try Self.open(graphic: graphic, mapping: mapping)
                let modes = [folder.graphic.supportsRealTime ? "real time" : nil, folder.graphic.supportsNonRealTime ? "frame by frame" : nil].compactMap { $0 }
                print("\(folder.graphic.id) (\(folder.graphic.name)): module \(folder.graphic.main), drives in \(modes.joined(separator: " and "))")
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
                for (field, source) in fill.sources.sorted(by: { $0.key < $1.key }) {
                    let fallback = try source.defaultValue.map { " (default \(String(decoding: try encoder.encode($0), as: UTF8.self)))" } ?? ""
                    print("  \(field) ← \(source.path)\(fallback)")
                }
                print("  shown " + (fill.show.map { "while \($0)" } ?? "from the first frame"))
            }
        }

        /// The graphic's folder and the mapping, both checked; an error names the file and what is wrong.
        static func open(graphic: String, mapping: String) throws(OGrafImportError) -> (OGrafGraphicFolder, OGrafDataMapping) {
            let folder = try OGrafGraphicFolder(path: graphic)
            guard let data = FileManager.default.contents(atPath: mapping) else { throw OGrafImportError("cannot read the mapping file \(mapping)") }
            do {
                return (folder, try OGrafDataMapping(json: data, for: folder.graphic))
            } catch {
                throw OGrafImportError("\(mapping): \(error.description)")
            }
        }
    }
}
