import Foundation

/// The video codecs whose access units can carry Podium's SEI message.
public enum SEICodec: String, Sendable, Hashable {
    /// H.264 / AVC: SEI is NAL unit type 6.
    case h264
    /// H.265 / HEVC: Podium writes a prefix SEI, NAL unit type 39.
    case hevc

    /// Whether a NAL unit of `type` holds a slice (VCL), which the SEI must precede.
    func isSlice(nalType: UInt8) -> Bool {
        switch self {
        case .h264: (1...5).contains(nalType)
        case .hevc: nalType <= 31
        }
    }

    /// The NAL unit type of the first header byte.
    func nalType(_ firstByte: UInt8) -> UInt8 {
        switch self {
        case .h264: firstByte & 0x1F
        case .hevc: (firstByte >> 1) & 0x3F
        }
    }
}

/// How NAL units are delimited inside an access unit.
public enum NALFraming: Sendable, Hashable {
    /// Start codes (`00 00 01` / `00 00 00 01`), as in MPEG-TS and raw streams.
    case annexB
    /// Each NAL unit preceded by its length in `lengthSize` big-endian bytes (MP4, FLV, Matroska).
    case lengthPrefixed(lengthSize: Int)
}

/// Podium's in-band carriage inside the video itself: a `user_data_unregistered` SEI message
/// (payload type 5) with Podium's UUID, added to an access unit before its first slice.
///
/// Pure byte work, shared by every output (MPEG-TS, MP4, FLV): the message survives any remux
/// that keeps the video, which timed ID3 does not.
public enum SEICarrier {
    /// Podium's UUID (`uuid_iso_iec_11578`), which marks the message as Podium's among others.
    public static let uuid: [UInt8] = [
        0x8F, 0x3A, 0x6C, 0x2E, 0x5B, 0x1D, 0x4E, 0x7A, 0x9C, 0x40, 0x70, 0xD1, 0xB2, 0xA4, 0xE6, 0xF9,
    ]
    /// The payload type of `user_data_unregistered`.
    static let userDataUnregistered: UInt8 = 5

    /// The SEI NAL unit (header included, emulation prevention applied, no start code or
    /// length) that carries `payload` after Podium's UUID.
    public static func nalUnit(carrying payload: [UInt8], codec: SEICodec) -> [UInt8] {
        var rbsp: [UInt8] = [userDataUnregistered]
        rbsp.reserveCapacity(payload.count + 24 + payload.count / 255)
        // payloadSize is coded as a run of 0xFF bytes and a last byte below 0xFF.
        var size = uuid.count + payload.count
        while size >= 255 {
            rbsp.append(0xFF)
            size -= 255
        }
        rbsp.append(UInt8(size))
        rbsp += uuid
        rbsp += payload
        rbsp.append(0x80) // rbsp_stop_one_bit and alignment
        let header: [UInt8] = codec == .h264 ? [0x06] : [39 << 1, 0x01]
        return header + emulationPrevented(rbsp)
    }

    /// The access unit with Podium's SEI inserted before its first slice, or nil when the bytes
    /// hold no slice (or are not well-formed in `framing`), in which case nothing is added.
    public static func insert(_ payload: [UInt8], into accessUnit: UnsafeBufferPointer<UInt8>, codec: SEICodec, framing: NALFraming) -> [UInt8]? {
        let nal = nalUnit(carrying: payload, codec: codec)
        switch framing {
        case .annexB:
            guard let sliceStart = firstSliceStartCode(in: accessUnit, codec: codec) else { return nil }
            var out: [UInt8] = []
            out.reserveCapacity(accessUnit.count + nal.count + 4)
            out += accessUnit[..<sliceStart]
            out += [0, 0, 0, 1]
            out += nal
            out += accessUnit[sliceStart...]
            return out
        case .lengthPrefixed(let lengthSize):
            guard (1...4).contains(lengthSize), nal.count < 1 << (8 * lengthSize) else { return nil }
            var offset = 0
            while offset + lengthSize < accessUnit.count {
                var length = 0
                for byte in accessUnit[offset..<offset + lengthSize] { length = length << 8 | Int(byte) }
                let body = offset + lengthSize
                guard length > 0, body + length <= accessUnit.count else { return nil }
                if codec.isSlice(nalType: codec.nalType(accessUnit[body])) {
                    var out: [UInt8] = []
                    out.reserveCapacity(accessUnit.count + nal.count + lengthSize)
                    out += accessUnit[..<offset]
                    for shift in stride(from: 8 * (lengthSize - 1), through: 0, by: -8) { out.append(UInt8(truncatingIfNeeded: nal.count >> shift)) }
                    out += nal
                    out += accessUnit[offset...]
                    return out
                }
                offset = body + length
            }
            return nil
        }
    }

