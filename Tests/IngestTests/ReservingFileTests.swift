import Foundation
@testable import MediaFormats
@testable import MediaIO
import TestSupport
import Testing

/// A local output file written with its space reserved ahead: the bytes and the size are exactly
/// what was written, at every moment, and the reservation is given back on close.
struct ReservingFileTests {
    let folder: URL

    init() throws {
        folder = try Fixtures.scratchFolder("reserving-file")
    }

    /// Bytes the file system holds for a file (its allocated blocks).
    static func allocated(_ path: String) -> Int {
        ReservingFile.allocatedBytes(atPath: path)
    }

    static func chunk(_ index: Int, count: Int) -> [UInt8] {
        (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ index) }
    }

    @Test func writesExactlyTheBytesAndGivesTheReservationBack() throws {
        let path = folder.appendingPathComponent("out.ts").path
        let file = try ReservingFile(path: path, displayName: path)
        var expected: [UInt8] = []
        // Uneven chunks, across more than one reservation step, one of them larger than a step.
        let sizes = [188 * 7 * 128, 5, 18 << 20, 70_001, 188 * 7 * 128]
        for (index, size) in sizes.enumerated() {
            let bytes = Self.chunk(index, count: size)
            #expect(bytes.withUnsafeBytes { file.write($0) } == 0)
            expected += bytes
            // Reserved space never shows in the size: a reader following the file sees only what was written.
            #expect(try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int == expected.count)
        }
        #expect(file.written == Int64(expected.count))
        // While open, more is reserved than written (where the file system reserves at all).
        let whileOpen = Self.allocated(path)
        #expect(file.close() == 0)
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == Data(expected))
        let afterClose = Self.allocated(path)
        // Given back: what stays allocated is the written bytes rounded up to blocks, not a step more.
        #expect(afterClose < expected.count + Int(ReservingFile.reservationStep))
        #expect(afterClose <= whileOpen)
        // Closing twice is harmless; writing after close is an error, not a crash.
        #expect(file.close() == 0)
        #expect([UInt8](repeating: 1, count: 4).withUnsafeBytes { file.write($0) } < 0)
    }

    @Test func replacesAnExistingFile() throws {
        let path = folder.appendingPathComponent("again.ts").path
        try Data(repeating: 7, count: 100_000).write(to: URL(fileURLWithPath: path))
        let file = try ReservingFile(path: path, displayName: path)
        #expect([UInt8]("new".utf8).withUnsafeBytes { file.write($0) } == 0)
        #expect(file.close() == 0)
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == Data("new".utf8))
    }

    @Test func aPathThatCannotBeCreatedIsANamedError() {
        let path = folder.appendingPathComponent("missing/folder/out.ts").path
        #expect {
            _ = try ReservingFile(path: path, displayName: "out.ts")
        } throws: { error in
            guard case let MediaError.ffmpeg(operation, target, _, message) = error else { return false }
            return operation == "opening the output" && target == "out.ts" && message.contains("No such file")
        }
    }

    @Test func aFullDiskIsAWriteErrorNotSilence() throws {
        // /dev/full accepts the open and fails every write with ENOSPC (and reserves nothing).
        let file = try ReservingFile(path: "/dev/full", displayName: "/dev/full")
        let result = [UInt8](repeating: 0, count: 4096).withUnsafeBytes { file.write($0) }
        #expect(MediaError.message(for: result).contains("No space left"))
        file.close()
    }
}
