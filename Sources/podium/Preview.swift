import ArgumentParser
import Foundation
import Jobs
import Overlay
import Store

/// `podium preview`: frames of a fixture or a recorded job as PNG, with their overlay drawn on.
struct Preview: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "preview",
        abstract: "Draw frames of a fixture or a job with their overlay, as PNG files or one contact sheet.",
        discussion: "Choose the frames with --frame (repeatable), --utc or --every. A job's pictures come from the recording it read (a file, or a fixture); a live job's are not kept."
    )

    @Argument(help: "A fixture folder (clip.ts, clock.json, results/), or a job id in --database.")
    var source: String

    @Option(name: .customLong("frame"), help: "A frame index (repeatable).")
    var frames: [Int] = []

    @Option(help: "The frame shown at this capture UTC (ISO 8601).")
    var utc: String?

    @Option(help: "One frame every so long of capture time: 1s, 500ms, 2.")
    var every: String?

    @Option(help: "Folder to write the PNG files into.")
    var out: String

    @Flag(help: "Write one contact sheet (sheet.png) of the frames, each with its number and timecode.")
    var sheet = false

    @Option(help: "Template for a fixture: a file, or the name of one in templates/.")
    var template: String?

    @Option(help: "Width of each picture, in pixels (the height follows the video's shape).")
    var width = 640

    @OptionGroup var stored: StoredJobOptions

    @Option(help: "Folder of fixtures, for a job that ran on one (fixture:NAME).")
    var fixtures = "fixtures"

    func run() async throws {
        do {
            let previews = try await loadPreviews()
            var chosen = frames
            if let utc {
                guard let instant = UTCInstant(iso8601: utc) else { throw OperatorError("--utc \(utc) is not an ISO 8601 UTC time") }
                guard let frame = previews.frame(at: instant) else { throw OperatorError("no frame was captured at or before \(utc)") }
                chosen.append(frame)
            }
            if let every {
                let seconds = try Enrich.seconds(every, option: "--every")
                guard seconds > 0 else { throw OperatorError("--every must be longer than 0") }
                chosen += previews.frames(every: seconds)
            }
            guard !chosen.isEmpty else { throw OperatorError("choose frames with --frame N, --utc T or --every 1s") }
            try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
            if sheet {
                let path = URL(fileURLWithPath: out).appendingPathComponent("sheet.png")
                try previews.sheet(chosen, width: width).write(to: path)
                print(path.path)
            } else {
                for (frame, png) in try previews.pngs(chosen, width: width).sorted(by: { $0.key < $1.key }) {
                    let path = URL(fileURLWithPath: out).appendingPathComponent(String(format: "frame-%06d.png", frame))
                    try png.write(to: path)
                    print(path.path)
                }
            }
        } catch {
            FileHandle.standardError.write(Data("podium preview: error: \(error)\n".utf8))
            throw ExitCode.failure
        }
    }

    private func loadPreviews() async throws -> Previews {
        guard let jobID = Int64(source) else {
            return try Previews(fixture: try FixtureCase(path: source), template: try loadTemplate(template))
        }
        guard template == nil else { throw OperatorError("--template is for fixtures; a job shows what it carried") }
        let (job, overlays) = try await stored.overlays(of: jobID)
        guard let recording = Previews.recording(ofJobInput: job.description.input, fixtures: fixtures) else {
            throw OperatorError("job \(jobID) read \(job.description.input), which Podium does not keep; preview a recorded job or a fixture")
        }
        return Previews(overlays: overlays, recording: recording)
    }
}

/// Where a command finds a stored job's frames, and which version of them.
struct StoredJobOptions: ParsableArguments {
    @Option(help: "For a job: aired (as carried in band) or latest (with corrections).")
    var asOf = "aired"

    @Option(help: "SQLite database holding the job.")
    var database = "var/podium.sqlite"

    /// The job and its frames' overlays, in presentation order.
    func overlays(of jobID: Int64) async throws -> (JobRecord, [FrameOverlay]) {
        guard let version = FrameVersion(rawValue: asOf) else { throw OperatorError("--as-of must be aired or latest") }
        let store = try SQLiteStore(path: database)
        guard let job = try await store.job(id: jobID) else { throw OperatorError("\(database) has no job \(jobID)") }
        let stored = try await store.frames(jobID: jobID, from: 0, to: max(0, job.frames - 1), limit: job.frames, asOf: version)
        let decoder = JSONDecoder()
        return (job, try stored.map { try decoder.decode(FrameOverlay.self, from: $0.overlayJSON) })
    }
}
