import Foundation
import Store
import Testing

/// The store's doorbell: a follower waiting on a job goes on when the job rings, at once when it
/// rang since the follower last looked, and only at its limit when nothing rings. What woke it is
/// what the wait returns, so nothing here depends on how busy the machine is.
struct FrameBellTests {
    @Test func aRingWakesTheFollowerOfThatJobOnly() async {
        let bell = FrameBell()
        let seen = bell.rings(of: 7)
        let woken = Task { await bell.wait(for: 7, since: seen, atMost: .seconds(600)) }
        let other = Task { await bell.wait(for: 8, since: bell.rings(of: 8), atMost: .seconds(600)) }
        try? await Task.sleep(for: .milliseconds(50))
        bell.ring(jobID: 7)
        #expect(await woken.value, "the follower of job 7 was not woken by its ring")
        #expect(bell.rings(of: 7) == seen + 1)
        // Job 8 never rang: its follower is still waiting, and goes (unrung) when cancelled.
        other.cancel()
        #expect(await other.value == false)
    }

    @Test func aRingBeforeTheWaitIsNotMissed() async {
        let bell = FrameBell()
        let seen = bell.rings(of: 3)
        bell.ring(jobID: 3)
        #expect(await bell.wait(for: 3, since: seen, atMost: .seconds(600)))
    }

    @Test func withoutARingTheWaitEndsAtItsLimit() async {
        let bell = FrameBell()
        let start = ContinuousClock.now
        #expect(await bell.wait(for: 1, since: bell.rings(of: 1), atMost: .milliseconds(100)) == false)
        #expect(ContinuousClock.now - start >= .milliseconds(100))
    }
}
