import Foundation
@testable import Feeds
import Overlay
import TestSupport
import Testing
import ZIPFoundation

enum FeedFixtures {
    static let root = Fixtures.root.appendingPathComponent("fixtures/feeds")

    static func data(_ path: String) throws -> Data { try Data(contentsOf: root.appendingPathComponent(path)) }
    static func swim(_ name: String) throws -> Data { try Data(contentsOf: Fixtures.swim.appendingPathComponent("results/\(name)")) }

    static let swimSeries = [
        "01-DT_PARTIC.xml", "02-DT_RESULT-START_LIST.xml", "03-DT_RESULT-LIVE-reaction.xml", "04-DT_RESULT-LIVE-50m.xml", "05-DT_RESULT-OFFICIAL.xml",
    ]
    static let athleticsSeries = [
        "01-DT_PARTIC.xml", "02-DT_RESULT-START_LIST.xml", "03-DT_RESULT-LIVE.xml", "04-DT_RESULT-UNOFFICIAL.xml", "05-DT_RESULT-OFFICIAL.xml",
    ]
    static let swimUnit = UnitCode("SWMM100MFR------------FNL-000100--")!
    static let athleticsUnit = UnitCode("ATHM100M--------------FNL-000100--")!
}

struct DigestTests {
    @Test(arguments: [
        ("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        ("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
        ("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"),
    ])
    func matchesTheFIPSTestVectors(message: String, digest: String) {
        #expect(Digests.sha256Hex(of: Array(message.utf8)) == digest)
    }

    @Test func matchesTheMillionAVector() {
        #expect(Digests.sha256Hex(of: [UInt8](repeating: 0x61, count: 1_000_000)) == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    /// RFC 4231, test cases 1, 2 and 6 (a key longer than the block).
    @Test(arguments: [
        ([UInt8](repeating: 0x0b, count: 20), Array("Hi There".utf8), "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"),
        (Array("Jefe".utf8), Array("what do ya want for nothing?".utf8), "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"),
        ([UInt8](repeating: 0xaa, count: 131), Array("Test Using Larger Than Block-Size Key - Hash Key First".utf8), "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"),
    ])
    func hmacMatchesRFC4231(key: [UInt8], message: [UInt8], mac: String) {
        #expect(Digests.hmacSHA256Hex(key: key, message: message) == mac)
    }
}

struct DocumentDecoderTests {
    @Test(arguments: [
        ("athletics-100m/03-DT_RESULT-LIVE.xml", "odf"), ("lenex/podium-open.lef", "lenex"), ("lenex/podium-open.lxf", "lenex-zip"),
        ("events/swim-100-free-events.json", "podium-events"),
    ])
    func recognisesEachFormatFromItsContent(path: String, format: String) throws {
        #expect(DocumentDecoder.sniff(try FeedFixtures.data(path)) == format)
    }

    @Test(arguments: [true, false])
    func utf16DocumentsAreRecognisedAndDecoded(littleEndian: Bool) throws {
        let text = String(decoding: try FeedFixtures.data("lenex/podium-open.lef"), as: UTF8.self)
            .replacingOccurrences(of: "encoding=\"UTF-8\"", with: "encoding=\"UTF-16\"")
        var bytes = Data(littleEndian ? [0xFF, 0xFE] : [0xFE, 0xFF])
        for unit in text.utf16 {
            bytes.append(contentsOf: littleEndian ? [UInt8(unit & 0xFF), UInt8(unit >> 8)] : [UInt8(unit >> 8), UInt8(unit & 0xFF)])
        }
        #expect(DocumentDecoder.sniff(bytes) == "lenex")
        #expect(try DocumentDecoder.decode(bytes) == DocumentDecoder.decode(try FeedFixtures.data("lenex/podium-open.lef")))
    }

    @Test func aDocumentNestedTooDeepIsRefusedNotCrashing() {
        var text = #"<OdfBody CompetitionCode="OG" DocumentCode="X" DocumentType="DT_RESULT" Version="1" FeedFlag="P">"#
        text += String(repeating: "<a>", count: 60_000) + String(repeating: "</a>", count: 60_000) + "</OdfBody>"
        #expect(throws: DocumentError(format: "odf", reason: "line 1: malformed XML: <a> is nested more than 256 elements deep")) {
            _ = try DocumentDecoder.decode(Data(text.utf8))
        }
    }

    /// Every input a fuzz target found to stop the process (Fuzz/regressions) is now refused, as
    /// the feeds take a body: inflated when it is gzip, then decoded.
    @Test(arguments: try FileManager.default.contentsOfDirectory(atPath: Fixtures.root.appendingPathComponent("Fuzz/regressions").path).sorted()
        .filter { ["odf-", "lenex-", "documents-"].contains(where: $0.hasPrefix) })
    func inputsTheFuzzersFoundAreRefusedNotCrashing(name: String) throws {
        let data = try Data(contentsOf: Fixtures.root.appendingPathComponent("Fuzz/regressions").appendingPathComponent(name))
        #expect(throws: (any Error).self, "refused at the gzip layer or by the decoder") {
            let body = name.hasSuffix(".gz") ? try GzipBody.inflate(data, limit: DocumentDecoder.maximumDocumentSize) : data
            _ = try DocumentDecoder.decode(body)
        }
    }

