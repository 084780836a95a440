import ArgumentParser

/// The `podium` command: enrichment jobs and the API server.
@main
struct Podium: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "podium",
        abstract: "Frame-accurate sports overlays, in band and as JSON.",
        subcommands: [Enrich.self, Import.self, Replay.self, Serve.self]
    )
}

/// Something the operator must fix, printed as one line.
struct OperatorError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
