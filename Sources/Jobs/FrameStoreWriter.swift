import Foundation
import Overlay
import Store

/// Appends a job's aired frames (and corrections of them) to the store on its own thread, in
/// batches, so neither SQLite nor the JSON of a frame the job does not carry in full holds up
/// the frames. At most `inFlight` batches wait; beyond that the job waits for the store (memory
/// stays bounded on a long job). The first failure is raised by the next `append` or by `finish`.
final class FrameStoreWriter: @unchecked Sendable {
    // `pending` and `pendingCorrections` are touched by the thread that carries the frames (the
    // job's, or its carry thread) and by `finish()` after it; `failure` is guarded by `lock`.
    private let store: SQLiteStore
    private let jobID: Int64
    private let batchSize: Int
    private let queue = DispatchQueue(label: "podium.frame-store")
    private let slots: DispatchSemaphore
    private let lock = NSLock()
    private var failure: (any Error)?
    private var pending: [(overlay: FrameOverlay, json: FrameJSON?)] = []
    private var pendingCorrections: [StoredCorrection] = []
    /// Touched on `queue` only.
    private var jsonWriter = FrameJSONWriter()

    init(store: SQLiteStore, jobID: Int64, batchSize: Int = 250, inFlight: Int = 8) {
        self.store = store
        self.jobID = jobID
        self.batchSize = batchSize
        slots = DispatchSemaphore(value: inFlight)
    }

    /// Queues a frame; `json` is its canonical JSON when the caller has it already.
    func append(_ overlay: FrameOverlay, json: FrameJSON?) throws {
        if let failure = lock.withLock({ failure }) { throw failure }
        pending.append((overlay, json))
        if pending.count >= batchSize { flush() }
    }

    /// Queues a correction of a frame; it goes to the store with the next batch of frames.
    func append(correction: StoredCorrection) throws {
        if let failure = lock.withLock({ failure }) { throw failure }
        pendingCorrections.append(correction)
    }

    /// Writes what is left and waits for every batch.
    func finish() throws {
        flush()
        queue.sync {}
        if let failure = lock.withLock({ failure }) { throw failure }
    }

    private func flush() {
        guard !pending.isEmpty || !pendingCorrections.isEmpty else { return }
        let batch = pending
        let corrections = pendingCorrections
        pending.removeAll(keepingCapacity: true)
        pendingCorrections.removeAll(keepingCapacity: true)
        slots.wait()
        queue.async { [self] in
            defer { slots.signal() }
            let frames = batch.map { overlay, given in
                let json = given ?? jsonWriter.json(for: overlay)
                return StoredFrame(seq: overlay.seq, pts: overlay.pts, captureUTC: overlay.captureUTC, overlayJSON: Data(json.bytes), sharedRange: json.lanes)
            }
            do {
                try store.appendFrames(frames, corrections: corrections, toJob: jobID)
            } catch {
                lock.withLock { if failure == nil { failure = error } }
            }
        }
    }
}
