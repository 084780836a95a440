public import Foundation

/// FreeD type D1 messages: the 29-byte camera pose a tracking head sends per video frame.
///
/// Layout (big-endian): 0xD1, camera id, pan, tilt, roll (24-bit signed ÷ 32768 degrees),
/// X, Y, Z (24-bit signed ÷ 64 mm), zoom, focus (24-bit raw encoder values), two user bytes,
/// and a checksum: (0x40 − the sum of bytes 0…27) mod 256.
public enum FreeD {
    /// Bytes in a D1 message.
    public static let messageLength = 29

    /// Why a message was refused.
    public enum Failure: Error, Equatable, CustomStringConvertible {
        case wrongLength(Int)
        case wrongType(UInt8)
        case badChecksum(expected: UInt8, found: UInt8)

        public var description: String {
            switch self {
            case .wrongLength(let count): "FreeD message of \(count) bytes; D1 has 29"
            case .wrongType(let type): "FreeD message type 0x\(String(type, radix: 16)); only D1 is read"
            case let .badChecksum(expected, found): "FreeD checksum 0x\(String(found, radix: 16)), expected 0x\(String(expected, radix: 16))"
            }
        }
    }

    /// The checksum of the first 28 bytes.
    public static func checksum<Bytes: Collection>(_ bytes: Bytes) -> UInt8 where Bytes.Element == UInt8 {
        UInt8(truncatingIfNeeded: 0x40 &- bytes.prefix(28).reduce(0) { $0 &+ Int($1) })
    }

    /// Parses one D1 message.
    public static func parse(_ bytes: [UInt8]) throws(Failure) -> CameraPose {
        guard bytes.count == messageLength else { throw .wrongLength(bytes.count) }
        guard bytes[0] == 0xD1 else { throw .wrongType(bytes[0]) }
        let expected = checksum(bytes)
        guard bytes[28] == expected else { throw .badChecksum(expected: expected, found: bytes[28]) }
        func signed(_ offset: Int) -> Int32 {
            let raw = Int32(bytes[offset]) << 16 | Int32(bytes[offset + 1]) << 8 | Int32(bytes[offset + 2])
            return raw & 0x80_0000 != 0 ? raw - 0x100_0000 : raw
        }
        func unsigned(_ offset: Int) -> Int { Int(bytes[offset]) << 16 | Int(bytes[offset + 1]) << 8 | Int(bytes[offset + 2]) }
        return CameraPose(
            camera: Int(bytes[1]),
            pan: Double(signed(2)) / 32768, tilt: Double(signed(5)) / 32768, roll: Double(signed(8)) / 32768,
            x: Double(signed(11)) / 64 / 1000, y: Double(signed(14)) / 64 / 1000, z: Double(signed(17)) / 64 / 1000,
            zoom: unsigned(20), focus: unsigned(23)
        )
    }

    /// Serialises a pose as a D1 message (for recordings and tests), rounding to the wire's resolution.
    public static func encode(_ pose: CameraPose) -> [UInt8] {
        func signed(_ value: Double) -> [UInt8] {
            let raw = Int32(max(-0x80_0000, min(0x7F_FFFF, value.rounded()))) & 0xFF_FFFF
            return [UInt8(raw >> 16 & 0xFF), UInt8(raw >> 8 & 0xFF), UInt8(raw & 0xFF)]
        }
        func unsigned(_ value: Int) -> [UInt8] {
            let raw = max(0, min(0xFF_FFFF, value))
            return [UInt8(raw >> 16 & 0xFF), UInt8(raw >> 8 & 0xFF), UInt8(raw & 0xFF)]
        }
        var bytes: [UInt8] = [0xD1, UInt8(truncatingIfNeeded: pose.camera)]
        bytes += signed(pose.pan * 32768) + signed(pose.tilt * 32768) + signed(pose.roll * 32768)
        bytes += signed(pose.x * 1000 * 64) + signed(pose.y * 1000 * 64) + signed(pose.z * 1000 * 64)
        bytes += unsigned(pose.zoom) + unsigned(pose.focus) + [0, 0]
        bytes.append(checksum(bytes))
        return bytes
    }
}

/// Camera poses by venue time, with the frame pairing rule: a frame captured at t gets the latest
/// sample at or before t + delay, if that sample is recent enough.
public struct CameraTrack: Sendable {
    /// Samples in time order.
    public private(set) var samples: [(utc: UTCInstant, pose: CameraPose)]
    /// Messages dropped because they failed to parse (bad checksum, wrong type or length).
    public private(set) var rejected = 0
    /// Added to a frame's capture time before looking up its pose (tracking data usually lags or leads the picture).
    public let delay: Rational
    /// The oldest a sample may be and still pair with a frame.
    public let maximumAge: Rational

    /// Creates an empty track.
    public init(delay: Rational = .zero, maximumAge: Rational = Rational(1, 10)) {
        samples = []
        self.delay = delay
        self.maximumAge = maximumAge
    }

    /// Adds a raw message received at `utc`; a bad one is counted and dropped.
    public mutating func add(message: [UInt8], at utc: UTCInstant) {
        guard let pose = try? FreeD.parse(message) else {
            rejected += 1
            return
        }
        add(pose, at: utc)
    }

    /// Adds a parsed pose.
    public mutating func add(_ pose: CameraPose, at utc: UTCInstant) {
        if let last = samples.last, utc < last.utc {
            let index = samples.firstIndex { utc < $0.utc } ?? samples.endIndex
            samples.insert((utc, pose), at: index)
        } else {
            samples.append((utc, pose))
        }
    }

    /// The pose for a frame captured at `capture`.
    public func pose(forCaptureAt capture: UTCInstant) -> CameraPose? {
        let wanted = capture.advanced(by: delay)
        // Binary search for the last sample at or before the wanted instant.
        var low = 0
        var high = samples.count
        while low < high {
            let middle = (low + high) / 2
            if samples[middle].utc <= wanted { low = middle + 1 } else { high = middle }
        }
        guard low > 0 else { return nil }
        let sample = samples[low - 1]
        return wanted.seconds(since: sample.utc) <= maximumAge ? sample.pose : nil
    }
}

extension CameraTrack {
    /// Reads a recording: one JSON object a line, `{"utc": "…", "freed": "d1…"}` (the message as hex).
    /// A line that is not such an object is an error naming it; a message with a bad checksum is
    /// counted and dropped, as on the wire.
    public static func recording(_ data: Data, delay: Rational = .zero) throws(CameraRecordingError) -> CameraTrack {
        var track = CameraTrack(delay: delay)
        for (index, line) in String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: true).enumerated() {
            guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                  let utcText = object["utc"] as? String, let utc = UTCInstant(iso8601: utcText),
                  let hex = object["freed"] as? String, hex.count % 2 == 0
            else { throw CameraRecordingError(line: index + 1, reason: "expected {\"utc\": ISO 8601, \"freed\": hex}") }
            var bytes: [UInt8] = []
            var cursor = hex.startIndex
            while cursor < hex.endIndex {
                let next = hex.index(cursor, offsetBy: 2)
                guard let byte = UInt8(hex[cursor..<next], radix: 16) else {
                    throw CameraRecordingError(line: index + 1, reason: "\"freed\" is not hexadecimal")
                }
                bytes.append(byte)
                cursor = next
            }
            track.add(message: bytes, at: utc)
        }
        return track
    }
}

/// Why a camera recording was refused.
public struct CameraRecordingError: Error, Hashable, CustomStringConvertible {
    public let line: Int
    public let reason: String
    public var description: String { "camera recording line \(line): \(reason)" }
}
