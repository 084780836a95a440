public import Foundation

/// The compact in-band encoding of a frame for templated jobs: the frame keys and the elements
/// on screen, nothing else, so the per-frame tag stays within `budget` bytes. The full state
/// (every lane, the clock, the world-record line) is served by the API for the same `seq`.
///
/// ```json
/// {"e":[["clock","8.31",1,[0.82,0.04,0.14,0.06]],["laneTag.4","4 OKAFOR USA",0.9,[[0.578,0.191]]]],
///  "f":490,"p":1011600,"s":490,"u":"2026-07-31T19:42:19.800000Z","v":"DT_RESULT v4"}
/// ```
///
/// Each element is `[id, text, opacity, geometry]`: geometry is the screen rectangle
/// `[x, y, w, h]` or the projected points `[[x, y], …]`, rounded to 1/1000 of the screen; world
/// anchors that are not in view are left out (the API has them).
public enum CompactPayload {
    /// The per-frame size the default swimming template must stay within, in bytes of JSON.
    public static let budget = 1200
    /// The TXXX description that marks the compact form.
    public static let textDescription = "com.podium.elements"

    /// The compact JSON of a frame.
    public static func json(for overlay: FrameOverlay) -> Data {
        var out = "{\"e\":["
        out.reserveCapacity(1024)
        var first = true
        for element in overlay.elements where element.visible {
            if !first { out += "," }
            first = false
            out += "[" + quoted(element.id) + "," + quoted(element.text) + "," + number(element.opacity) + ","
            if let rect = element.rect {
                out += "[" + rect.map(number).joined(separator: ",") + "]"
            } else if let screen = element.screen {
                out += "[" + screen.map { "[" + $0.map(number).joined(separator: ",") + "]" }.joined(separator: ",") + "]"
            } else {
                out += "null"
            }
            out += "]"
        }
        out += "],\"f\":\(overlay.frame),\"p\":\(overlay.pts),\"s\":\(overlay.seq),\"u\":" + quoted(overlay.captureUTC)
        if let version = overlay.dataVersion { out += ",\"v\":" + quoted(version) }
        out += "}"
        return Data(out.utf8)
    }

    /// The ID3 tag carrying the compact form.
    public static func id3Tag(for overlay: FrameOverlay) throws(ID3TagError) -> [UInt8] {
        try ID3Tag(frames: [.userText(description: textDescription, value: String(decoding: json(for: overlay), as: UTF8.self))]).encoded()
    }

    /// A number to 1/1000, without trailing zeros: 0.5, 1, 0.125.
    static func number(_ value: Double) -> String {
        let thousandths = Int64((value * 1000).rounded())
        let sign = thousandths < 0 ? "-" : ""
        let magnitude = thousandths.magnitude
        let whole = magnitude / 1000
        var fraction = String(magnitude % 1000)
        guard fraction != "0" else { return sign + String(whole) }
        fraction = String(repeating: "0", count: 3 - fraction.count) + fraction
        while fraction.hasSuffix("0") { fraction.removeLast() }
        return sign + String(whole) + "." + fraction
    }

    /// A JSON string literal.
    static func quoted(_ text: String) -> String {
        // Most texts need no escaping: one copy, no per-character work.
        if !text.utf8.contains(where: { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }) {
            return "\"" + text + "\""
        }
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 {
                    let hex = String(scalar.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }
}
