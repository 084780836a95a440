public import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif

/// A parsed XML element: name, attributes and child elements (text content is not needed by any feed we read).
public struct XMLNode: Sendable, Equatable {
    /// Element name as written.
    public let name: String
    /// Attributes by name.
    public let attributes: [String: String]
    /// Child elements in document order.
    public let children: [XMLNode]
    /// Line of the element's start tag, for error messages.
    public let line: Int

    /// How deep elements may nest. Results feeds nest fewer than 12 levels; a bound keeps the
    /// tree (built, compared and freed recursively) far from the thread's stack limit whatever
    /// a document holds: 60,000 nested elements once overflowed the stack while being freed.
    public static let maximumDepth = 256

    /// The first child named `name`.
    public func child(_ name: String) -> XMLNode? { children.first { $0.name == name } }

    /// All children named `name`.
    public func children(named name: String) -> [XMLNode] { children.filter { $0.name == name } }

    /// Parses a whole document: UTF-8 (with or without a byte order mark) or UTF-16 with a byte
    /// order mark. Errors carry the line and a reason in Podium's words.
    public static func parse(_ data: Data) throws(XMLTreeError) -> XMLNode {
        let text = try XMLText.prepared(try XMLText.utf8(data))
        let builder = TreeBuilder()
        let parser = XMLParser(data: text)
        parser.shouldProcessNamespaces = false
        parser.shouldResolveExternalEntities = false
        parser.delegate = builder
        let succeeded = parser.parse()
        if let refusal = builder.refusal { throw refusal }
        guard succeeded, let root = builder.root else {
            throw XMLTreeError(line: max(1, parser.lineNumber), reason: builder.reasonForFailure(parser.parserError))
        }
        return root
    }
}

/// Why a document is not well-formed XML.
public struct XMLTreeError: Error, Equatable, CustomStringConvertible {
    /// The line the problem is on.
    public let line: Int
    /// What is wrong, in Podium's words.
    public let reason: String

    public var description: String { "malformed XML at line \(line): \(reason)" }
}

