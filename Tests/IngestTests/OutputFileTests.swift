import Foundation
@testable import MediaFormats
@testable import MediaIO
import TestSupport
import Testing

/// A local output file written with plain system calls: the bytes and the size are exactly what
/// was written, at every moment, and every failure is a named error.
struct OutputFileTests {
    let folder: URL

    init() throws {
        folder = try Fixtures.scratchFolder("output-file")
    }

    static func chunk(_ index: Int, count: Int) -> [UInt8] {
        (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ index) }
    }

    @Test func writesExactlyTheBytesAndIsClosedOnce() throws {
        let path = folder.appendingPathComponent("out.ts").path
        let file = try OutputFile(path: path, displayName: path)
        var expected: [UInt8] = []
        // Uneven chunks, one of them 18 MB.
        let sizes = [188 * 7 * 128, 5, 18 << 20, 70_001, 188 * 7 * 128]
        for (index, size) in sizes.enumerated() {
            let bytes = Self.chunk(index, count: size)
            #expect(bytes.withUnsafeBytes { file.write($0) } == 0)
            expected += bytes
            // A reader following the file sees exactly what was written so far.
            #expect(try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int == expected.count)
        }
        #expect(file.written == Int64(expected.count))
        #expect(file.close() == 0)
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == Data(expected))
        // Closing twice is harmless; writing after close is an error, not a crash.
        #expect(file.close() == 0)
        #expect([UInt8](repeating: 1, count: 4).withUnsafeBytes { file.write($0) } < 0)
    }

    @Test func replacesAnExistingFile() throws {
        let path = folder.appendingPathComponent("again.ts").path
        try Data(repeating: 7, count: 100_000).write(to: URL(fileURLWithPath: path))
        let file = try OutputFile(path: path, displayName: path)
        #expect([UInt8]("new".utf8).withUnsafeBytes { file.write($0) } == 0)
        #expect(file.close() == 0)
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == Data("new".utf8))
    }

    @Test func aPathThatCannotBeCreatedIsANamedError() {
        let path = folder.appendingPathComponent("missing/folder/out.ts").path
        #expect {
            _ = try OutputFile(path: path, displayName: "out.ts")
        } throws: { error in
            guard case let MediaError.ffmpeg(operation, target, _, message) = error else { return false }
            return operation == "opening the output" && target == "out.ts" && message.contains("No such file")
        }
    }

    @Test func aFullDiskIsAWriteErrorNotSilence() throws {
        // /dev/full accepts the open and fails every write with ENOSPC.
        let file = try OutputFile(path: "/dev/full", displayName: "/dev/full")
        let result = [UInt8](repeating: 0, count: 4096).withUnsafeBytes { file.write($0) }
        #expect(MediaError.message(for: result).contains("No space left"))
        file.close()
    }
}
