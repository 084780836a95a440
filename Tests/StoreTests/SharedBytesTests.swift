import Foundation
import GRDB
import Overlay
import Store
import TestSupport
import Testing

/// Frames and corrections whose lanes repeat are stored with those bytes once, and read back whole.
struct SharedBytesTests {
    let path: String

    init() throws {
        path = try Fixtures.scratchFolder("store-shared").appendingPathComponent("podium.sqlite").path
    }

    /// A frame whose JSON has a `lanes` array of `lanes`, marked as shared.
    static func frame(_ seq: Int, lanes: String, shared: Bool = true) -> StoredFrame {
        let head = #"{"frame":\#(seq),"lanes":"#
        let json = head + lanes + #","seq":\#(seq)}"#
        return StoredFrame(
            seq: seq, pts: Int64(seq) * 1800, captureUTC: "t\(seq)", overlayJSON: Data(json.utf8),
            sharedRange: shared ? head.utf8.count..<head.utf8.count + lanes.utf8.count : nil
        )
    }

    static let before = #"[{"athlete":{"familyName":"OKAFOR","givenName":"Daniel"},"lane":4,"splits":[]}]"#
    static let after = #"[{"athlete":{"familyName":"OKAFOR","givenName":"Daniel"},"lane":4,"splits":[{"distance":50}]}]"#

    func parts(_ store: DatabasePool, job: Int64) throws -> [Data] {
        try store.read { db in try Data.fetchAll(db, sql: "SELECT bytes FROM framePart WHERE jobID = ? ORDER BY id", arguments: [job]) }
    }

    @Test func repeatedLanesAreStoredOnceAndFramesReadBackWhole() async throws {
        let store = try SQLiteStore(path: path)
        let job = try store.startJob(SQLiteStoreTests.job(), documents: [])
        // Lanes change at 100 and change back at 200; the second batch goes on with the first one's lanes.
        let frames = (0..<300).map { Self.frame($0, lanes: (100..<200).contains($0) ? Self.after : Self.before) }
        try store.appendFrames(Array(frames[0..<150]), toJob: job)
        try store.appendFrames(Array(frames[150..<300]), toJob: job)

        let read = try await store.frames(jobID: job, from: 0, to: 299, limit: 300)
        #expect(read == frames)
        #expect(try await store.frames(jobID: job, from: 0, to: 299, limit: 300, asOf: .latest) == frames)
        let pool = try DatabasePool(path: path)
        // Changing back finds the first lanes among the job's newest parts: two parts in all.
        #expect(try parts(pool, job: job) == [Data(Self.before.utf8), Data(Self.after.utf8)])
        // What a frame row keeps is its JSON without the shared bytes.
        let kept = try await pool.read { db in try Data.fetchOne(db, sql: "SELECT overlay FROM frame WHERE jobID = ? AND seq = 7", arguments: [job]) }
        #expect(kept == Data(#"{"frame":7,"lanes":,"seq":7}"#.utf8))
    }

