import Foundation
public import MediaFormats
import MediaIO
import Overlay

/// An input opened on a thread of its own, so a job can get ready in the meantime (open its
/// store, read its results and template): opening a recording reads and decodes the start of it
/// to find its streams, which is most of a short job's start-up. Only a local file is opened
/// ahead; anything else (a network input may wait for its sender, and must not be opened before
/// the job is recorded) is opened by the job itself.
public final class InputOpening: @unchecked Sendable {
    /// The input URL or path, as the job names it.
    public let url: String
    private let opened = DispatchSemaphore(value: 0)
    /// Written once by the opening thread before it signals `opened`.
    private var result: Result<IngestSession, MediaError>?

    private init(url: String) { self.url = url }

    /// Starts opening `url` with the job's settings when it is a local file; nil otherwise.
    public static func start(url: String, policy: InputPolicy, clock: ClockSettings, cancellation: InputCancellation) -> InputOpening? {
        guard (try? InputEndpoint(url, policy: policy))?.kind == .file else { return nil }
        let opening = InputOpening(url: url)
        let thread = Thread {
            opening.result = Result { () throws(MediaError) in try IngestSession(url: url, policy: policy, clock: clock, cancellation: cancellation) }
            opening.opened.signal()
        }
        thread.name = "podium-open"
        thread.start()
        return opening
    }

    /// The opened input, once it is (waits for the opening thread); throws what opening threw.
    func session() throws(MediaError) -> IngestSession {
        opened.wait()
        // Whoever asks next must not wait for a signal that was already taken.
        opened.signal()
        return try result!.get()
    }
}
