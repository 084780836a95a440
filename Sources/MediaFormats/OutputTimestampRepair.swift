/// Keeps the timestamps of every output stream as a muxer demands them: decode timestamps that
/// strictly increase and a presentation timestamp never before the decode timestamp. A corrupt
/// input (a damaged PES header, a splice) yields packets that break either rule, and FFmpeg's
/// muxer then refuses the packet with `EINVAL`; repaired here, as `ffmpeg -c copy` repairs
/// them, the packet is written and the output goes on. Pure: numbers in, numbers out.
package struct OutputTimestampRepair {
    /// The last decode timestamp written, by output stream index (an array: it is read per packet).
    private var lastDecode: [Int64?] = []

    /// A new one, having seen nothing yet.
    package init() {}

    /// The timestamps to write for a packet of output stream `stream` (in its time base), and
    /// whether they differ from those given.
    package mutating func repair(stream: Int, pts given: Int64?, dts givenDecode: Int64?) -> (pts: Int64?, dts: Int64?, repaired: Bool) {
        var (pts, dts) = (given, givenDecode)
        if stream >= lastDecode.count { lastDecode += [Int64?](repeating: nil, count: stream + 1 - lastDecode.count) }
        let previous = lastDecode[stream]
        if let presented = pts, let decoded = dts, presented < decoded {
            // Decoded after it is shown cannot be: the median of both and the next free decode
            // time is the likeliest truth (FFmpeg's own guess for the same fault).
            let next = previous.map { $0 + 1 } ?? min(presented, decoded)
            let median = presented + decoded + next - min(presented, decoded, next) - max(presented, decoded, next)
            (pts, dts) = (median, median)
        }
        if let decoded = dts, let previous, decoded <= previous {
            dts = previous + 1
            if let presented = pts, presented < previous + 1 { pts = previous + 1 }
        }
        if let decoded = dts { lastDecode[stream] = decoded }
        return (pts, dts, pts != given || dts != givenDecode)
    }
}
