public import Overlay

/// What kind of content a stream carries.
public enum StreamKind: String, Sendable, Equatable {
    case video, audio, subtitle, data, other
}

/// A stream of an input as Podium sees it, with no C types.
public struct StreamDescription: Sendable, Equatable {
    /// Index in the input.
    public let index: Int
    /// Kind of content.
    public let kind: StreamKind
    /// FFmpeg's codec name (`h264`, `aac`, `timed_id3`).
    public let codecName: String
    /// Seconds per timestamp tick.
    public let timeBase: Rational
    /// Average frame rate for video, when the container or codec states it.
    public let frameRate: Rational?
    /// Container stream identifier (the PID for MPEG-TS).
    public let containerID: Int32
    /// How many bits the container keeps of a timestamp before it wraps.
    public let timestampWrapBits: Int
    /// Whether the stream is timed ID3 metadata.
    public let isTimedID3: Bool
    /// How many frames the codec may reorder (B-frames): presentation lags decoding by this many frames.
    public let reorderDepth: Int

    /// A stream with every field given (the demuxer's reading of it).
    package init(
        index: Int, kind: StreamKind, codecName: String, timeBase: Rational, frameRate: Rational?, containerID: Int32, timestampWrapBits: Int,
        isTimedID3: Bool, reorderDepth: Int
    ) {
        self.index = index
        self.kind = kind
        self.codecName = codecName
        self.timeBase = timeBase
        self.frameRate = frameRate
        self.containerID = containerID
        self.timestampWrapBits = timestampWrapBits
        self.isTimedID3 = isTimedID3
        self.reorderDepth = reorderDepth
    }
}
