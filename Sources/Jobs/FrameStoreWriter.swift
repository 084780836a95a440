import Foundation
import Overlay
import Store
import Synchronization

/// Appends a job's aired frames (and corrections of them) to the store on its own thread, so
/// neither SQLite nor the JSON of a frame the job does not carry in full holds up the frames.
///
/// A frame goes to the store as soon as no write is under way, so a follower of a live job sees
/// it within one write of its airing (the last frames before an input falls silent included).
/// While a write is under way frames gather, and the writer takes them all in its next
/// transaction: a job that runs faster than the store writes in batches of up to `batchSize`.
/// At most `inFlight` batches wait; beyond that the job waits for the store (memory stays
/// bounded on a long job). The first failure is raised by the next `append` or by `finish`.
final class FrameStoreWriter: Sendable {
    typealias Pending = (frames: [(overlay: FrameOverlay, json: FrameJSON?, captureStart: UTCInstant)], corrections: [StoredCorrection])

    private let store: SQLiteStore
    private let jobID: Int64
    private let batchSize: Int
    private let queue = DispatchQueue(label: "podium.frame-store")
    private let slots: DispatchSemaphore
    /// What the job's thread adds and the store's thread takes.
    private struct State {
        var failure: (any Error)?
        var pending: Pending = ([], [])
        /// Whether a write is queued or under way; when it is, new frames wait for it to take them.
        var writing = false

        /// What is pending, taken for a write (nil when nothing is); marks a write under way.
        mutating func takePending() -> Pending? {
            guard !pending.frames.isEmpty || !pending.corrections.isEmpty else { return nil }
            defer { pending = ([], []) }
            writing = true
            return pending
        }
    }

    private let state = Mutex(State())
    /// Used on `queue` only, so never contended.
    private let jsonWriter = Mutex(FrameJSONWriter())

    init(store: SQLiteStore, jobID: Int64, batchSize: Int = 250, inFlight: Int = 8) {
        self.store = store
        self.jobID = jobID
        self.batchSize = batchSize
        slots = DispatchSemaphore(value: inFlight)
    }

    /// Queues a frame captured at `captureStart`; `json` is its canonical JSON when the caller has it already.
    func append(_ overlay: FrameOverlay, json: FrameJSON?, captureStart: UTCInstant) throws {
        let batch: Pending? = try state.withLock { state in
            if let failure = state.failure { throw failure }
            state.pending.frames.append((overlay, json, captureStart))
            return !state.writing || state.pending.frames.count >= batchSize ? state.takePending() : nil
        }
        if let batch { write(batch) }
    }

    /// Queues a correction of a frame; it goes to the store with the next batch of frames.
    func append(correction: StoredCorrection) throws {
        try state.withLock { state in
            if let failure = state.failure { throw failure }
            state.pending.corrections.append(correction)
        }
    }

    /// Writes what is left and waits for every batch: the store then holds every frame appended.
    /// The writer takes more frames after it.
    func finish() throws {
        if let batch = state.withLock({ $0.takePending() }) { write(batch) }
        queue.sync {}
        if let failure = state.withLock({ $0.failure }) { throw failure }
    }

    /// Writes `batch` on the store's thread, then whatever gathered meanwhile, until nothing has.
    private func write(_ batch: Pending) {
        slots.wait()
        queue.async { [self] in
            defer { slots.signal() }
            var next: Pending? = batch
            while let current = next {
                let frames = current.frames.map { overlay, given, captureStart in
                    let json = given ?? jsonWriter.withLock { $0.json(for: overlay) }
                    let exact = UTCInstant(iso8601: overlay.captureUTC) == captureStart ? nil : captureStart.secondsSinceEpoch.description
                    return StoredFrame(
                        seq: overlay.seq, pts: overlay.pts, captureUTC: overlay.captureUTC, overlayJSON: Data(json.bytes), sharedRange: json.lanes, captureExact: exact
                    )
                }
                var failed: (any Error)?
                do {
                    try store.appendFrames(frames, corrections: current.corrections, toJob: jobID)
                } catch {
                    failed = error
                }
                next = state.withLock { state in
                    if let failed, state.failure == nil { state.failure = failed }
                    if let taken = state.takePending() { return taken }
                    state.writing = false
                    return nil
                }
            }
        }
    }
}
