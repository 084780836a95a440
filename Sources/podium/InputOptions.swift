import ArgumentParser
import Foundation
import Jobs
import MediaFormats
import Overlay
import Pipeline

/// How a command opens its input and times its frames: shared by `probe` and `enrich`.
struct InputOptions: ParsableArguments {
    @Option(help: "Clock file: the anchor \"PTS p is capture UTC t\" and the frame rate.")
    var clock: String?

    @Option(help: "Clock source: auto, anchor, tmcd, sei-timecode, prft, hls-pdt or arrival.")
    var clockSource = "auto"

    @Option(help: "Date (YYYY-MM-DD) of time-of-day timecodes (tmcd, sei-timecode).")
    var timecodeDate: String?

    @Option(help: "Zone the timecode generator runs in (Z or ±HH:MM).")
    var timecodeZone = "Z"

    @Option(help: "Milliseconds from capture to arrival (arrival clock, and the stand-in before another source speaks).")
    var latency = 0

    @Option(help: "Timestamp jump, in seconds, that starts a new epoch.")
    var discontinuity = 1.0

    @Option(name: .customLong("allow-host"), help: "A host a network input, HLS segment or redirect may reach (repeatable; loopback always may).")
    var allowedHosts: [String] = []

    @Option(help: "Seconds without data before a live input counts as stalled and is reopened.")
    var readTimeout = 5.0

    @Option(help: "Longest wait between reopening attempts, in seconds.")
    var reconnectMaxDelay = 5.0

    @Option(help: "Reopening attempts in a row before a live job gives up (default: no limit).")
    var reconnectAttempts: Int?

    /// The input policy these options describe.
    var policy: InputPolicy {
        InputPolicy(
            allowedHosts: allowedHosts, readTimeout: readTimeout,
            reconnect: ReconnectPolicy(maximumDelay: reconnectMaxDelay, maximumAttempts: reconnectAttempts)
        )
    }

    /// The clock settings these options describe; `required` is false for a probe.
    func clockSettings(required: Bool) throws -> ClockSettings {
        var settings = ClockSettings(latency: Double(latency) / 1000, discontinuitySeconds: discontinuity, required: required)
        if clockSource != "auto" {
            guard let source = ClockSource(rawValue: clockSource) else {
                throw OperatorError("--clock-source \(clockSource) is not one of auto, \(ClockSource.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            settings.source = source
        }
        if let clock {
            guard let bytes = FileManager.default.contents(atPath: clock) else { throw OperatorError("clock file \(clock) does not exist") }
            let file = try ClockFile(json: bytes)
            settings.anchor = file.anchor
            settings.frameRate = file.frameRate
        }
        if let timecodeDate {
            guard let day = TimecodeDay(date: timecodeDate, zone: timecodeZone) else {
                throw OperatorError("--timecode-date \(timecodeDate) --timecode-zone \(timecodeZone) is not a date (YYYY-MM-DD) in a zone (Z or ±HH:MM)")
            }
            settings.timecodeDay = day
        }
        return settings
    }
}

/// Stops a running input on SIGINT/SIGTERM, so a live job closes its output cleanly.
enum StopSignals {
    nonisolated(unsafe) private static var sources: [any DispatchSourceSignal] = []

    static func cancel(_ cancellation: InputCancellation) {
        // A receiver that goes away (a closed pipe on `--out -`, an RTMP server hanging up) is an
        // output failing, reported as such, not a reason for the process to die.
        signal(SIGPIPE, SIG_IGN)
        for number in [SIGINT, SIGTERM] {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { cancellation.cancel() }
            source.resume()
            sources.append(source)
        }
    }
}
