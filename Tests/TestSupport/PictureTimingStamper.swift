/// Writes SMPTE 12M timecodes into an H.264 stream's picture-timing SEI, to make inputs for the
/// `sei-timecode` clock: no encoder FFmpeg 5.1 ships writes them.
///
/// Input: Annex B from x264 with `aud=1:pic-struct=1:bframes=0` and no HRD (so picture timing
/// holds only `pic_struct` and the clock timestamps). Each access unit's own picture-timing SEI
/// is replaced by one stating a full timestamp.
public enum PictureTimingStamper {
    /// Stamps access unit i with the timecode `firstFrame + i` frames after midnight, at `fps` (integer rate).
    public static func stamp(_ stream: [UInt8], firstFrame: Int, fps: Int) -> [UInt8] {
        var output: [UInt8] = []
        var accessUnit = -1
        var stampedThisUnit = false
        for unit in nalUnits(stream) {
            let type = unit[0] & 0x1F
            if type == 9 {
                accessUnit += 1
                stampedThisUnit = false
            }
            // x264's own picture timing (payload type 1) makes way for ours.
            if type == 6, unit.count > 1, unit[1] == 1 { continue }
            if (type == 1 || type == 5), !stampedThisUnit {
                output += [0, 0, 0, 1] + pictureTiming(frame: firstFrame + max(accessUnit, 0), fps: fps)
                stampedThisUnit = true
            }
            output += [0, 0, 0, 1] + unit
        }
        return output
    }

    /// The NAL units of an Annex B stream, without start codes.
    public static func nalUnits(_ bytes: [UInt8]) -> [[UInt8]] {
        var starts: [(code: Int, payload: Int)] = []
        var index = 0
        while index + 2 < bytes.count {
            if bytes[index] == 0, bytes[index + 1] == 0, bytes[index + 2] == 1 {
                let code = index > 0 && bytes[index - 1] == 0 ? index - 1 : index
                starts.append((code, index + 3))
                index += 3
            } else {
                index += 1
            }
        }
        return starts.enumerated().map { offset, start in
            let end = offset + 1 < starts.count ? starts[offset + 1].code : bytes.count
            return Array(bytes[start.payload..<end])
        }
    }

    /// A picture-timing SEI NAL unit (header included, emulation prevention applied).
    static func pictureTiming(frame: Int, fps: Int) -> [UInt8] {
        var bits = BitWriter()
        bits.write(0, 4)            // pic_struct: frame
        bits.write(1, 1)            // clock_timestamp_flag
        bits.write(0, 2)            // ct_type: progressive
        bits.write(0, 1)            // nuit_field_based_flag
        bits.write(0, 5)            // counting_type
        bits.write(1, 1)            // full_timestamp_flag
        bits.write(0, 1)            // discontinuity_flag
        bits.write(0, 1)            // cnt_dropped_flag
        let seconds = frame / fps
        bits.write(UInt32(frame % fps), 8)
        bits.write(UInt32(seconds % 60), 6)
        bits.write(UInt32(seconds / 60 % 60), 6)
        bits.write(UInt32(seconds / 3600 % 24), 5)
        bits.write(0, 24)           // time_offset (time_offset_length is 24 without HRD)
        bits.write(1, 1)            // payload alignment: a one, then zeros
        let payload = bits.bytes
        let rbsp: [UInt8] = [1, UInt8(payload.count)] + payload + [0x80]
        var escaped: [UInt8] = [0x06]
        var zeros = 0
        for byte in rbsp {
            if zeros >= 2 && byte <= 3 {
                escaped.append(3)
                zeros = 0
            }
            escaped.append(byte)
            zeros = byte == 0 ? zeros + 1 : 0
        }
        return escaped
    }

    struct BitWriter {
        private(set) var bytes: [UInt8] = []
        private var used = 8

        mutating func write(_ value: UInt32, _ count: Int) {
            for shift in stride(from: count - 1, through: 0, by: -1) {
                if used == 8 { bytes.append(0); used = 0 }
                if (value >> UInt32(shift)) & 1 == 1 { bytes[bytes.count - 1] |= UInt8(0x80 >> used) }
                used += 1
            }
        }
    }
}
