public import Foundation

/// Pictures compared as a person would: decoded by FFmpeg (an independent PNG reader), and
/// judged by their mean difference, not byte for byte.
public struct Pixels: Sendable {
    public let width: Int
    public let height: Int
    /// RGB, 8 bits each, rows packed.
    public let rgb: [UInt8]

    /// Decodes a PNG (or any picture FFmpeg reads), cropped to `crop` (x, y, width, height) when given.
    public init(png: Data, crop: (x: Int, y: Int, width: Int, height: Int)? = nil) throws {
        let file = try Fixtures.scratchFolder("pixels").appendingPathComponent("picture.png")
        try png.write(to: file)
        let probe = try Fixtures.run("ffprobe", ["-v", "error", "-select_streams", "v:0", "-show_entries", "stream=width,height", "-of", "csv=p=0", file.path])
        let size = probe.out.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: ",").compactMap { Int($0) }
        guard size.count == 2 else { throw PixelsError(message: "not a picture: \(probe.err)") }
        let area = crop ?? (0, 0, size[0], size[1])
        let raw = file.deletingLastPathComponent().appendingPathComponent("picture.rgb")
        let run = try Fixtures.run("ffmpeg", [
            "-v", "error", "-y", "-i", file.path, "-vf", "crop=\(area.width):\(area.height):\(area.x):\(area.y)", "-f", "rawvideo", "-pix_fmt", "rgb24", raw.path,
        ])
        guard run.status == 0 else { throw PixelsError(message: run.err) }
        width = area.width
        height = area.height
        rgb = Array(try Data(contentsOf: raw))
        guard rgb.count == width * height * 3 else { throw PixelsError(message: "decoded \(rgb.count) bytes for \(width)×\(height)") }
    }

    /// Mean absolute difference per channel, 0…255, over the rectangle (whole picture by default).
    public func meanDifference(from other: Pixels, in rect: (x: Int, y: Int, width: Int, height: Int)? = nil) -> Double {
        let area = rect ?? (0, 0, min(width, other.width), min(height, other.height))
        var total = 0
        for row in area.y..<(area.y + area.height) {
            for column in area.x..<(area.x + area.width) {
                for channel in 0..<3 {
                    total += abs(Int(rgb[(row * width + column) * 3 + channel]) - Int(other.rgb[(row * other.width + column) * 3 + channel]))
                }
            }
        }
        return Double(total) / Double(area.width * area.height * 3)
    }
}

extension Pixels {
    /// Chosen pictures of a video or picture file (frame numbers in presentation order, counted
    /// from 0), decoded by FFmpeg's command line, not by Podium, as raw bytes of `pixelFormat`
    /// (`rgb24`, `rgba`), each `width × height × bytesPerPixel` long.
    public static func rawFrames(
        of path: String, _ frames: [Int], pixelFormat: String, width: Int, height: Int, bytesPerPixel: Int
    ) async throws -> [Int: [UInt8]] {
        let raw = try Fixtures.scratchFolder("raw-frames").appendingPathComponent("\(UUID().uuidString).\(pixelFormat)")
        defer { try? FileManager.default.removeItem(at: raw) }
        let chosen = frames.sorted()
        let select = chosen.map { "eq(n\\,\($0))" }.joined(separator: "+")
        let run = try await Fixtures.run("ffmpeg", ["-v", "error", "-y", "-i", path, "-vf", "select='\(select)'", "-vsync", "0", "-f", "rawvideo", "-pix_fmt", pixelFormat, raw.path])
        guard run.status == 0 else { throw PixelsError(message: run.err) }
        let bytes = Array(try Data(contentsOf: raw))
        let size = width * height * bytesPerPixel
        guard bytes.count == chosen.count * size else {
            throw PixelsError(message: "decoded \(bytes.count) bytes for \(chosen.count) pictures of \(width)×\(height) from \(path)")
        }
        return Dictionary(uniqueKeysWithValues: chosen.enumerated().map { place, frame in (frame, Array(bytes[place * size..<(place + 1) * size])) })
    }
}

public struct PixelsError: Error, CustomStringConvertible {
    public let message: String
    public var description: String { message }
}