    /// The messages carried under Podium's UUID in an access unit (a reader for tests and tools).
    public static func payloads(in accessUnit: [UInt8], codec: SEICodec, framing: NALFraming) -> [[UInt8]] {
        nalUnits(in: accessUnit, framing: framing).compactMap { nal -> [UInt8]? in
            guard let first = nal.first else { return nil }
            let type = codec.nalType(first)
            let headerLength = codec == .h264 ? 1 : 2
            guard codec == .h264 ? type == 6 : type == 39 || type == 40, nal.count > headerLength else { return nil }
            let rbsp = emulationRemoved(Array(nal.dropFirst(headerLength)))
            var index = 0
            while index < rbsp.count, rbsp[index] != 0x80 || index + 1 < rbsp.count {
                var type = 0
                while index < rbsp.count, rbsp[index] == 0xFF { type += 255; index += 1 }
                guard index < rbsp.count else { return nil }
                type += Int(rbsp[index]); index += 1
                var size = 0
                while index < rbsp.count, rbsp[index] == 0xFF { size += 255; index += 1 }
                guard index < rbsp.count else { return nil }
                size += Int(rbsp[index]); index += 1
                guard index + size <= rbsp.count else { return nil }
                let body = Array(rbsp[index..<index + size])
                index += size
                if type == Int(userDataUnregistered), body.count >= 16, Array(body[..<16]) == uuid { return Array(body[16...]) }
            }
            return nil
        }
    }

    /// The NAL units of an access unit, without start codes or lengths.
    public static func nalUnits(in accessUnit: [UInt8], framing: NALFraming) -> [ArraySlice<UInt8>] {
        var units: [ArraySlice<UInt8>] = []
        switch framing {
        case .annexB:
            var starts: [(codeStart: Int, body: Int)] = []
            var index = 0
            while index + 2 < accessUnit.count {
                if accessUnit[index] == 0, accessUnit[index + 1] == 0, accessUnit[index + 2] == 1 {
                    starts.append((index > 0 && accessUnit[index - 1] == 0 ? index - 1 : index, index + 3))
                    index += 3
                } else {
                    index += 1
                }
            }
            for (position, start) in starts.enumerated() {
                let end = position + 1 < starts.count ? starts[position + 1].codeStart : accessUnit.count
                if end > start.body { units.append(accessUnit[start.body..<end]) }
            }
        case .lengthPrefixed(let lengthSize):
            var offset = 0
            while offset + lengthSize <= accessUnit.count {
                var length = 0
                for byte in accessUnit[offset..<offset + lengthSize] { length = length << 8 | Int(byte) }
                let body = offset + lengthSize
                guard body + length <= accessUnit.count else { break }
                units.append(accessUnit[body..<body + length])
                offset = body + length
            }
        }
        return units
    }

    /// Offset of the start code (including a leading zero byte of a 4-byte one) of the first slice NAL.
    private static func firstSliceStartCode(in bytes: UnsafeBufferPointer<UInt8>, codec: SEICodec) -> Int? {
        var index = 0
        while index + 3 < bytes.count {
            if bytes[index] == 0, bytes[index + 1] == 0, bytes[index + 2] == 1 {
                if codec.isSlice(nalType: codec.nalType(bytes[index + 3])) {
                    return index > 0 && bytes[index - 1] == 0 ? index - 1 : index
                }
                index += 3
            } else {
                index += 1
            }
        }
        return nil
    }