/// The byte-level checks done before the XML parser sees a document.
package enum XMLText {
    /// The start of a UTF-16 document (with its byte order mark) as UTF-8, for recognising its
    /// format: lossy, so a cut through a character does not matter; nil for any other document.
    package static func utf8Head(ofUTF16 data: Data, characters: Int = 4096) -> Data? {
        let littleEndian = data.starts(with: [0xFF, 0xFE])
        guard littleEndian || data.starts(with: [0xFE, 0xFF]) else { return nil }
        let bytes = Array(data.dropFirst(2).prefix(characters * 2))
        let units = stride(from: 0, to: bytes.count - 1, by: 2).map { index in
            littleEndian ? UInt16(bytes[index]) | UInt16(bytes[index + 1]) << 8 : UInt16(bytes[index]) << 8 | UInt16(bytes[index + 1])
        }
        return Data(String(decoding: units, as: UTF16.self).utf8)
    }

    /// The document as UTF-8 without a byte order mark, its declaration saying so. UTF-16 (with
    /// its mark), ISO-8859-1, Windows-1252 and US-ASCII are transcoded here; text declared (or
    /// defaulting to) UTF-8 is checked byte by byte so that the first bad byte is named; a NUL
    /// byte is refused where it stands. The XML parser only ever sees valid UTF-8: it hands
    /// element and attribute names on as they are, and a name that is not UTF-8 stops the process.
    static func utf8(_ data: Data) throws(XMLTreeError) -> Data {
        if data.starts(with: [0xFF, 0xFE]) || data.starts(with: [0xFE, 0xFF]) {
            return try transcodeUTF16(data, littleEndian: data.first == 0xFF)
        }
        let body = data.starts(with: [0xEF, 0xBB, 0xBF]) ? Data(data.dropFirst(3)) : data
        // Checked over the raw bytes: a loop over `Data` pays an exclusivity check per byte.
        let (nul, valid) = body.withUnsafeBytes { raw in
            (raw.firstIndex(of: 0), String(validating: raw.bindMemory(to: UInt8.self), as: UTF8.self) != nil)
        }
        if let nul {
            throw XMLTreeError(line: line(of: body.startIndex + nul, in: body), reason: "a NUL byte at offset \(nul) (not allowed in XML)")
        }
        let declared = declaredEncoding(body)
        switch declared {
        case nil, "utf-8", "utf8":
            if !valid {
                // The standard library's verdict decides; the scan below only finds where.
                let bad = firstInvalidUTF8(body) ?? body.startIndex
                let value = String(format: "0x%02X", body[bad])
                let named = declared == nil ? "no encoding is declared, so UTF-8" : "the declaration says UTF-8"
                throw XMLTreeError(line: line(of: bad, in: body), reason: "byte \(value) is not valid UTF-8 (\(named); is the file Latin-1?)")
            }
            return body
        case let name? where name.hasPrefix("utf-16"):
            throw XMLTreeError(line: 1, reason: "the declaration says \(name.uppercased()) but the document has no UTF-16 byte order mark")
        case "iso-8859-1", "iso_8859-1", "latin1", "latin-1", "l1", "windows-1252", "cp1252", "us-ascii", "ascii":
            var scalars = String.UnicodeScalarView()
            var line = 1
            for byte in body {
                if byte == 0x0A { line += 1 }
                if declared!.contains("ascii"), byte >= 0x80 {
                    throw XMLTreeError(line: line, reason: "byte \(String(format: "0x%02X", byte)) is not US-ASCII (the declaration says \(declared!.uppercased()))")
                }
                let isWindows = declared == "windows-1252" || declared == "cp1252"
                scalars.append(isWindows ? windows1252(byte) : Unicode.Scalar(byte))
            }
            return Data(withUTF8Declaration(String(scalars)).utf8)
        case let name?:
            throw XMLTreeError(line: 1, reason: "encoding \"\(name)\" is not one Podium reads (UTF-8, UTF-16 with a byte order mark, ISO-8859-1, Windows-1252, US-ASCII)")
        }
    }

    /// Windows-1252: ISO-8859-1 but for 0x80–0x9F, where it has typographic characters.
    private static func windows1252(_ byte: UInt8) -> Unicode.Scalar {
        let high: [UInt32] = [
            0x20AC, 0x81, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0x8D, 0x017D, 0x8F,
            0x90, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x9D, 0x017E, 0x0178,
        ]
        guard (0x80...0x9F).contains(byte) else { return Unicode.Scalar(byte) }
        return Unicode.Scalar(high[Int(byte - 0x80)]) ?? Unicode.Scalar(byte)
    }

    /// `text` with its XML declaration's encoding set to UTF-8 (the bytes handed on are UTF-8).
    private static func withUTF8Declaration(_ text: String) -> String {
        guard text.hasPrefix("<?xml"), let close = text.range(of: "?>") else { return text }
        var result = text
        let declaration = text[text.startIndex..<close.upperBound]
        let rewritten = declaration.replacingOccurrences(of: #"encoding\s*=\s*["'][^"']*["']"#, with: #"encoding="UTF-8""#, options: .regularExpression)
        result.replaceSubrange(text.startIndex..<close.upperBound, with: rewritten)
        return result
    }

    /// The markup pass before parsing, over the raw bytes once. A document type declaration is
    /// refused: no results feed needs one, and refusing it rules out entity expansion ("billion
    /// laughs") and external entities that would read files or fetch URLs. Every processing
    /// instruction after the XML declaration is blanked out (spaces, line breaks kept, so lines
    /// still count): no feed carries one, and FoundationXML crashes on one without data (`<?pi?>`
    /// made any document a way to stop the process). Comments and CDATA are skipped, as the parser
    /// skips them; markup cannot hide `<?` or `<!DOCTYPE` anywhere else.
    static func prepared(_ data: Data) throws(XMLTreeError) -> Data {
        var blanks: [Range<Int>] = []
        let doctype: Int? = data.withUnsafeBytes { raw in
            let bytes = raw.bindMemory(to: UInt8.self)
            let count = bytes.count
            func starts(_ pattern: StaticString, at index: Int, caseInsensitive: Bool = false) -> Bool {
                let length = pattern.utf8CodeUnitCount
                guard index + length <= count else { return false }
                let start = pattern.utf8Start
                for offset in 0..<length {
                    var byte = bytes[index + offset]
                    if caseInsensitive, (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) { byte -= 32 }
                    if byte != start[offset] { return false }
                }
                return true
            }
            func find(_ pattern: StaticString, from start: Int) -> Int? {
                let first = pattern.utf8Start[0]
                var index = start
                while index < count {
                    if bytes[index] == first, starts(pattern, at: index) { return index }
                    index += 1
                }
                return nil
            }
            // The declaration: `<?xml`, white space, and no `<` before its `?>`, at the very start.
            var index = 0
            if starts("<?xml", at: 0), count > 5, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[5]), let end = find("?>", from: 5),
               !bytes[5..<end].contains(UInt8(ascii: "<")) {
                index = end + 2
            }
            while index < count {
                guard bytes[index] == UInt8(ascii: "<") else {
                    index += 1
                    continue
                }
                if starts("<!--", at: index) {
                    index = (find("-->", from: index + 4) ?? count) + 3
                } else if starts("<![CDATA[", at: index) {
                    index = (find("]]>", from: index + 9) ?? count) + 3
                } else if starts("<!DOCTYPE", at: index, caseInsensitive: true) {
                    return index
                } else if starts("<?", at: index), let end = find("?>", from: index + 2) {
                    blanks.append(index..<(end + 2))
                    index = end + 2
                } else {
                    index += 1
                }
            }
            return nil
        }
        if let doctype {
            throw XMLTreeError(line: line(of: data.startIndex + doctype, in: data), reason: "a DOCTYPE declaration is refused (entities could expand without bound or read files)")
        }
        guard !blanks.isEmpty else { return data }
        var bytes = [UInt8](data)
        for range in blanks {
            for index in range where bytes[index] != 0x0A { bytes[index] = 0x20 }
        }
        return Data(bytes)
    }

    /// The 1-based line of the byte at `index`.
    static func line(of index: Data.Index, in data: Data) -> Int {
        data[data.startIndex..<index].reduce(1) { $0 + ($1 == 0x0A ? 1 : 0) }
    }

    /// The lowercased `encoding` of the XML declaration, if there is one.
    static func declaredEncoding(_ data: Data) -> String? {
        guard data.starts(with: Array("<?xml".utf8)) else { return nil }
        let head = data.prefix(200)
        guard let close = head.range(of: Data("?>".utf8)) else { return nil }
        let declaration = String(decoding: head[head.startIndex..<close.lowerBound], as: UTF8.self)
        guard let key = declaration.range(of: "encoding") else { return nil }
        let rest = declaration[key.upperBound...].drop { $0 == " " || $0 == "=" || $0 == "\t" }
        guard let quote = rest.first, quote == "\"" || quote == "'" else { return nil }
        return String(rest.dropFirst().prefix { $0 != quote }).lowercased()
    }

    /// The index of the first byte that does not start or continue a valid UTF-8 sequence.
    static func firstInvalidUTF8(_ data: Data) -> Data.Index? {
        var index = data.startIndex
        while index < data.endIndex {
            let lead = data[index]
            if lead < 0x80 {
                index += 1
                continue
            }
            let length: Int
            let lowest: UInt32
            switch lead {
            case 0xC2...0xDF: (length, lowest) = (2, 0x80)
            case 0xE0...0xEF: (length, lowest) = (3, 0x800)
            case 0xF0...0xF4: (length, lowest) = (4, 0x10000)
            default: return index
            }
            guard data.endIndex - index >= length else { return index }
            var scalar = UInt32(lead) & (0xFF >> (length + 1))
            for offset in 1..<length {
                let next = data[index + offset]
                guard next & 0xC0 == 0x80 else { return index }
                scalar = scalar << 6 | UInt32(next & 0x3F)
            }
            guard scalar >= lowest, scalar <= 0x10FFFF, !(0xD800...0xDFFF).contains(scalar) else { return index }
            index += length
        }
        return nil
    }

    private static func transcodeUTF16(_ data: Data, littleEndian: Bool) throws(XMLTreeError) -> Data {
        let payload = data.dropFirst(2)
        guard payload.count % 2 == 0 else {
            throw XMLTreeError(line: 1, reason: "UTF-16 document has an odd number of bytes (\(data.count))")
        }
        var units: [UInt16] = []
        units.reserveCapacity(payload.count / 2)
        var index = payload.startIndex
        while index < payload.endIndex {
            let first = UInt16(payload[index]), second = UInt16(payload[index + 1])
            units.append(littleEndian ? first | second << 8 : first << 8 | second)
            index += 2
        }
        var scalars = String.UnicodeScalarView()
        var decoder = UTF16()
        var iterator = units.makeIterator()
        var line = 1
        decoding: while true {
            switch decoder.decode(&iterator) {
            case .scalarValue(let scalar):
                if scalar == "\0" { throw XMLTreeError(line: line, reason: "a NUL character (not allowed in XML)") }
                if scalar == "\n" { line += 1 }
                scalars.append(scalar)
            case .emptyInput:
                break decoding
            case .error:
                throw XMLTreeError(line: line, reason: "an unpaired UTF-16 surrogate (the document is not valid UTF-16)")
            }
        }
        return Data(withUTF8Declaration(String(scalars)).utf8)
    }
}