    @Test func shortOrMisplacedSharedBytesAreStoredWithTheirFrame() async throws {
        let store = try SQLiteStore(path: path)
        let job = try store.startJob(SQLiteStoreTests.job(), documents: [])
        let short = StoredFrame(seq: 0, pts: 0, captureUTC: "", overlayJSON: Data(#"{"lanes":[]}"#.utf8), sharedRange: 9..<11)
        let outside = StoredFrame(seq: 1, pts: 1, captureUTC: "", overlayJSON: Data(#"{"lanes":[]}"#.utf8), sharedRange: 9..<4000)
        let whole = Self.frame(2, lanes: Self.before, shared: false)
        try store.appendFrames([short, outside, whole], toJob: job)
        #expect(try await store.frames(jobID: job, from: 0, to: 2, limit: 3) == [short, outside, whole])
        #expect(try parts(try DatabasePool(path: path), job: job).isEmpty)
    }

    @Test func correctionsShareTheirBytesTooAndLatestReadsThemWhole() async throws {
        let store = try SQLiteStore(path: path)
        let job = try store.startJob(SQLiteStoreTests.job(), documents: [])
        let aired = (0..<20).map { Self.frame($0, lanes: Self.before) }
        try store.appendFrames(aired, toJob: job)
        let corrected = (5..<15).map { Self.frame($0, lanes: Self.after) }
        // Corrections on their own (a live job's, when it ends).
        try store.appendFrames(
            [], corrections: corrected.map { StoredCorrection(seq: $0.seq, overlayJSON: $0.overlayJSON, dataVersion: "v2", visible: true, sharedRange: $0.sharedRange) },
            toJob: job
        )
        #expect(try await store.frames(jobID: job, from: 0, to: 19, limit: 20) == aired)
        let latest = try await store.frames(jobID: job, from: 0, to: 19, limit: 20, asOf: .latest)
        #expect(latest == Array(aired[0..<5]) + corrected + Array(aired[15..<20]))
        #expect(try await store.job(id: job)?.corrections == 10)
        #expect(try parts(try DatabasePool(path: path), job: job) == [Data(Self.before.utf8), Data(Self.after.utf8)])
    }

    /// A correction of the data version alone is stored as the version and read as the aired
    /// frame with that version; the aired frames and the count of visible corrections do not change.
    @Test func aCorrectionOfTheDataVersionAloneIsReadAsTheAiredFrameWithIt() async throws {
        let store = try SQLiteStore(path: path)
        let job = try store.startJob(SQLiteStoreTests.job(), documents: [])
        let overlays = (0..<6).map { seq in
            FrameOverlay(
                seq: seq, frame: seq, pts: Int64(seq) * 1800, timeBase: "1/90000", captureUTC: "t\(seq)", dataVersion: "DT_RESULT v1",
                camera: nil, unit: "SWM", clock: FrameOverlay.Clock(state: .running, hundredths: Int64(seq)), lanes: [], order: [],
                leader: nil, records: [], worldRecordLine: nil, elements: []
            )
        }
        var writer = FrameJSONWriter()
        let aired = overlays.map { overlay in
            let json = writer.json(for: overlay)
            return StoredFrame(seq: overlay.seq, pts: overlay.pts, captureUTC: overlay.captureUTC, overlayJSON: Data(json.bytes), sharedRange: json.lanes)
        }
        let corrections = [2, 3].map { StoredCorrection(seq: $0, changingDataVersionTo: "DT_RESULT v2") }
        try store.appendFrames(aired, corrections: corrections, toJob: job)

        #expect(try await store.frames(jobID: job, from: 0, to: 5, limit: 6) == aired)
        let latest = try await store.frames(jobID: job, from: 0, to: 5, limit: 6, asOf: .latest)
        let expected = overlays.map { overlay in
            [2, 3].contains(overlay.seq) ? overlay.withDataVersion("DT_RESULT v2").canonicalJSONBytes() : overlay.canonicalJSONBytes()
        }
        #expect(latest.map { [UInt8]($0.overlayJSON) } == expected)
        #expect(try await store.job(id: job)?.corrections == 0)
        // What the correction row keeps is the version, not the frame.
        let kept = try await DatabasePool(path: path).read { db in
            try Row.fetchOne(db, sql: "SELECT length(overlay) AS size, dataVersion FROM correction WHERE jobID = ? AND seq = 2", arguments: [job])
        }
        #expect(kept?["size"] == 0 && kept?["dataVersion"] == "DT_RESULT v2")
    }

    @Test func framesAndCorrectionsGoInOneBatch() async throws {
        let store = try SQLiteStore(path: path)
        let job = try store.startJob(SQLiteStoreTests.job(), documents: [])
        // A recording's batch: frames as they aired, and corrections with later lanes, alternating.
        let aired = (0..<40).map { Self.frame($0, lanes: Self.before) }
        let corrected = (0..<40).filter { $0 % 2 == 0 }.map { Self.frame($0, lanes: Self.after) }
        let corrections = corrected.map {
            StoredCorrection(seq: $0.seq, overlayJSON: $0.overlayJSON, dataVersion: "v2", visible: $0.seq < 20, sharedRange: $0.sharedRange)
        }
        try store.appendFrames(Array(aired[0..<20]), corrections: Array(corrections[0..<10]), toJob: job)
        try store.appendFrames(Array(aired[20..<40]), corrections: Array(corrections[10..<20]), toJob: job)
        #expect(try await store.frames(jobID: job, from: 0, to: 39, limit: 40) == aired)
        let latest = try await store.frames(jobID: job, from: 0, to: 39, limit: 40, asOf: .latest)
        #expect(latest == (0..<40).map { $0 % 2 == 0 ? Self.frame($0, lanes: Self.after) : aired[$0] })
        let record = try #require(try await store.job(id: job))
        #expect(record.frames == 40 && record.corrections == 10)
        #expect(try parts(try DatabasePool(path: path), job: job) == [Data(Self.before.utf8), Data(Self.after.utf8)])
    }

    @Test func deletingAJobDeletesItsSharedBytes() async throws {
        let store = try SQLiteStore(path: path)
        let job = try store.startJob(SQLiteStoreTests.job(), documents: [])
        let other = try store.startJob(SQLiteStoreTests.job("b.ts"), documents: [])
        try store.appendFrames((0..<3).map { Self.frame($0, lanes: Self.before) }, toJob: job)
        try store.appendFrames((0..<3).map { Self.frame($0, lanes: Self.after) }, toJob: other)
        try store.finishJob(job, failure: nil)
        #expect(try store.deleteJob(job))
        let pool = try DatabasePool(path: path)
        #expect(try parts(pool, job: job).isEmpty)
        #expect(try parts(pool, job: other) == [Data(Self.after.utf8)])
        #expect(try await store.frames(jobID: other, from: 0, to: 2, limit: 3) == (0..<3).map { Self.frame($0, lanes: Self.after) })
    }
}
