import Foundation
@testable import Overlay
import TestSupport
import Testing

/// The XML reader every results feed goes through: any bytes give a tree or a one-line reason,
/// never a crash.
struct XMLTreeTests {
    /// `<LENEX version="3.0">` (or `<OdfBody …>`) holding `depth - 1` nested `<a>` elements.
    static func nested(depth: Int, root: String = #"<LENEX version="3.0">"#, rootName: String = "LENEX") -> Data {
        var text = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n" + root
        text.reserveCapacity(depth * 8 + 100)
        for _ in 1..<depth { text += "<a>" }
        for _ in 1..<depth { text += "</a>" }
        text += "</\(rootName)>"
        return Data(text.utf8)
    }

    @Test func aDocumentNestedSixtyThousandDeepIsRefusedInOneLine() throws {
        let deep = Self.nested(depth: 60_000)
        #expect(deep.count > 400_000)
        #expect {
            _ = try XMLNode.parse(deep)
        } throws: { error in
            let text = "\(error)"
            return text == "malformed XML at line 2: <a> is nested more than 256 elements deep" && !text.contains("\n")
        }
        let odf = Self.nested(depth: 60_000, root: #"<OdfBody CompetitionCode="OG" DocumentCode="X" DocumentType="DT_RESULT" Version="1" FeedFlag="P">"#, rootName: "OdfBody")
        #expect(throws: ODFError(line: 2, reason: "malformed XML: <a> is nested more than 256 elements deep")) {
            _ = try ODFDocument.parse(odf)
        }
        #expect(throws: LenexError(line: 2, reason: "malformed XML: <a> is nested more than 256 elements deep")) {
            _ = try LenexDocument.parse(deep)
        }
    }

    @Test func depthUpToTheLimitIsRead() throws {
        var node = try XMLNode.parse(Self.nested(depth: XMLNode.maximumDepth))
        var depth = 1
        while let child = node.children.first {
            node = child
            depth += 1
        }
        #expect(depth == XMLNode.maximumDepth)
        #expect(throws: XMLTreeError.self) { _ = try XMLNode.parse(Self.nested(depth: XMLNode.maximumDepth + 1)) }
    }

    @Test func wideDocumentsAreNotLimitedByDepth() throws {
        let many = "<r>" + String(repeating: "<x a=\"1\"/>", count: 50_000) + "</r>"
        #expect(try XMLNode.parse(Data(many.utf8)).children.count == 50_000)
    }

    static let odfText = #"<OdfBody CompetitionCode="OG" DocumentCode="SWM" DocumentType="DT_PARTIC" Version="1" FeedFlag="P"><Competition><Participant Code="1" FamilyName="ÖSTRÖM"/></Competition></OdfBody>"#

    @Test(arguments: [true, false])
    func utf16WithAByteOrderMarkReadsLikeUTF8(littleEndian: Bool) throws {
        let text = "<?xml version=\"1.0\" encoding=\"UTF-16\"?>\n" + Self.odfText
        var bytes = Data(littleEndian ? [0xFF, 0xFE] : [0xFE, 0xFF])
        for unit in text.utf16 {
            bytes.append(contentsOf: littleEndian ? [UInt8(unit & 0xFF), UInt8(unit >> 8)] : [UInt8(unit >> 8), UInt8(unit & 0xFF)])
        }
        let fromUTF16 = try ODFDocument.parse(bytes)
        let fromUTF8 = try ODFDocument.parse(Data(([0xEF, 0xBB, 0xBF] as [UInt8]) + Array(Self.odfText.utf8)))
        #expect(fromUTF16 == fromUTF8)
        guard case .participants(let athletes) = fromUTF16.body else {
            Issue.record("expected participants")
            return
        }
        #expect(athletes.first?.familyName == "ÖSTRÖM")
    }

    /// Each broken document is named by its first bad place, in Podium's words.
    @Test(arguments: [
        ("<r>\n<a>\n<b x=\"1\">\n", "malformed XML at line 3: the document ends before <b> (line 3) is closed; is it truncated?"),
        ("<r>\n<a>\u{0}</a></r>", "malformed XML at line 2: a NUL byte at offset 7 (not allowed in XML)"),
        ("", "malformed XML at line 1: no root element (the document is empty"),
        ("<?xml version=\"1.0\"?>\\n<r/>", "malformed XML at line 1: no root element (the document is empty, or text stands before its first element)"),
        ("<r><a></b></r>", "malformed XML at line 1: an end tag does not match its start tag"),
        ("<r a=\"1\" a=\"2\"/>", "malformed XML at line 1: an attribute appears twice on one element"),
        ("<r>&nbsp;</r>", "malformed XML at line 1: an entity that is not defined"),
        ("<?xml version=\"1.0\" encoding=\"UTF-16\"?><r/>", "malformed XML at line 1: the declaration says UTF-16 but the document has no UTF-16 byte order mark"),
    ])
    func brokenDocumentsAreNamedInPodiumsWords(text: String, message: String) {
        #expect {
            _ = try XMLNode.parse(Data(text.utf8))
        } throws: { error in
            "\(error)".hasPrefix(message)
        }
    }

    @Test func latin1UnderAUTF8DeclarationNamesTheFirstBadByte() {
        var bytes = Data("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<r>\n<p n=\"EKSTR".utf8)
        bytes.append(0xD6)
        bytes.append(Data("M\"/>\n<p n=\"G\u{00D6}\"/>\n</r>".utf8))
        #expect(throws: XMLTreeError(line: 3, reason: "byte 0xD6 is not valid UTF-8 (the declaration says UTF-8; is the file Latin-1?)")) {
            _ = try XMLNode.parse(bytes)
        }
    }

    /// Inputs the fuzz targets found to stop the process inside FoundationXML, kept as regressions.
    @Test(arguments: [
        "<?pi?><OdfBody/>",
        "<?xmlFamiylName?>\n<OdfBody CompetititTF-8\"?>\n<OdfBody CompetitionCo:e=\"OG2026\"ion GivenName Famdy> GivenName Famdy>\n",
        "<r><?target?></r>",
        "<?xml version=\"1.0\"?><!-- <?inside a comment?> --><r><![CDATA[<?not one?>]]><?pi data?></r>",
    ])
    func processingInstructionsNeverStopTheReader(text: String) {
        _ = try? XMLNode.parse(Data(text.utf8))
        _ = try? ODFDocument.parse(Data(text.utf8))
    }

    @Test func aProcessingInstructionIsSkippedAndLinesStillCount() throws {
        let text = "<?xml version=\"1.0\"?>\n<?xml-stylesheet href=\"a.xsl\"?>\n<r>\n<?empty?>\n<a/></r>"
        let root = try XMLNode.parse(Data(text.utf8))
        #expect(root.children.first?.line == 5)
    }

    @Test(arguments: [("windows-1252", [UInt8]([0x80]), "€"), ("ISO-8859-1", [0xE9], "é"), ("US-ASCII", [0x41], "A")])
    func singleByteEncodingsAreReadAsDeclared(encoding: String, byte: [UInt8], text: String) throws {
        var bytes = Data("<?xml version=\"1.0\" encoding=\"\(encoding)\"?><r n=\"".utf8)
        bytes.append(contentsOf: byte)
        bytes.append(Data("\"/>".utf8))
        #expect(try XMLNode.parse(bytes).attributes["n"] == text)
    }

    @Test func anEncodingPodiumDoesNotReadIsNamed() {
        #expect(throws: XMLTreeError(line: 1, reason: "encoding \"ebcdic-cp-us\" is not one Podium reads (UTF-8, UTF-16 with a byte order mark, ISO-8859-1, Windows-1252, US-ASCII)")) {
            _ = try XMLNode.parse(Data("<?xml version=\"1.0\" encoding=\"EBCDIC-CP-US\"?><r/>".utf8))
        }
    }

    @Test func latin1DeclaredAsLatin1IsRead() throws {
        var bytes = Data("<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>\n<r n=\"EKSTR".utf8)
        bytes.append(0xD6)
        bytes.append(Data("M\"/>".utf8))
        #expect(try XMLNode.parse(bytes).attributes["n"] == "EKSTRÖM")
    }

    /// Random byte strings and mutations of a real document: each gives a tree or an error.
    @Test func arbitraryBytesNeverCrashTheReader() throws {
        var generator = SplitMix(state: 16)
        let seed = Array(Self.odfText.utf8)
        for round in 0..<2_000 {
            var bytes = seed
            for _ in 0..<(1 + round % 8) {
                let position = Int(generator.next() % UInt64(bytes.count))
                switch generator.next() % 3 {
                case 0: bytes[position] = UInt8(truncatingIfNeeded: generator.next())
                case 1: bytes.remove(at: position)
                default: bytes.insert(UInt8(truncatingIfNeeded: generator.next()), at: position)
                }
            }
            _ = try? XMLNode.parse(Data(bytes))
            _ = try? ODFDocument.parse(Data(bytes))
        }
    }
}
