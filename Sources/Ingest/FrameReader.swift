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
    /// video stream's time base and frame rate.
    public func presentationTimestamps() throws -> (video: StreamDescription, pts: [Int64]) {
        let input = try MediaInput(url: inputURL)
        guard let video = input.streams.first(where: { $0.kind == .video }) else { throw MediaError.noVideoStream(url: inputURL) }
        var pts = TimestampUnwrapper(wrapBits: video.timestampWrapBits)
        var dts = TimestampUnwrapper(wrapBits: video.timestampWrapBits)
        var order = PresentationOrder()
        var result: [Int64] = []
        let packet = Packet()
        while try input.read(into: packet) {
            defer { packet.unreference() }
            guard packet.streamIndex == video.index else { continue }
            let presented = packet.pts.map { pts.unwrap($0) }
            let decoded = packet.dts.map { dts.unwrap($0) }
            guard let timestamp = presented ?? decoded else { continue }
            order.insert(pts: timestamp)
            result += order.release(throughDecodeTimestamp: decoded ?? timestamp)
        }
        return (video, result + order.drain())
    }
}
