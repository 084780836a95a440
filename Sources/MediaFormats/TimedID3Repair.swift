/// Undoes what FFmpeg 5.1's MPEG-TS demuxer does to timed-ID3 packets (stream type 0x15 in
/// private_stream_1): it takes the first five bytes for a metadata AU cell header, and those
/// five bytes are the tag's `ID3` identifier and version. Pure.
///
/// The rest of the header survives: flags and the syncsafe tag size. A payload whose stated
/// size is exactly what follows the header is a tag missing its first five bytes; the version
/// is the one (2.4, then 2.3) under which its frames tile the tag exactly. Anything else is
/// left alone and reported by the caller rather than guessed at.
public enum TimedID3Repair {
    /// The whole tag: `payload` unchanged if it is already one, rebuilt if it lost its first
    /// five bytes, nil if it is neither.
    public static func restore(_ payload: [UInt8]) -> [UInt8]? {
        if payload.count >= 10, payload[0] == 0x49, payload[1] == 0x44, payload[2] == 0x33 { return payload }
        guard payload.count >= 5, payload[1...4].allSatisfy({ $0 < 0x80 }) else { return nil }
        let size = payload[1...4].reduce(0) { $0 << 7 | Int($1) }
        let footer = payload[0] & 0x10 != 0 ? 10 : 0
        guard size + 5 + footer == payload.count else { return nil }
        let frames = Array(payload[5..<(5 + size)])
        for version: UInt8 in [4, 3] where framesTile(frames, version: version) {
            return [0x49, 0x44, 0x33, version, 0] + payload
        }
        return nil
    }

    /// Whether the frames of an ID3v2.`version` tag body fill it exactly (padding allowed at the end).
    static func framesTile(_ body: [UInt8], version: UInt8) -> Bool {
        var offset = 0
        var frames = 0
        while offset + 10 <= body.count {
            let id = body[offset..<(offset + 4)]
            if id.allSatisfy({ $0 == 0 }) { return frames > 0 && body[offset...].allSatisfy { $0 == 0 } }
            guard id.allSatisfy({ (0x41...0x5A).contains($0) || (0x30...0x39).contains($0) }) else { return false }
            let sizeBytes = body[(offset + 4)..<(offset + 8)]
            let size: Int
            if version == 4 {
                guard sizeBytes.allSatisfy({ $0 < 0x80 }) else { return false }
                size = sizeBytes.reduce(0) { $0 << 7 | Int($1) }
            } else {
                size = sizeBytes.reduce(0) { $0 << 8 | Int($1) }
            }
            offset += 10 + size
            frames += 1
        }
        return frames > 0 && offset == body.count
    }
}
