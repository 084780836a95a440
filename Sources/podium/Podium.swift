import ArgumentParser
import Foundation
import Jobs

/// The `podium` command: enrichment jobs and the API server.
@main
struct Podium: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "podium",
        abstract: "Frame-accurate sports overlays, in band and as JSON.",
        subcommands: [Probe.self, Enrich.self, Render.self, Check.self, Preview.self, Camera.self, Import.self, Replay.self, Results.self, Serve.self, Keys.self, OGraf.self]
    )
}

/// Runs a command's body; any error becomes one line on standard error and exit status 1.
func reportingErrors(_ command: String, _ body: () throws -> Void) throws {
    do {
        try body()
    } catch let exit as ExitCode {
        throw exit
    } catch {
        FileHandle.standardError.write(Data("podium \(command): error: \(error)\n".utf8))
        throw ExitCode.failure
    }
}
