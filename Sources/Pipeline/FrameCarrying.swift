public import Overlay

/// What a job adds to each placed frame: its overlay's carriage (ID3 tag, SEI, markers).
///
/// Called once per frame in presentation order, with the instant up to which results count as
/// known for it. A recording's frames are carried on a thread of their own (`CarryWorker`), a
/// live input's on the reading thread; either way one frame at a time. A carrier is `Sendable`,
/// so the state it keeps between frames is checked by the compiler (a `Mutex`, or none).
public protocol FrameCarrying: Sendable {
    /// The carriage of the frame placed at `timing`.
    func carry(_ timing: FrameTiming, _ frame: IngestFrame, knownAt: UTCInstant) throws -> FrameCarriage
}

/// A carrier made of one `@Sendable` function, for carriers that keep no state of their own.
public struct CarryingFunction: FrameCarrying {
    private let body: @Sendable (FrameTiming, IngestFrame, UTCInstant) throws -> FrameCarriage

    /// A carrier calling `body` for each frame.
    public init(_ body: @escaping @Sendable (FrameTiming, IngestFrame, UTCInstant) throws -> FrameCarriage) { self.body = body }

    public func carry(_ timing: FrameTiming, _ frame: IngestFrame, knownAt: UTCInstant) throws -> FrameCarriage {
        try body(timing, frame, knownAt)
    }
}