/// Collects SAX callbacks into `XMLNode`s. Used by one parse on one thread only.
private final class TreeBuilder: NSObject, XMLParserDelegate {
    private struct Open {
        let name: String
        let attributes: [String: String]
        let line: Int
        var children: [XMLNode] = []
    }

    private var stack: [Open] = []
    private(set) var root: XMLNode?
    /// Set when the builder itself stops the parse (too deep, a second root).
    private(set) var refusal: XMLTreeError?

    func parser(
        _ parser: XMLParser, didStartElement elementName: String, namespaceURI: String?,
        qualifiedName qName: String?, attributes attributeDict: [String: String] = [:]
    ) {
        guard refusal == nil else { return }
        guard stack.count < XMLNode.maximumDepth else {
            refusal = XMLTreeError(
                line: parser.lineNumber,
                reason: "<\(TreeBuilder.localName(elementName))> is nested more than \(XMLNode.maximumDepth) elements deep"
            )
            parser.abortParsing()
            return
        }
        // Namespace prefixes are dropped: installations differ (`odf:OdfBody`, a default xmlns), the meaning does not.
        let attributes = attributeDict.keys.contains(where: { $0.utf8.contains(UInt8(ascii: ":")) })
            ? Dictionary(attributeDict.map { (TreeBuilder.localName($0.key), $0.value) }, uniquingKeysWith: { first, _ in first })
            : attributeDict
        stack.append(Open(name: TreeBuilder.localName(elementName), attributes: attributes, line: parser.lineNumber))
    }

