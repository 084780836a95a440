import ArgumentParser
import Foundation
import Jobs
import Overlay
import Pipeline

/// `podium camera`: camera tracking tools.
struct Camera: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "camera", abstract: "Camera tracking (FreeD) tools.", subcommands: [Record.self])

    /// `podium camera record`: records FreeD from UDP into a recording a fixture or a job can replay.
    struct Record: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "record",
            abstract: "Record FreeD D1 messages arriving over UDP as JSON lines ({\"utc\", \"freed\"}).",
            discussion: "Every datagram is kept as received, bad checksums included (replaying counts and drops them)."
        )

        @Option(help: "IPv4 address and port to listen on, e.g. 0.0.0.0:40000 (port 0 picks a free one).")
        var listen = "127.0.0.1:40000"

        @Option(help: "Seconds to record; without it, until interrupted.")
        var duration: Double?

        @Option(help: "The recording to write.")
        var out: String

        func run() throws {
            try reportingErrors("camera record") {
                let parts = listen.split(separator: ":")
                guard parts.count == 2, let port = UInt16(parts[1]) else { throw OperatorError("--listen \(listen) is not ADDRESS:PORT") }
                let receiver = try FreeDReceiver(host: String(parts[0]), port: port)
                guard FileManager.default.createFile(atPath: out, contents: nil), let file = FileHandle(forWritingAtPath: out) else {
                    throw OperatorError("cannot write \(out)")
                }
                FileHandle.standardOutput.write(Data("listening on \(parts[0]):\(receiver.port)\n".utf8))
                var received = 0
                var valid = 0
                receiver.receive(for: duration) { bytes, utc in
                    received += 1
                    if (try? FreeD.parse(bytes)) != nil { valid += 1 }
                    let hex = bytes.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
                    file.write(Data("{\"freed\":\"\(hex)\",\"utc\":\"\(utc.iso8601)\"}\n".utf8))
                }
                try file.close()
                print("recorded \(received) messages (\(received - valid) with a bad checksum or type) to \(out)")
            }
        }
    }
}
