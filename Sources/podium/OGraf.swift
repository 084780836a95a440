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

        @Option(help: "Picture width in pixels.")
        var width = 1920

        @Option(help: "Picture height in pixels.")
        var height = 1080

        @OptionGroup var stored: StoredJobOptions

        func run() async throws {
            do {
                let frames: [FrameOverlay]
                if let jobID = Int64(source) {
                    guard template == nil else { throw OperatorError("--template is for fixtures; a job draws what it carried") }
                    frames = try await stored.overlays(of: jobID).1
                } else {
                    guard let template, let loaded = try loadTemplate(template) else { throw OperatorError("a fixture needs --template") }
                    frames = try FixtureCase(path: source).render(template: loaded)
                }
                let step = max(1, frames.count / 10)
                let count = try OGrafRender.movie(of: frames, module: OGrafExport.module, width: width, height: height, to: out) { done in
                    if done % step == 0 || done == frames.count { FileHandle.standardError.write(Data("rendered \(done) of \(frames.count) frames\n".utf8)) }
                }
                print("\(out): \(count) pictures, \(width)×\(height), PNG with alpha, each at its frame's PTS")
            } catch {
                FileHandle.standardError.write(Data("podium ograf render: error: \(error)\n".utf8))
                throw ExitCode.failure
            }
        }
    }
}
