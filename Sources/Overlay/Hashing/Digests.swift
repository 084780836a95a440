public import Crypto
public import Foundation

/// The digests Podium names things by: a received document by its content, an API key by the
/// digest of its secret, a playback token by its HMAC. The arithmetic is swift-crypto's; this
/// type only fixes the spelling (lower-case hex) that the store and the wire carry.
public enum Digests {
    /// The SHA-256 of `bytes` as 64 lower-case hex characters.
    public static func sha256Hex<Bytes: DataProtocol>(of bytes: Bytes) -> String {
        hexadecimal(SHA256.hash(data: bytes))
    }

    /// HMAC-SHA-256 of `message` under `key`, as 64 lower-case hex characters.
    public static func hmacSHA256Hex(key: [UInt8], message: [UInt8]) -> String {
        hexadecimal(HMAC<SHA256>.authenticationCode(for: message, using: SymmetricKey(data: key)))
    }

    /// Whether `code` (hex, either case) is the HMAC-SHA-256 of `message` under `key`. The
    /// comparison is swift-crypto's constant-time one, so the time taken tells nothing about
    /// where a forged code first differs.
    public static func isHMACSHA256Hex(_ code: Substring, key: [UInt8], message: [UInt8]) -> Bool {
        guard let bytes = bytes(fromHex: code), bytes.count == SHA256.byteCount else { return false }
        return HMAC<SHA256>.isValidAuthenticationCode(bytes, authenticating: message, using: SymmetricKey(data: key))
    }

    private static func hexadecimal<Bytes: Sequence>(_ bytes: Bytes) -> String where Bytes.Element == UInt8 {
        let digits = Array("0123456789abcdef".utf8)
        var text: [UInt8] = []
        text.reserveCapacity(64)
        for byte in bytes { text += [digits[Int(byte >> 4)], digits[Int(byte & 15)]] }
        return String(decoding: text, as: UTF8.self)
    }

    private static func bytes(fromHex text: Substring) -> [UInt8]? {
        let characters = Array(text.utf8)
        guard characters.count.isMultiple(of: 2) else { return nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(characters.count / 2)
        for index in stride(from: 0, to: characters.count, by: 2) {
            guard let high = nibble(characters[index]), let low = nibble(characters[index + 1]) else { return nil }
            bytes.append(high << 4 | low)
        }
        return bytes
    }

    private static func nibble(_ character: UInt8) -> UInt8? {
        switch character {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): character - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): character - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): character - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
