public import Foundation
import ZIPFoundation

extension Fixtures {
    /// The lines of a zipped golden file (`expected/frames….jsonl.zip`, one JSON line a frame).
    public static func goldenLines(_ url: URL) throws -> [String] {
        let archive = try Archive(data: try Data(contentsOf: url), accessMode: .read)
        guard let entry = archive.first(where: { $0.path.hasSuffix(".jsonl") }) else {
            throw CocoaError(.fileReadCorruptFile, userInfo: [NSLocalizedDescriptionKey: "\(url.path) holds no .jsonl file"])
        }
        var text = Data()
        _ = try archive.extract(entry) { text.append($0) }
        return String(decoding: text, as: UTF8.self).split(separator: "\n").map(String.init)
    }

    /// Every file entry of a zip held in memory, by its path in the archive.
    public static func zipEntries(_ data: Data) throws -> [String: Data] {
        let archive = try Archive(data: data, accessMode: .read)
        var entries: [String: Data] = [:]
        for entry in archive where entry.type == .file {
            var bytes = Data()
            _ = try archive.extract(entry) { bytes.append($0) }
            entries[entry.path] = bytes
        }
        return entries
    }

    /// The golden lines of the swimming fixture, `name` being `frames` or `frames.TEMPLATE`.
    public static func swimGolden(_ name: String = "frames") throws -> [String] {
        try goldenLines(swim.appendingPathComponent("expected/\(name).jsonl.zip"))
    }

    /// Writes lines as a zipped golden file, as `scripts/pin-golden.sh` does.
    public static func writeGolden(_ lines: [String], to url: URL) throws {
        try? FileManager.default.removeItem(at: url)
        let archive = try Archive(url: url, accessMode: .create)
        let text = Data((lines.joined(separator: "\n") + "\n").utf8)
        try archive.addEntry(with: url.deletingPathExtension().lastPathComponent, type: .file, uncompressedSize: Int64(text.count),
                             compressionMethod: .deflate) { position, size in
            text.subdata(in: Int(position)..<Int(position) + size)
        }
    }
}

/// A small deterministic random generator (SplitMix64), so a failing case reproduces from its seed.
public struct SplitMix: RandomNumberGenerator {
    public var state: UInt64

    public init(state: UInt64) { self.state = state }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// `count` bytes of noise from `seed`.
    public static func noise(seed: UInt64, count: Int) -> Data {
        var generator = SplitMix(state: seed)
        return Data((0..<count).map { _ in UInt8.random(in: 0...255, using: &generator) })
    }
}
