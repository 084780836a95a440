import MediaFormats
import MediaIO

/// Decides, per output, which of Podium's timed-ID3 tags go out (`CueMode`): all of them, or
/// those whose payload shows something the last one sent did not, and those of keyframes.
///
/// It judges the tags as they reach the output's writer, after its queue: a tag the queue
/// dropped never counts as sent, so the next tag that differs from the last one sent goes out.
struct CueFilter {
    let mode: CueMode
    /// What the last tag sent showed.
    private var lastSent: Int?

    init(mode: CueMode) { self.mode = mode }

    /// Whether `tag` goes out; a tag that goes out becomes the one the next are compared with.
    mutating func admits(_ tag: OutputPacket) -> Bool {
        guard mode == .onChange, let signature = tag.cueSignature else { return true }
        guard tag.cueOnKeyframe || signature != lastSent else { return false }
        lastSent = signature
        return true
    }

    /// The output lost packets (a full queue, a reconnection): it resumes on a keyframe, whose
    /// tag goes out, and from then on compares with it.
    mutating func forget() { lastSent = nil }
}
