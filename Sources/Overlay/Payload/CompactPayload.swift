public import Foundation

/// The compact in-band encoding of a frame for templated jobs: the frame keys and the elements
/// on screen, nothing else, so the per-frame tag stays within `budget` bytes. The full state
/// (every lane, the clock, the world-record line) is served by the API for the same `seq`.
///
/// ```json
/// {"e":[["clock","8.31",1,[0.82,0.04,0.14,0.06]],["laneTag.4","4 OKAFOR USA",0.909,[0.483,0.119,0.19,0.045,0.578,0.191]]],
///  "f":490,"p":1011600,"s":490,"u":"2026-07-31T19:42:19.800000Z","v":"DT_RESULT v4"}
/// ```
///
/// While the race clock runs, `c` gives its start on the capture clock and the ids of the
/// elements that show it, `"c":["2026-07-31T19:42:11.500000Z","clock"]`: a reader shows
/// ⌊(u − start) × 100⌋ hundredths in them on a frame captured at `u`, so a payload that is sent
/// only when something else changes (cues on change) still gives every frame its clock.
///
/// Each element is `[id, text, opacity, geometry]`, plus `{name: value}` when the template gives
/// it values: geometry is the screen rectangle `[x, y, w, h]`, the projected points
/// `[[x, y], …]`, or for a lane tag laid out in a label box the box and then the point it
/// belongs to, `[x, y, w, h, px, py]` (a leader line joins them), rounded to 1/1000 of the
/// screen; world anchors that are not in view are left out (the API has them).
public enum CompactPayload {
    /// The per-frame size the default swimming template must stay within, in bytes of JSON.
    public static let budget = 1200
    /// The TXXX description that marks the compact form.
    public static let textDescription = "com.podium.elements"

    /// ID3v2.4 header, TXXX frame header, UTF-8 encoding byte and the description: sizes patched per frame.
    private static let tagHeader: [UInt8] =
        [0x49, 0x44, 0x33, 4, 0, 0, 0, 0, 0, 0, 0x54, 0x58, 0x58, 0x58, 0, 0, 0, 0, 0, 0, 3] + Array(textDescription.utf8) + [0]

    /// The compact JSON of a frame.
    public static func json(for overlay: FrameOverlay) -> Data { Data(bytes(for: overlay)) }

    /// The compact JSON of a frame as bytes.
    static func bytes(for overlay: FrameOverlay, after prefix: [UInt8] = []) -> [UInt8] {
        var out = prefix
        out.reserveCapacity(prefix.count + 1024)
        out.append(UInt8(ascii: "{"))
        if let running = runningClock(of: overlay) {
            out += "\"c\":[".utf8
            appendQuoted(running.startUTC, to: &out)
            for id in running.ids {
                out.append(UInt8(ascii: ","))
                appendQuoted(id, to: &out)
            }
            out += "],".utf8
        }
        out += "\"e\":[".utf8
        var first = true
        for element in overlay.elements where element.visible {
            if !first { out.append(UInt8(ascii: ",")) }
            first = false
            out.append(UInt8(ascii: "["))
            appendQuoted(element.id, to: &out)
            out.append(UInt8(ascii: ","))
            appendQuoted(element.text, to: &out)
            out.append(UInt8(ascii: ","))
            appendNumber(element.opacity, to: &out)
            out.append(UInt8(ascii: ","))
            if let rect = element.rect {
                // A laid-out lane tag: its label box, then its point, so a reader draws the leader.
                appendNumbers(rect, then: element.screen?.count == 1 ? element.screen![0] : [], to: &out)
            } else if let screen = element.screen {
                out.append(UInt8(ascii: "["))
                for (index, point) in screen.enumerated() {
                    if index > 0 { out.append(UInt8(ascii: ",")) }
                    appendNumbers(point, to: &out)
                }
                out.append(UInt8(ascii: "]"))
            } else {
                out += "null".utf8
            }
            if let values = element.values {
                out.append(UInt8(ascii: ","))
                out.append(UInt8(ascii: "{"))
                for (index, name) in values.keys.sorted().enumerated() {
                    if index > 0 { out.append(UInt8(ascii: ",")) }
                    appendQuoted(name, to: &out)
                    out.append(UInt8(ascii: ":"))
                    appendQuoted(values[name]!, to: &out)
                }
                out.append(UInt8(ascii: "}"))
            }
            out.append(UInt8(ascii: "]"))
        }
        out += "],\"f\":".utf8
        appendInteger(Int64(overlay.frame), to: &out)
        out += ",\"p\":".utf8
        appendInteger(overlay.pts, to: &out)
        out += ",\"s\":".utf8
        appendInteger(Int64(overlay.seq), to: &out)
        out += ",\"u\":".utf8
        appendQuoted(overlay.captureUTC, to: &out)
        if let version = overlay.dataVersion {
            out += ",\"v\":".utf8
            appendQuoted(version, to: &out)
        }
        out.append(UInt8(ascii: "}"))
        return out
    }

