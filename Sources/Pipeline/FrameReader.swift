import Foundation
public import MediaFormats
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
        let session = try IngestSession(url: inputURL, clock: ClockSettings(frameRate: frameRate, required: false))
        var result: [Int64] = []
        _ = try session.run(frame: { result.append($0.video.pts) })
        return (session.video, result)
    }

    /// The capture timing of every video frame, in presentation order, placed by `clock`.
    public func timings(clock: ClockSettings) throws -> [FrameTiming] {
        let session = try IngestSession(url: inputURL, clock: clock)
        var timings: [FrameTiming] = []
        _ = try session.run(frame: { frame in
            guard let timing = frame.timing else { throw MediaError.clock("frame \(frame.index) of \(inputURL) could not be placed in time") }
            timings.append(timing)
        })
        return timings
    }
}
