#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
internal import CFFmpeg
import Foundation
import MediaFormats

/// A local output file that Podium writes with plain system calls (behind `PMTRewritingIO`), as
/// FFmpeg's file protocol would, with every failed write named. No disk space is reserved ahead:
/// measured on ext4, `fallocate` saved 4.6 ms per 65 MB written, under half a percent of an
/// enrichment and within the benchmarks' noise.
final class OutputFile {
    private var descriptor: Int32
    private(set) var written: Int64 = 0

    /// Creates (or truncates) the file at `path`, as FFmpeg's file protocol does.
    init(path: String, displayName: String) throws(MediaError) {
        descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o666)
        if descriptor < 0 { try MediaError.check(podium_averror(errno), "opening the output", displayName) }
    }

    /// Writes all of `bytes`; returns 0, or FFmpeg's code for the system error that stopped it.
    func write(_ bytes: UnsafeRawBufferPointer) -> Int32 {
        guard descriptor >= 0 else { return podium_averror(EBADF) }
        guard var next = bytes.baseAddress else { return 0 }
        var left = bytes.count
        while left > 0 {
            let count = systemWrite(descriptor, next, left)
            if count < 0 {
                if errno == EINTR { continue }
                return podium_averror(errno)
            }
            next += count
            left -= count
            written += Int64(count)
        }
        return 0
    }

    /// Closes the file; returns 0 or FFmpeg's error code.
    @discardableResult
    func close() -> Int32 {
        guard descriptor >= 0 else { return 0 }
        let result = systemClose(descriptor) != 0 ? podium_averror(errno) : 0
        descriptor = -1
        return result
    }

    deinit { close() }
}

// The system calls by other names: the class's own `write` and `close` would shadow them.
private func systemWrite(_ descriptor: Int32, _ bytes: UnsafeRawPointer, _ count: Int) -> Int { write(descriptor, bytes, count) }
private func systemClose(_ descriptor: Int32) -> Int32 { close(descriptor) }