    @Test func aZippedLenexFileReadsAsItsLefFile() throws {
        let zipped = try DocumentDecoder.decode(try FeedFixtures.data("lenex/podium-open.lxf"))
        let plain = try DocumentDecoder.decode(try FeedFixtures.data("lenex/podium-open.lef"))
        #expect(zipped == plain)
    }

    @Test func aZipBombStopsAtTheSizeLimit() throws {
        // 64 MB of zeros deflates to about 64 KB.
        let archive = try Archive(accessMode: .create)
        let size = 64 * 1024 * 1024
        try archive.addEntry(with: "bomb.lef", type: .file, uncompressedSize: Int64(size), compressionMethod: .deflate) { position, chunk in
            Data(count: min(chunk, size - Int(position)))
        }
        let bytes = try #require(archive.data)
        #expect(bytes.count < 1_000_000)
        #expect {
            _ = try DocumentDecoder.decode(bytes)
        } throws: { error in
            "\(error)".contains("inflates past the 10 MB limit")
        }
    }

    @Test func aCorruptZipIsNamed() {
        #expect {
            _ = try DocumentDecoder.decode(Data([0x50, 0x4B, 0x03, 0x04]) + Data(repeating: 7, count: 100))
        } throws: { error in
            "\(error)".contains("lenex")
        }
    }

    @Test func anOversizedDocumentIsRefusedBeforeParsing() {
        var big = Data(#"<?xml version="1.0"?><OdfBody "#.utf8)
        big.append(Data(repeating: 0x20, count: 50 * 1024 * 1024))
        #expect {
            _ = try DocumentDecoder.decode(big)
        } throws: { error in
            "\(error)" == "odf: document of \(big.count) bytes exceeds the 10 MB limit"
        }
    }

    @Test(arguments: [
        ("plain text", "unknown: not ODF 2 XML"),
        ("<html><body/></html>", "unknown: not ODF 2 XML"),
        (#"{"format":"podium-events","version":1,"unit":"SWMM100MFR------------FNL-000100--","events":[{"id":"a","type":"start","utc":"2026-07-31T19:42:11Z","lane":3}]}"#, "podium-events: $.events[0].lane: unknown field"),
        (#"{"format":"podium-events","version":1,"unit":"SWMM100MFR------------FNL-000100--","events":[{"id":"a","type":"split","lane":4,"distance":"50","utc":"2026-07-31T19:42:11Z"}]}"#, "podium-events: $.events[0].distance: must be an integer"),
        (#"{"format":"podium-events","version":1,"unit":"SWMM100MFR------------FNL-000100--","events":[{"id":"a","type":"finish","lane":true,"utc":"2026-07-31T19:42:11Z"}]}"#, "podium-events: $.events[0].lane: must be an integer"),
        (#"{"format":"podium-events","version":1,"unit":"SWMM100MFR","events":[]}"#, "podium-events: $.unit: must be a 34-character RSC"),
        (#"{"format":"podium-events","version":1,"unit":"SWMM100MFR------------FNL-000100--","events":[{"id":"a","type":"jump","utc":"2026-07-31T19:42:11Z"}]}"#, "$.events[0].type: \"jump\" is not one of"),
        (#"{"format":"podium-events","version":1,"unit":"SWMM100MFR------------FNL-000100--","events":[{"id":"a","type":"start","utc":"2026-07-31T19:42:11Z"},{"id":"a","type":"start","utc":"2026-07-31T19:42:12Z"}]}"#, "$.events[1].id: \"a\" appears twice"),
        (#"{"format":"podium-events","version":1,"unit":"SWMM100MFR------------FNL-000100--","events":[{"id":"a","type":"start","utc":"2026-07-31 19:42"}]}"#, "$.events[0].utc: must be an ISO 8601"),
        (#"{"format":"podium-events""#, "podium-events: $: not valid JSON"),
        (#"<OdfBody CompetitionCode="OG" DocumentCode="X" DocumentType="DT_MEDALS" Version="1" FeedFlag="P"><Competition/></OdfBody>"#, "DocumentType \"DT_MEDALS\" is not one Podium reads"),
        (#"<?xml version="1.0" encoding="UTF-8"?><odf:OdfBody xmlns:odf="urn:odf" CompetitionCode="OG" DocumentCode="SWMM100M" DocumentType="DT_RESULT" Version="1" FeedFlag="P"><odf:Competition/></odf:OdfBody>"#, "not a 34-character RSC"),
        ("<LENEX version=\"3.0\"><MEETS><MEET name=\"M\"><CLUBS><CLUB name=\"C\"><ATHLETES><ATHLETE athleteid=\"1\" firstname=\"A\" lastname=\"B\"><RESULTS><RESULT resultid=\"1\" eventid=\"1\" reactiontime=\"fast\"/></RESULTS></ATHLETE></ATHLETES></CLUB></CLUBS></MEET></MEETS></LENEX>", "reactiontime \"fast\" is neither"),
        ("<LENEX version=\"2.0\"/>", "is not 3.x"),
        ("<?xml version=\"1.0\"?>\n<!DOCTYPE x [ <!ENTITY a \"aaaa\"> <!ENTITY b \"&a;&a;&a;&a;\"> ]>\n<OdfBody CompetitionCode=\"&b;\"/>", "odf: line 2: malformed XML: a DOCTYPE declaration is refused"),
        ("<?xml version=\"1.0\"?><!DOCTYPE x [ <!ENTITY xxe SYSTEM \"file:///etc/passwd\"> ]><LENEX version=\"3.0\">&xxe;</LENEX>", "lenex: line 1: malformed XML: a DOCTYPE declaration is refused"),
    ])
    func refusesBadDocumentsNamingWhatIsWrong(text: String, fragment: String) {
        #expect {
            _ = try DocumentDecoder.decode(Data(text.utf8))
        } throws: { error in
            "\(error)".contains(fragment)
        }
    }

    @Test func bytesInTheWrongEncodingAreRefused() {
        // Latin-1 "Ö" (0xD6) in a document that declares UTF-8.
        var bytes = Data(#"<?xml version="1.0" encoding="UTF-8"?><OdfBody CompetitionCode="OG" DocumentCode="SWM" DocumentType="DT_PARTIC" Version="1" FeedFlag="P"><Competition><Participant Code="1" FamilyName="EKSTR"#.utf8)
        bytes.append(0xD6)
        bytes.append(Data(#"M"/></Competition></OdfBody>"#.utf8))
        #expect {
            _ = try DocumentDecoder.decode(bytes)
        } throws: { error in
            "\(error)" == "odf: line 1: malformed XML: byte 0xD6 is not valid UTF-8 (the declaration says UTF-8; is the file Latin-1?)"
        }
    }
}
