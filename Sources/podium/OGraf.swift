import API
import ArgumentParser
import Foundation
import Jobs
import Overlay
import Pictures

/// `podium ograf`: Podium templates as EBU OGraf graphics (docs/ograf.md).
struct OGraf: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ograf",
        abstract: "Podium templates as EBU OGraf v1 graphics.",
        subcommands: [Export.self, Render.self]
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

    /// `podium ograf render`: a fixture's frames drawn through the template's OGraf graphic,
    /// frame-exactly (`goToTime` per frame in headless Chromium), into an overlay movie.
    struct Render: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "render",
            abstract: "Render a fixture through a template's OGraf graphic into a PNG-in-MOV overlay movie with alpha, one picture per source frame at its timestamp."
        )

        @Argument(help: "The fixture folder (clip.ts, clock.json, results/, optional camera.jsonl and lens.json).")
        var fixture: String

        @Option(help: "Template file, or the name of one in templates/ (swimming, athletics-100m).")
        var template: String

        @Option(help: "The movie to write (.mov).")
        var out: String

        @Option(help: "Picture width in pixels.")
        var width = 1920

        @Option(help: "Picture height in pixels.")
        var height = 1080

        func run() throws {
            try reportingErrors("ograf render") {
                guard let loaded = try loadTemplate(template) else { return }
                let frames = try FixtureCase(path: fixture).render(template: loaded)
                let step = max(1, frames.count / 10)
                let count = try OGrafRender.movie(of: frames, module: OGrafExport.module, width: width, height: height, to: out) { done in
                    if done % step == 0 || done == frames.count { FileHandle.standardError.write(Data("rendered \(done) of \(frames.count) frames\n".utf8)) }
                }
                print("\(out): \(count) pictures, \(width)×\(height), PNG with alpha, each at its frame's PTS")
            }
        }
    }
}
