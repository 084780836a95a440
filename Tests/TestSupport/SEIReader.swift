/// An independent reader of H.264 Annex B access units for the tests: finds the
/// `user_data_unregistered` SEI messages under a given UUID, written from ITU-T H.264 §7.3
/// and D.1 and sharing no code with Podium's writer.
public enum SEIReader {
    /// NAL unit types in order of appearance (start codes of three or four bytes).
    public static func nalTypes(in accessUnit: [UInt8]) -> [UInt8] {
        nals(in: accessUnit).compactMap { $0.first.map { $0 & 0x1F } }
    }

    /// Payloads of every user_data_unregistered message with `uuid`, UUID stripped.
    public static func userData(in accessUnit: [UInt8], uuid: [UInt8]) -> [[UInt8]] {
        var found: [[UInt8]] = []
        for nal in nals(in: accessUnit) where nal.first.map({ $0 & 0x1F }) == 6 {
            // Remove emulation prevention: 00 00 03 → 00 00.
            var rbsp: [UInt8] = []
            var zeros = 0
            for byte in nal.dropFirst() {
                if zeros == 2 && byte == 3 { zeros = 0; continue }
                rbsp.append(byte)
                zeros = byte == 0 ? zeros + 1 : 0
            }
            var at = 0
            while at < rbsp.count - 1 {
                var type = 0
                while rbsp[at] == 0xFF { type += 255; at += 1 }
                type += Int(rbsp[at]); at += 1
                var size = 0
                while rbsp[at] == 0xFF { size += 255; at += 1 }
                size += Int(rbsp[at]); at += 1
                guard at + size <= rbsp.count else { break }
                let body = Array(rbsp[at..<at + size])
                at += size
                if type == 5, body.count >= 16, Array(body.prefix(16)) == uuid { found.append(Array(body.dropFirst(16))) }
            }
        }
        return found
    }

    /// Splits an Annex B elementary stream into access units at each access unit delimiter (type 9).
    public static func accessUnits(inElementaryStream bytes: [UInt8]) -> [[UInt8]] {
        var starts: [Int] = []
        var index = 0
        while index + 3 < bytes.count {
            if bytes[index] == 0, bytes[index + 1] == 0, bytes[index + 2] == 1 {
                if bytes[index + 3] & 0x1F == 9 { starts.append(index > 0 && bytes[index - 1] == 0 ? index - 1 : index) }
                index += 3
            } else {
                index += 1
            }
        }
        return starts.enumerated().map { position, start in
            Array(bytes[start..<(position + 1 < starts.count ? starts[position + 1] : bytes.count)])
        }
    }

    private static func nals(in bytes: [UInt8]) -> [ArraySlice<UInt8>] {
        var bodies: [Int] = []
        var ends: [Int] = []
        var index = 0
        while index + 2 < bytes.count {
            if bytes[index] == 0, bytes[index + 1] == 0, bytes[index + 2] == 1 {
                if !bodies.isEmpty { ends.append(index > 0 && bytes[index - 1] == 0 ? index - 1 : index) }
                bodies.append(index + 3)
                index += 3
            } else {
                index += 1
            }
        }
        ends.append(bytes.count)
        return zip(bodies, ends).map { bytes[$0..<max($0, $1)] }
    }
}
