/// An independent ID3v2.4 reader for the tests (ID3v2.4 structure document, sections 3 and 4).
public struct ParsedID3Tag {
    public let majorVersion: UInt8
    public let flags: UInt8
    /// Frames as (identifier, content).
    public let frames: [(id: String, content: [UInt8])]

    public init(bytes: [UInt8]) throws {
        guard bytes.count >= 10, bytes[0] == 0x49, bytes[1] == 0x44, bytes[2] == 0x33 else { throw Malformed("no ID3 header") }
        majorVersion = bytes[3]
        flags = bytes[5]
        let size = try ParsedID3Tag.syncsafe(bytes[6..<10])
        guard 10 + size == bytes.count else { throw Malformed("tag size \(size) but \(bytes.count - 10) bytes follow the header") }
        var frames: [(String, [UInt8])] = []
        var index = 10
        while index + 10 <= bytes.count, bytes[index] != 0 {
            let id = String(decoding: bytes[index..<index + 4], as: UTF8.self)
            let frameSize = try ParsedID3Tag.syncsafe(bytes[index + 4..<index + 8])
            guard index + 10 + frameSize <= bytes.count else { throw Malformed("frame \(id) runs past the tag") }
            frames.append((id, Array(bytes[index + 10..<index + 10 + frameSize])))
            index += 10 + frameSize
        }
        self.frames = frames.map { (id: $0.0, content: $0.1) }
    }

    /// TXXX frames as (description, value), decoded as UTF-8 (encoding byte 3).
    public func userTexts() throws -> [(description: String, value: String)] {
        try frames.filter { $0.id == "TXXX" }.map { frame in
            guard frame.content.first == 3 else { throw Malformed("TXXX encoding \(frame.content.first ?? 0), expected 3 (UTF-8)") }
            let rest = frame.content.dropFirst()
            guard let terminator = rest.firstIndex(of: 0) else { throw Malformed("TXXX description not terminated") }
            return (
                String(decoding: rest[rest.startIndex..<terminator], as: UTF8.self),
                String(decoding: rest[(terminator + 1)...], as: UTF8.self)
            )
        }
    }

    private static func syncsafe(_ bytes: ArraySlice<UInt8>) throws -> Int {
        guard bytes.allSatisfy({ $0 & 0x80 == 0 }) else { throw Malformed("size byte with the high bit set is not syncsafe") }
        return bytes.reduce(0) { $0 << 7 | Int($1) }
    }

    public struct Malformed: Error, CustomStringConvertible {
        public let description: String
        init(_ description: String) { self.description = description }
    }
}
