import Foundation
import Store
import Testing

/// The store's doorbell: a follower waiting on a job goes on when the job rings, at once when it
/// rang since the follower last looked, and only after its limit when nothing rings.
struct FrameBellTests {
    @Test func aRingWakesTheFollowerOfThatJobOnly() async {
        let bell = FrameBell()
        let seen = bell.rings(of: 7)
        let woken = Task {
            await bell.wait(for: 7, since: seen, atMost: .seconds(60))
            return ContinuousClock.now
        }
        let other = Task { await bell.wait(for: 8, since: bell.rings(of: 8), atMost: .seconds(60)) }
        try? await Task.sleep(for: .milliseconds(50))
        let rung = ContinuousClock.now
        bell.ring(jobID: 7)
        let wokenAt = await woken.value
        #expect(wokenAt >= rung && wokenAt - rung < .seconds(30), "the follower slept through the ring")
        #expect(bell.rings(of: 7) == seen + 1)
        // Job 8 never rang: its follower is still waiting, and goes when cancelled.
        other.cancel()
        await other.value
    }

    @Test func aRingBeforeTheWaitIsNotMissed() async {
        let bell = FrameBell()
        let seen = bell.rings(of: 3)
        bell.ring(jobID: 3)
        let start = ContinuousClock.now
        await bell.wait(for: 3, since: seen, atMost: .seconds(60))
        #expect(ContinuousClock.now - start < .seconds(30))
    }

    @Test func withoutARingTheWaitEndsAtItsLimit() async {
        let bell = FrameBell()
        let start = ContinuousClock.now
        await bell.wait(for: 1, since: bell.rings(of: 1), atMost: .milliseconds(100))
        #expect(ContinuousClock.now - start >= .milliseconds(100))
    }
}
