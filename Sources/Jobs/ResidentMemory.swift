import Foundation

/// The process's resident memory as Linux counts it (`/proc/self/status`): now (`VmRSS`) and
/// its peak since the process started (`VmHWM`). What a job's stats and `/metrics` report: the
/// whole process, which for `podium enrich` is the one job and for `podium serve` every job and
/// the API together.
public struct ResidentMemory: Sendable, Equatable {
    /// Resident bytes now.
    public let current: Int
    /// The most resident bytes the process has had.
    public let peak: Int

    /// The process's figures; nil where `/proc` does not give them (not Linux).
    public static func read() -> ResidentMemory? {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return nil }
        return parse(status)
    }

    /// The figures of a `/proc/<pid>/status` text; nil when either line is missing.
    static func parse(_ status: String) -> ResidentMemory? {
        var current: Int?
        var peak: Int?
        for line in status.split(separator: "\n") {
            // "VmRSS:\t   81234 kB": the kernel writes kibibytes whatever the unit says.
            let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard fields.count >= 2, let kibibytes = Int(fields[1]) else { continue }
            switch fields[0] {
            case "VmRSS:": current = kibibytes * 1024
            case "VmHWM:": peak = kibibytes * 1024
            default: break
            }
        }
        guard let current, let peak else { return nil }
        return ResidentMemory(current: current, peak: peak)
    }
}