    static func localName(_ name: String) -> String {
        guard let colon = name.firstIndex(of: ":") else { return name }
        return String(name[name.index(after: colon)...])
    }

    func parser(_ parser: XMLParser, didEndElement elementName: String, namespaceURI: String?, qualifiedName qName: String?) {
        guard refusal == nil, let open = stack.popLast() else { return }
        let node = XMLNode(name: open.name, attributes: open.attributes, children: open.children, line: open.line)
        if stack.isEmpty {
            root = node
        } else {
            stack[stack.count - 1].children.append(node)
        }
    }

    /// Why the parser stopped, in Podium's words (the parser's own names are libxml2's enum cases).
    func reasonForFailure(_ error: (any Error)?) -> String {
        guard let error else { return TreeBuilder.reasons[4]! }
        let code = (error as NSError).code
        if let open = stack.last, [4, 5, 9, 76, 77].contains(code) || TreeBuilder.endsEarly(code) {
            return "the document ends before <\(open.name)> (line \(open.line)) is closed; is it truncated?"
        }
        return TreeBuilder.reasons[code] ?? "the XML is not well-formed (parser code \(code))"
    }

    /// Codes libxml2 reports when the input ran out inside a construct.
    private static func endsEarly(_ code: Int) -> Bool {
        // XML_ERR_*_NOT_FINISHED / *_NOT_STARTED at end of input.
        (37...46).contains(code) || code == 60 || code == 61 || code == 73
    }

    /// libxml2's error numbers (as FoundationXML passes them on) in plain words.
    private static let reasons: [Int: String] = [
        4: "no root element (the document is empty, or text stands before its first element)",
        5: "the document ends early; is it truncated?",
        9: "a character that XML does not allow",
        23: "an unescaped '<' inside an attribute value",
        26: "an entity that is not defined (only &amp; &lt; &gt; &quot; &apos; and character references are allowed)",
        38: "an attribute value is not closed with its quote",
        39: "an attribute has no value",
        40: "an attribute value is not in quotes",
        41: "an attribute is not followed by '='",
        42: "an attribute appears twice on one element",
        64: "the XML declaration is malformed",
        68: "a start tag is not closed with '>'",
        73: "a '<' that does not start an element, comment or declaration",
        76: "an end tag does not match its start tag",
        77: "an end tag is not closed with '>'",
        85: "content after the root element",
        5000: "the document ends early; is it truncated?",
    ]
}
