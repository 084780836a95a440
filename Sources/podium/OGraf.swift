import API
import ArgumentParser
import Foundation
import Jobs
import Overlay

/// `podium ograf`: Podium templates as EBU OGraf graphics (docs/ograf.md).
struct OGraf: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ograf",
        abstract: "Podium templates as EBU OGraf v1 graphics.",
        subcommands: [Export.self]
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
}
