import Foundation

/// Where the continuity of a video PID broke, judged from its MPEG-TS packets themselves
/// rather than from FFmpeg's corrupt flag.
///
/// FFmpeg 5.1 flags the PES it is assembling when a packet of its PID breaks the continuity
/// counter (a break on the packet that starts a PES lands on the PES before it), and its
/// parser, which hands out an access unit only when the next one comes in, moves the flag one
/// unit earlier again. So the flagged unit is one or two before the broken one: at a byte
/// splice, where nothing is lost, FFmpeg blames an intact unit. Podium reads the flagged unit
/// and the two after it again (a recording) and tells the cases apart by where the counter
/// broke: on a packet inside a unit, that unit lost data (damaged); on the packet that starts a
/// unit, the break lies between units (a splice, or packets lost at a unit's end), and no
/// unit's own packets say it is damaged.
enum TransportContinuity {
    static let packetSize = 188

    /// Continuity breaks of `pid` in `bytes` (which start at a TS packet), by where they fall;
    /// the first packet of the PID is not judged (what came before it is not in the bytes).
    /// A transport error or a lost sync byte counts as a break inside.
    static func breaks(in bytes: some Collection<UInt8>, pid: Int) -> (inside: Int, atUnitStart: Int) {
        let bytes = Array(bytes)
        var found = (inside: 0, atUnitStart: 0)
        var lastCounter: UInt8?
        var lastPacket = 0
        var offset = 0
        while offset + packetSize <= bytes.count {
            guard bytes[offset] == 0x47 else { found.inside += 1; break }
            let header = offset + 1
            let packetPID = (Int(bytes[header] & 0x1F) << 8) | Int(bytes[header + 1])
            let packet = offset
            offset += packetSize
            guard packetPID == pid else { continue }
            defer { lastPacket = packet }
            let startsUnit = bytes[header] & 0x40 != 0
            if bytes[header] & 0x80 != 0 { found.inside += 1; continue }
            let control = (bytes[header + 2] >> 4) & 0x03
            let counter = bytes[header + 2] & 0x0F
            let hasPayload = control & 0x01 != 0
            let discontinuity = control & 0x02 != 0 && bytes[header + 3] > 0 && bytes[header + 4] & 0x80 != 0
            if let last = lastCounter, !discontinuity {
                // A packet without payload keeps the counter; a duplicate repeats it, and the
                // packet (a new packet that repeats the counter, as at a splice, is a break).
                let expected = hasPayload ? (last &+ 1) & 0x0F : last
                let duplicate = hasPayload && counter == last && bytes[packet..<packet + packetSize].elementsEqual(bytes[lastPacket..<lastPacket + packetSize])
                if counter != expected && !duplicate {
                    if startsUnit { found.atUnitStart += 1 } else { found.inside += 1 }
                }
            }
            lastCounter = counter
        }
        return found
    }
}

/// Reads a recorded MPEG-TS input's flagged video access units again to judge them
/// (`TransportContinuity`): the verdict on a flagged unit waits until FFmpeg has handed out the
/// three after it (the flagged unit and the two after it are read), or the file ends.
package final class FlaggedAccessUnitCheck {
    package enum Verdict: Equatable {
        /// A unit's own packets lost data.
        case damaged
        /// The break lies between two units: no unit's own packets are damaged.
        case breakBetweenUnits
    }

    private let file: FileHandle
    private let pid: Int
    /// Flagged units waiting: where each starts, and where the units after it start.
    private var waiting: [(start: Int64, following: [Int64])] = []

    /// Nil when the recording cannot be read again (then FFmpeg's flag stands): only a regular
    /// file is opened a second time (a named pipe would hand this reader the demuxer's bytes).
    package init?(path: String, pid: Int32) {
        guard pid > 0, pid < 0x1FFF,
              (try? FileManager.default.attributesOfItem(atPath: path)[.type] as? FileAttributeType) == .typeRegular,
              let file = FileHandle(forReadingAtPath: path) else { return nil }
        self.file = file
        self.pid = Int(pid)
    }

    deinit { try? file.close() }

    /// A video access unit starting at byte `position` was handed out, `flagged` by FFmpeg or
    /// not; returns the verdicts that became possible.
    package func accessUnit(at position: Int64, flagged: Bool) -> [Verdict] {
        for index in waiting.indices { waiting[index].following.append(position) }
        var verdicts: [Verdict] = []
        while let first = waiting.first, first.following.count >= 3 {
            verdicts.append(judge(from: first.start, to: first.following[2]))
            waiting.removeFirst()
        }
        if flagged { waiting.append((position, [])) }
        return verdicts
    }

    /// The input ended: the verdicts on the flagged units still waiting.
    package func finish() -> [Verdict] {
        defer { waiting = [] }
        return waiting.map { judge(from: $0.start, to: nil) }
    }

    private func judge(from start: Int64, to end: Int64?) -> Verdict {
        // Three units larger than this are judged by FFmpeg's flag alone.
        let limit: Int64 = 64 << 20
        guard start >= 0, end.map({ $0 > start && $0 - start <= limit }) ?? true else { return .damaged }
        do {
            try file.seek(toOffset: UInt64(start))
            guard let bytes = try file.read(upToCount: end.map { Int($0 - start) } ?? Int(limit)) else { return .damaged }
            let found = TransportContinuity.breaks(in: bytes, pid: pid)
            // FFmpeg saw a break; if these packets show none, its reason is not Podium's to overrule.
            return found.inside == 0 && found.atUnitStart > 0 ? .breakBetweenUnits : .damaged
        } catch {
            return .damaged
        }
    }
}
