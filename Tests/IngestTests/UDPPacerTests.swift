@testable import Pipeline
import Testing

struct UDPPacerTests {
    /// Sends `count` frames of 20 ms media arriving at `arrivals` (ns), returns when each went out.
    static func sendTimes(_ arrivals: [UInt64], speed: Double = 2) -> [UInt64] {
        var pacer = UDPPacer(speed: speed)
        var clock: UInt64 = 0
        return arrivals.enumerated().map { index, arrival in
            clock = max(clock, arrival)
            clock += pacer.wait(beforeVideoAt: Double(index) * 0.02, now: clock)
            return clock
        }
    }

    @Test func aSteadyLiveStreamIsNeverHeldBack() {
        let arrivals = (0..<500).map { UInt64($0) * 20_000_000 }
        #expect(Self.sendTimes(arrivals) == arrivals)
    }

    @Test func jitterWithinTheAllowanceIsNeverHeldBack() {
        // Frames arrive in clumps of ten every 200 ms.
        let arrivals = (0..<500).map { UInt64($0 / 10) * 200_000_000 }
        #expect(Self.sendTimes(arrivals) == arrivals)
    }

    @Test func aBurstIsSpreadAtTwiceRealTimeAfterTheAllowance() {
        // Two seconds of media read at once (a probe buffer), then live.
        let arrivals = (0..<200).map { $0 < 100 ? UInt64(0) : UInt64($0 - 100) * 20_000_000 + 2_000_000_000 }
        let sent = Self.sendTimes(arrivals)
        // The first quarter second of media goes at once; the rest of the burst at 10 ms per 20 ms frame.
        #expect(sent[12] == 0)
        let spread = sent[99] - sent[13]
        #expect(spread > 800_000_000 && spread < 900_000_000, "\(spread)")
        // Caught up long before the live frames: they go as they come.
        #expect(Array(sent[100...]) == Array(arrivals[100...]))
    }

    @Test func aTimestampJumpIsNotPaced() {
        var pacer = UDPPacer(speed: 2)
        #expect(pacer.wait(beforeVideoAt: 0, now: 0) == 0)
        #expect(pacer.wait(beforeVideoAt: 3600, now: 1_000_000) == 0)
        #expect(pacer.wait(beforeVideoAt: -5, now: 2_000_000) == 0)
    }
}