    /// The running clock a reader runs itself: when it started, and the visible elements that
    /// show it as it reads (a clock element whose text is the clock's display). Nil when the
    /// clock does not run or no element shows it.
    public static func runningClock(of overlay: FrameOverlay) -> (startUTC: String, ids: [String])? {
        guard overlay.clock.runsOnItsOwn, let start = overlay.clock.startUTC else { return nil }
        var ids: [String] = []
        for element in overlay.elements where showsRunningClock(element, of: overlay) { ids.append(element.id) }
        return ids.isEmpty ? nil : (start, ids)
    }

    /// Whether `element` is a visible clock element that shows the running clock as it reads.
    static func showsRunningClock(_ element: FrameOverlay.Element, of overlay: FrameOverlay) -> Bool {
        element.visible && element.kind == "clock" && overlay.clock.runsOnItsOwn && element.text == overlay.clock.display
    }

    /// `[a, b, …]` of `values` followed by `more`, in one array (no array is built per element).
    private static func appendNumbers(_ values: [Double], then more: [Double] = [], to out: inout [UInt8]) {
        out.append(UInt8(ascii: "["))
        for (index, value) in values.enumerated() {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            appendNumber(value, to: &out)
        }
        for value in more {
            out.append(UInt8(ascii: ","))
            appendNumber(value, to: &out)
        }
        out.append(UInt8(ascii: "]"))
    }

    private static func appendInteger(_ value: Int64, to out: inout [UInt8]) {
        if value < 0 { out.append(UInt8(ascii: "-")) }
        var magnitude = value.magnitude
        var digits: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) =
            (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        var count = 0
        withUnsafeMutableBytes(of: &digits) { buffer in
            repeat {
                buffer[count] = UInt8(ascii: "0") + UInt8(magnitude % 10)
                magnitude /= 10
                count += 1
            } while magnitude > 0
            for index in stride(from: count - 1, through: 0, by: -1) { out.append(buffer[index]) }
        }
    }

    /// A number to 1/1000, without trailing zeros, straight into the buffer: 0.5, 1, 0.125.
    private static func appendNumber(_ value: Double, to out: inout [UInt8]) {
        let thousandths = Int64((value * 1000).rounded())
        if thousandths < 0 { out.append(UInt8(ascii: "-")) }
        let magnitude = Int64(thousandths.magnitude)
        appendInteger(magnitude / 1000, to: &out)
        var fraction = magnitude % 1000
        guard fraction != 0 else { return }
        out.append(UInt8(ascii: "."))
        var divisor: Int64 = 100
        while fraction > 0 {
            out.append(UInt8(ascii: "0") + UInt8(fraction / divisor))
            fraction %= divisor
            divisor /= 10
        }
    }

    private static func appendQuoted(_ text: String, to out: inout [UInt8]) {
        CanonicalJSONWriter.appendQuoted(text, to: &out)
    }

    /// The ID3 tag carrying the compact form.
    public static func id3Tag(for overlay: FrameOverlay) throws(ID3TagError) -> [UInt8] {
        // The JSON is written after the tag's headers in the same buffer; the sizes are patched in after.
        var tag = bytes(for: overlay, after: tagHeader)
        let content = tag.count - 20
        guard content + 10 <= ID3Tag.maximumSize else { throw .tooLarge(content) }
        tag.replaceSubrange(6..<10, with: ID3Tag.syncsafe(content + 10))
        tag.replaceSubrange(14..<18, with: ID3Tag.syncsafe(content))
        return tag
    }
}
