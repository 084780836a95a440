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
        // One buffer, sizes patched in afterwards: this runs once per video frame.
        var tag: [UInt8] = [0x49, 0x44, 0x33, 4, 0, 0, 0, 0, 0, 0]
        for frame in frames {
            let start = tag.count
            switch frame {
            case let .userText(description, value):
                // Encoding byte 3 = UTF-8; the description is NUL-terminated, the value runs to the end.
                tag.reserveCapacity(tag.count + 11 + description.utf8.count + value.utf8.count)
                tag += [0x54, 0x58, 0x58, 0x58, 0, 0, 0, 0, 0, 0, 3]
                tag += description.utf8
                tag.append(0)
                tag += value.utf8
            case let .privateData(owner, data):
                tag += [0x50, 0x52, 0x49, 0x56, 0, 0, 0, 0, 0, 0]
                tag += owner.utf8
                tag.append(0)
                tag += data
            }
            let contentSize = tag.count - start - 10
            guard contentSize <= ID3Tag.maximumSize else { throw .tooLarge(contentSize) }
            tag.replaceSubrange(start + 4..<start + 8, with: ID3Tag.syncsafe(contentSize))
        }
        let bodySize = tag.count - 10
        guard bodySize <= ID3Tag.maximumSize else { throw .tooLarge(bodySize) }
        tag.replaceSubrange(6..<10, with: ID3Tag.syncsafe(bodySize))
        return tag
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
