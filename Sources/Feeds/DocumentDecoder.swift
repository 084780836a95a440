public import Foundation
public import Overlay

/// Recognises and parses a results document from its bytes: ODF 2 XML, Lenex 3 (`.lef`, or
/// zipped `.lxf`), or Podium timing events (JSON). The format is read from the content, never
/// trusted from a file name.
public enum DocumentDecoder {
    /// The largest document (and the largest unzipped Lenex file) Podium accepts.
    public static let maximumDocumentSize = 10 * 1024 * 1024
    /// The most entries a `.lxf` archive may hold.
    static let maximumArchiveEntries = 16

    /// The format the bytes look like, before parsing: `odf`, `lenex`, `lenex-zip`, `podium-events` or nil.
    public static func sniff(_ data: Data) -> String? {
        if data.starts(with: [0x50, 0x4B, 0x03, 0x04]) { return "lenex-zip" }
        // UTF-16 XML (with its byte order mark) is recognised by its UTF-8 text; JSON is UTF-8 only.
        if let head = XMLText.utf8Head(ofUTF16: data) {
            return sniff(head).flatMap { $0 == "odf" || $0 == "lenex" ? $0 : nil }
        }
        var index = data.startIndex
        if data.starts(with: [0xEF, 0xBB, 0xBF]) { index += 3 }
        while index < data.endIndex, [0x20, 0x09, 0x0A, 0x0D].contains(data[index]) { index += 1 }
        guard index < data.endIndex else { return nil }
        if data[index] == UInt8(ascii: "{") { return "podium-events" }
        guard data[index] == UInt8(ascii: "<") else { return nil }
        // The first element's name, past the XML declaration, comments and doctype.
        var cursor = index
        var name = ""
        while cursor < data.endIndex, cursor < index + 4096 {
            guard data[cursor] == UInt8(ascii: "<") else {
                cursor += 1
                continue
            }
            let next = cursor + 1 < data.endIndex ? data[cursor + 1] : 0
            if next == UInt8(ascii: "?") || next == UInt8(ascii: "!") {
                cursor += 2
                continue
            }
            var end = cursor + 1
            while end < data.endIndex, !([0x20, 0x09, 0x0A, 0x0D, UInt8(ascii: ">"), UInt8(ascii: "/")].contains(data[end])) { end += 1 }
            let qualified = String(decoding: data[(cursor + 1)..<end], as: UTF8.self)
            name = qualified.split(separator: ":").last.map(String.init) ?? qualified
            break
        }
        switch name {
        case "OdfBody": return "odf"
        case "LENEX": return "lenex"
        default: return nil
        }
    }

    /// Parses a document. Errors name the format and what is wrong, with line or JSON path.
    public static func decode(_ data: Data) throws(DocumentError) -> ResultsDocument {
        guard data.count <= maximumDocumentSize else {
            throw DocumentError(format: sniff(data.prefix(4096)) ?? "unknown", reason: "document of \(data.count) bytes exceeds the \(maximumDocumentSize / 1024 / 1024) MB limit")
        }
        switch sniff(data) {
        case "odf":
            do { return .odf(try ODFDocument.parse(data)) } catch { throw DocumentError(format: "odf", reason: "\(error)") }
        case "lenex":
            do { return .lenex(try LenexDocument.parse(data)) } catch { throw DocumentError(format: "lenex", reason: "\(error)") }
        case "lenex-zip":
            let inner = try unzipLenex(data)
            do { return .lenex(try LenexDocument.parse(inner)) } catch { throw DocumentError(format: "lenex", reason: "\(error)") }
        case "podium-events":
            do { return .events(try TimingEventBatch.parse(data)) } catch { throw DocumentError(format: "podium-events", reason: "\(error)") }
        default:
            throw DocumentError(format: "unknown", reason: "not ODF 2 XML (<OdfBody>), Lenex 3 (<LENEX>, .lxf) or Podium timing events (JSON)")
        }
    }

    /// The `.lef` inside a `.lxf`, read with hard limits (a zip bomb stops at the size limit).
    static func unzipLenex(_ data: Data) throws(DocumentError) -> Data {
        do {
            return try SingleFileArchive.contents(of: data, endingWith: ".lef", limit: maximumDocumentSize, maximumEntries: maximumArchiveEntries)
        } catch .unreadable {
            throw DocumentError(format: "lenex", reason: "not a readable zip archive (.lxf)")
        } catch {
            throw DocumentError(format: "lenex", reason: error.description.replacingOccurrences(of: "the archive", with: ".lxf"))
        }
    }
}

/// Why a received document was refused: its format and a precise reason.
public struct DocumentError: Error, Hashable, CustomStringConvertible {
    /// The format it was read as (`unknown` when not recognised).
    public let format: String
    /// What is wrong (line, JSON path, limit).
    public let reason: String

    public var description: String { "\(format): \(reason)" }
}
