/// An ID3v2.4 tag as HLS timed metadata carries it: a header and TXXX / PRIV frames, no
/// unsynchronisation, no extended header, syncsafe sizes.
public struct ID3Tag: Sendable, Hashable {
    /// One ID3 frame.
    public enum Frame: Sendable, Hashable {
        /// TXXX: user-defined text, UTF-8, with a description naming its meaning.
        case userText(description: String, value: String)
        /// PRIV: an owner identifier (a URL-like name) and opaque bytes.
        case privateData(owner: String, data: [UInt8])
    }

    /// The frames in order.
    public let frames: [Frame]

    /// Creates a tag of `frames`.
    public init(frames: [Frame]) { self.frames = frames }

    /// The largest value a 28-bit syncsafe size can hold.
    public static let maximumSize = (1 << 28) - 1

    /// The serialised tag.
    public func encoded() throws(ID3TagError) -> [UInt8] {
        var body: [UInt8] = []
        for frame in frames {
            let (identifier, content): (String, [UInt8])
            switch frame {
            case let .userText(description, value):
                // Encoding byte 3 = UTF-8; the description is NUL-terminated, the value runs to the end.
                identifier = "TXXX"
                content = [3] + Array(description.utf8) + [0] + Array(value.utf8)
            case let .privateData(owner, data):
                identifier = "PRIV"
                content = Array(owner.utf8) + [0] + data
            }
            guard content.count <= ID3Tag.maximumSize else { throw .tooLarge(content.count) }
            body += Array(identifier.utf8) + ID3Tag.syncsafe(content.count) + [0, 0] + content
        }
        guard body.count <= ID3Tag.maximumSize else { throw .tooLarge(body.count) }
        return Array("ID3".utf8) + [4, 0, 0] + ID3Tag.syncsafe(body.count) + body
    }

    /// A 28-bit size written as four 7-bit bytes, so no byte can look like an MPEG sync word.
    static func syncsafe(_ value: Int) -> [UInt8] {
        [UInt8(value >> 21 & 0x7F), UInt8(value >> 14 & 0x7F), UInt8(value >> 7 & 0x7F), UInt8(value & 0x7F)]
    }
}

/// Why a tag could not be written.
public enum ID3TagError: Error, Equatable, CustomStringConvertible {
    /// A frame or the tag exceeds the 256 MB that syncsafe sizes can express.
    case tooLarge(Int)

    public var description: String {
        switch self {
        case .tooLarge(let size): "ID3 tag content of \(size) bytes exceeds the 28-bit syncsafe limit"
        }
    }
}

/// The in-band carriage of a frame overlay: one TXXX frame holding its canonical JSON.
public enum OverlayPayload {
    /// The TXXX description that marks Podium's overlay, so players can pick it out of other metadata.
    public static let textDescription = "com.podium.overlay"

    /// The ID3 tag carrying `overlay` in band.
    public static func id3Tag(for overlay: FrameOverlay) throws(ID3TagError) -> [UInt8] {
        let json = String(decoding: overlay.canonicalJSON(), as: UTF8.self)
        return try ID3Tag(frames: [.userText(description: textDescription, value: json)]).encoded()
    }
}
