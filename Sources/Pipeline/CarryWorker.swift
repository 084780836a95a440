import Foundation
import Overlay
import Synchronization

/// Carries a recording's frames on a thread of its own, in presentation order, so that working
/// out one frame's overlay, payload and record overlaps the demuxing of the next ones. A
/// recording is read as fast as the machine allows and the demuxer is the longest single piece
/// of work, so it keeps one core to itself. (A live input is carried inline instead: there a
/// frame's tag must go out the moment it is made, and the input sets the pace anyway.)
///
/// The carrier is `Sendable`, so what it keeps between frames is the compiler's to check. The
/// worker's own queue is guarded by `condition` (a lock with waits, which `Mutex` lacks), which
/// is why this class is `@unchecked Sendable`: every stored property below it is touched with
/// the lock held, or is immutable, or atomic.
final class CarryWorker: @unchecked Sendable {
    /// A carried frame.
    struct CarriedFrame {
        let frame: IngestFrame
        let carriage: FrameCarriage
        /// When the carriage was made (monotonic nanoseconds): a tag's added latency counts from here.
        let madeAt: UInt64
    }

    private struct WaitingFrame {
        let timing: FrameTiming
        let frame: IngestFrame
        let knownAt: UTCInstant
    }

    // Everything below is guarded by `condition`.
    private let condition = NSCondition()
    private var waiting: [WaitingFrame] = []
    private var carried: [CarriedFrame] = []
    /// Frames handed over and not yet taken back.
    private var inFlight = 0
    private var failure: (any Error)?
    private var closing = false
    private var discarding = false
    /// Set with `discarding` by `close(discarding: true)`, read without the lock between the
    /// frames of a batch: closing waits for the frame in hand only, not the rest of the batch.
    private let dropRequested = Atomic<Bool>(false)
    private var exited = false
    /// Someone waits on `condition`: the worker for frames, the job for room or for carriages.
    private var workerWaiting = false
    private var jobWaiting = false
    /// The job waits for every frame handed over: the worker takes what is there, however little.
    private var hurry = false
    private let capacity: Int
    /// The job's carrier, called on the worker thread only. Let go when the worker exits, so
    /// that it does not outlive `close()` (the thread object itself may be freed a little later).
    private var carrier: (any FrameCarrying)?
    /// Frames that gather before the worker is woken: each wake-up costs a system call on both
    /// sides, and a recording's frames come faster than one per wake-up is worth.
    private static let batch = 32

    /// Starts the worker thread. At most `capacity` frames wait to be carried; beyond that,
    /// `submit` waits (memory stays bounded when the overlays are the slower side).
    init(capacity: Int = 256, carrier: any FrameCarrying) {
        self.capacity = max(1, capacity)
        self.carrier = carrier
        let thread = Thread { [self] in run() }
        thread.name = "podium-carry"
        thread.start()
    }

    /// Hands over the next frame in presentation order. Throws the error that stopped the
    /// worker, if `carry` threw.
    func submit(_ timing: FrameTiming, frame: IngestFrame, knownAt: UTCInstant) throws {
        condition.lock()
        defer { condition.unlock() }
        while waiting.count >= capacity, failure == nil {
            jobWaiting = true
            condition.broadcast()
            condition.wait()
            jobWaiting = false
        }
        if let failure { throw failure }
        waiting.append(WaitingFrame(timing: timing, frame: frame, knownAt: knownAt))
        inFlight += 1
        if workerWaiting, waiting.count >= Self.batch { condition.broadcast() }
    }

    /// The frames carried since the last call, in order; with `all`, first waits until every
    /// frame handed over has been carried.
    func take(all: Bool) throws -> [CarriedFrame] {
        condition.lock()
        defer { condition.unlock() }
        while all, carried.count < inFlight, failure == nil {
            hurry = true
            jobWaiting = true
            condition.broadcast()
            condition.wait()
            jobWaiting = false
        }
        hurry = false
        if let failure { throw failure }
        // Asked once per packet: nothing is allocated when nothing is ready.
        guard !carried.isEmpty else { return [] }
        var done: [CarriedFrame] = []
        swap(&done, &carried)
        inFlight -= done.count
        return done
    }

    /// Stops the thread and waits for it: after the frames handed over, or at once (dropping
    /// them) when `discarding` (the job failed or is being torn down).
    func close(discarding drop: Bool) {
        condition.lock()
        closing = true
        if drop {
            discarding = true
            dropRequested.store(true, ordering: .relaxed)
            waiting.removeAll()
        }
        condition.broadcast()
        while !exited { condition.wait() }
        condition.unlock()
    }

    private func run() {
        work()
        condition.lock()
        carrier = nil
        exited = true
        condition.broadcast()
        condition.unlock()
    }

    /// Carries frames until closed or failed.
    private func work() {
        condition.lock()
        defer { condition.unlock() }
        guard let carrier else { return }
        working: while true {
            // Wakes for a batch, or for any frame at all when the job waits for it or is closing.
            while !closing, waiting.isEmpty || (waiting.count < Self.batch && !hurry && !jobWaiting) {
                workerWaiting = true
                condition.wait()
                workerWaiting = false
            }
            if waiting.isEmpty || discarding { break }
            // Everything waiting is taken at once, and carried back once it is all done: the two
            // threads meet once per batch each way (the job asks for carried frames on every
            // packet, and each meeting under contention costs both of them a system call).
            var batch: [WaitingFrame] = []
            swap(&batch, &waiting)
            waiting.reserveCapacity(batch.count)
            if jobWaiting { condition.broadcast() }
            condition.unlock()
            var done: [CarriedFrame] = []
            done.reserveCapacity(batch.count)
            var stopped: (any Error)?
            for next in batch {
                if dropRequested.load(ordering: .relaxed) { break }
                do {
                    let carriage = try carrier.carry(next.timing, next.frame, knownAt: next.knownAt)
                    done.append(CarriedFrame(frame: next.frame, carriage: carriage, madeAt: DispatchTime.now().uptimeNanoseconds))
                } catch {
                    stopped = error
                    break
                }
            }
            batch = []  // let go of the frames before the lock is taken again
            condition.lock()
            carried.append(contentsOf: done)
            if let stopped {
                // The first error stops the carrying; the job hears of it at its next hand-over or take.
                if failure == nil { failure = stopped }
                waiting.removeAll()
                discarding = true
            }
            if jobWaiting || discarding { condition.broadcast() }
            if discarding { break working }
        }
    }
}
