import Foundation
public import Overlay

/// The video frames of an input, in presentation order, without writing anything: what a
/// designer's render needs to time a template against a recorded clip.
public struct FrameReader {
    /// The input path.
    public let inputURL: String

    /// Creates a reader of `inputURL`.
    public init(inputURL: String) { self.inputURL = inputURL }

    /// Presentation timestamps (unwrapped) of every video frame, in presentation order, with the
    /// video stream. `frameRate` (when the stream states none) sizes the decode timestamps
    /// supplied for inputs that carry none.
    public func presentationTimestamps(frameRate: Rational? = nil) throws -> (video: StreamDescription, pts: [Int64]) {
        let input = try MediaInput(url: inputURL)
        guard let video = input.streams.first(where: { $0.kind == .video }) else { throw MediaError.noVideoStream(url: inputURL) }
        let rate = frameRate ?? video.frameRate
        let frameTicks = rate.map { Int64((Rational(1) / ($0 * video.timeBase)).floor) } ?? 1
        var frames = VideoFrameSequencer(wrapBits: video.timestampWrapBits, frameTicks: frameTicks, reorderDepth: video.reorderDepth)
        var result: [Int64] = []
        let packet = Packet()
        while try input.read(into: packet) {
            defer { packet.unreference() }
            guard packet.streamIndex == video.index else { continue }
            result += frames.push(pts: packet.pts, dts: packet.dts).released
        }
        return (video, result + frames.drain())
    }
}