    /// Inserts `emulation_prevention_three_byte` wherever two zero bytes are followed by a byte ≤ 3.
    static func emulationPrevented(_ rbsp: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(rbsp.count + rbsp.count / 64 + 2)
        var zeros = 0
        for byte in rbsp {
            if zeros >= 2, byte <= 3 {
                out.append(3)
                zeros = 0
            }
            out.append(byte)
            zeros = byte == 0 ? zeros + 1 : 0
        }
        return out
    }

    /// Removes emulation prevention bytes.
    static func emulationRemoved(_ ebsp: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(ebsp.count)
        var zeros = 0
        for byte in ebsp {
            if zeros >= 2, byte == 3 {
                zeros = 0
                continue
            }
            out.append(byte)
            zeros = byte == 0 ? zeros + 1 : 0
        }
        return out
    }
}

/// The rule for a payload too large for its carrier: it is never cut. The carrier gets the
/// frame's summary instead (the keys that identify the frame and its data version, and the size
/// of what was left out), and the full state stays in the API under the same `seq`.
public enum CarrierBudget {
    /// The largest payload either carrier takes per frame: an ID3 tag must fit one PES packet
    /// (PES_packet_length is 16 bits), and a per-frame SEI of this size already costs 26 Mb/s at 50 fps.
    public static let maximumPayload = 65_000

    /// `payload` when it fits, otherwise the summary of `overlay`.
    public static func fitting(_ payload: [UInt8], for overlay: FrameOverlay, limit: Int = maximumPayload) -> [UInt8] {
        guard payload.count > limit else { return payload }
        return summary(of: overlay, omittedBytes: payload.count)
    }

    /// The summary form: `{"f":frame,"omitted":bytes,"p":pts,"s":seq,"u":captureUTC,"v":dataVersion}`.
    public static func summary(of overlay: FrameOverlay, omittedBytes: Int) -> [UInt8] {
        var text = "{\"f\":\(overlay.frame),\"omitted\":\(omittedBytes),\"p\":\(overlay.pts),\"s\":\(overlay.seq),\"u\":\"\(overlay.captureUTC)\""
        if let version = overlay.dataVersion {
            text += ",\"v\":\"" + version.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
        }
        return Array((text + "}").utf8)
    }
}

/// What one frame carries in band, the same bytes in every carrier: the full `FrameOverlay`
/// JSON for a job without a template, the compact elements for a templated one, or the summary
/// when either would exceed `CarrierBudget.maximumPayload`.
public struct InBandPayload: Sendable, Equatable {
    /// The ID3 TXXX description (`com.podium.overlay`, `com.podium.elements`, `com.podium.summary`).
    public let description: String
    /// The JSON bytes.
    public let json: [UInt8]

    /// The TXXX description of a summary.
    public static let summaryDescription = "com.podium.summary"

    /// The payload of `overlay`; `compact` for a templated job. `canonical`, when the caller has
    /// it already, is the overlay's canonical JSON.
    public init(for overlay: FrameOverlay, compact: Bool, canonical: [UInt8]? = nil, limit: Int = CarrierBudget.maximumPayload) {
        let full = compact ? CompactPayload.bytes(for: overlay) : canonical ?? overlay.canonicalJSONBytes()
        let fitted = CarrierBudget.fitting(full, for: overlay, limit: limit)
        json = fitted
        description = fitted.count == full.count ? (compact ? CompactPayload.textDescription : OverlayPayload.textDescription) : Self.summaryDescription
    }

    /// The ID3v2.4 tag with one TXXX frame holding the JSON.
    public func id3Tag() throws(ID3TagError) -> [UInt8] {
        try ID3Tag(frames: [.userText(description: description, value: String(decoding: json, as: UTF8.self))]).encoded()
    }
}
