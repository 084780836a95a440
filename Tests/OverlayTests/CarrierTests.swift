import Foundation
import Overlay
import TestSupport
import Testing

struct SEICarrierTests {
    let aud: [UInt8] = [0, 0, 0, 1, 0x09, 0xF0]
    let sps: [UInt8] = [0, 0, 0, 1, 0x67, 0x64, 0x00, 0x1F]
    let idr: [UInt8] = [0, 0, 1, 0x65, 0x88, 0x84, 0x00, 0x33]
    let slice: [UInt8] = [0, 0, 1, 0x41, 0x9A, 0x02]

    @Test func theMessageIsUserDataUnregisteredWithPodiumsUUIDAndATrailingStopBit() {
        let nal = SEICarrier.nalUnit(carrying: Array("{}".utf8), codec: .h264)
        #expect(nal[0] == 0x06)
        #expect(nal[1] == 5)
        #expect(nal[2] == 18)
        #expect(Array(nal[3..<19]) == SEICarrier.uuid)
        #expect(Array(nal[19..<21]) == Array("{}".utf8))
        #expect(nal.last == 0x80)
    }

    @Test func hevcGetsAPrefixSEIHeader() {
        let nal = SEICarrier.nalUnit(carrying: [1, 2, 3], codec: .hevc)
        #expect(Array(nal[0..<2]) == [0x4E, 0x01])
        #expect(nal[2] == 5)
    }

    @Test(arguments: [0, 238, 239, 240, 254, 255, 256, 509, 510, 4000, 70_000])
    func sizesFromOneByteToManyAreCodedAsRunsOf255(payloadSize: Int) {
        let payload = (0..<payloadSize).map { UInt8(truncatingIfNeeded: $0 * 7 + 1) }
        let nal = SEICarrier.nalUnit(carrying: payload, codec: .h264)
        #expect(SEICarrier.payloads(in: [0, 0, 0, 1] + nal, codec: .h264, framing: .annexB) == [payload])
    }

    @Test func startCodeLookalikesInThePayloadAreEscaped() {
        let payload: [UInt8] = [0, 0, 1, 0, 0, 0, 0, 0, 3, 0, 0, 2]
        let nal = SEICarrier.nalUnit(carrying: payload, codec: .h264)
        // No start code (00 00 01) and no 00 00 00 inside the NAL unit.
        for index in 0..<(nal.count - 2) {
            #expect(!(nal[index] == 0 && nal[index + 1] == 0 && nal[index + 2] <= 2), "emulation at \(index)")
        }
        #expect(SEICarrier.payloads(in: [0, 0, 1] + nal, codec: .h264, framing: .annexB) == [payload])
    }

    @Test func annexBInsertionGoesAfterTheParameterSetsAndBeforeTheFirstSlice() throws {
        let accessUnit = aud + sps + idr + slice
        let out = try #require(accessUnit.withUnsafeBufferPointer { SEICarrier.insert([0x41], into: $0, codec: .h264, framing: .annexB) })
        let types = SEICarrier.nalUnits(in: out, framing: .annexB).map { $0.first! & 0x1F }
        #expect(types == [9, 7, 6, 5, 1])
        #expect(SEICarrier.payloads(in: out, codec: .h264, framing: .annexB) == [[0x41]])
        // Everything of the original is still there, in order.
        let nals = SEICarrier.nalUnits(in: out, framing: .annexB).filter { $0.first! & 0x1F != 6 }.map(Array.init)
        #expect(nals == SEICarrier.nalUnits(in: accessUnit, framing: .annexB).map(Array.init))
    }

    @Test func upstreamSEIIsKeptAndPodiumsComesAfterIt() throws {
        let upstream: [UInt8] = [0, 0, 1, 0x06, 0x05, 0x10] + Array(repeating: 0xAB, count: 16) + [0x80]
        let accessUnit = aud + upstream + idr
        let out = try #require(accessUnit.withUnsafeBufferPointer { SEICarrier.insert([7], into: $0, codec: .h264, framing: .annexB) })
        let seis = SEICarrier.nalUnits(in: out, framing: .annexB).filter { $0.first! & 0x1F == 6 }
        #expect(seis.count == 2)
        #expect(Array(seis[0]) == Array(upstream.dropFirst(3)))
    }

    @Test(arguments: [1, 2, 4])
    func lengthPrefixedInsertionWritesTheLengthInTheStreamsSize(lengthSize: Int) throws {
        func prefixed(_ nal: [UInt8]) -> [UInt8] {
            (0..<lengthSize).reversed().map { UInt8(truncatingIfNeeded: nal.count >> (8 * $0)) } + nal
        }
        let accessUnit = prefixed([0x09, 0xF0]) + prefixed([0x65, 0x88, 0x84]) + prefixed([0x41, 0x9A])
        let payload = Array(repeating: UInt8(0x5A), count: lengthSize == 1 ? 100 : 300)
        let out = try #require(accessUnit.withUnsafeBufferPointer {
            SEICarrier.insert(payload, into: $0, codec: .h264, framing: .lengthPrefixed(lengthSize: lengthSize))
        })
        let types = SEICarrier.nalUnits(in: out, framing: .lengthPrefixed(lengthSize: lengthSize)).map { $0.first! & 0x1F }
        #expect(types == [9, 6, 5, 1])
        #expect(SEICarrier.payloads(in: out, codec: .h264, framing: .lengthPrefixed(lengthSize: lengthSize)) == [payload])
    }

    @Test func hevcSlicesAreFoundByTheirSixBitType() throws {
        let vps: [UInt8] = [0, 0, 0, 1, 0x40, 0x01, 0x0C]
        let idrSlice: [UInt8] = [0, 0, 1, 0x26, 0x01, 0xAF]
        let out = try #require((vps + idrSlice).withUnsafeBufferPointer { SEICarrier.insert([9], into: $0, codec: .hevc, framing: .annexB) })
        let types = SEICarrier.nalUnits(in: out, framing: .annexB).map { ($0.first! >> 1) & 0x3F }
        #expect(types == [32, 39, 19])
        #expect(SEICarrier.payloads(in: out, codec: .hevc, framing: .annexB) == [[9]])
    }

    @Test func anAccessUnitWithoutASliceGetsNothing() {
        let accessUnit = aud + sps
        #expect(accessUnit.withUnsafeBufferPointer { SEICarrier.insert([1], into: $0, codec: .h264, framing: .annexB) } == nil)
        let truncated: [UInt8] = [0, 0, 0, 9, 0x65]
        #expect(truncated.withUnsafeBufferPointer { SEICarrier.insert([1], into: $0, codec: .h264, framing: .lengthPrefixed(lengthSize: 4)) } == nil)
    }
}

struct CarrierBudgetTests {
    @Test func aPayloadOverTheLimitIsReplacedByTheFramesSummaryNeverCut() throws {
        let timeline = try CarrierFixture.swimTimeline()
        let overlay = timeline.overlay(for: CarrierFixture.timing(frame: 490))
        let full = InBandPayload(for: overlay, compact: false)
        #expect(full.description == OverlayPayload.textDescription)
        #expect(full.json == Array(overlay.canonicalJSON()))
        let summarised = InBandPayload(for: overlay, compact: false, limit: 100)
        #expect(summarised.description == InBandPayload.summaryDescription)
        let summary = try JSONSerialization.jsonObject(with: Data(summarised.json)) as? [String: Any]
        #expect(summary?["s"] as? Int == 490)
        #expect(summary?["p"] as? Int == Int(overlay.pts))
        #expect(summary?["u"] as? String == overlay.captureUTC)
        #expect(summary?["omitted"] as? Int == full.json.count)
        #expect(summary?["v"] as? String == overlay.dataVersion)
    }

    @Test func theID3TagHoldsTheSameBytesAsTheSEI() throws {
        let overlay = try CarrierFixture.swimTimeline().overlay(for: CarrierFixture.timing(frame: 300))
        let payload = InBandPayload(for: overlay, compact: false)
        let tag = try ParsedID3Tag(bytes: try payload.id3Tag())
        let texts = try tag.userTexts()
        #expect(texts.count == 1)
        #expect(Array(texts[0].value.utf8) == payload.json)
        #expect(try payload.id3Tag() == OverlayPayload.id3Tag(for: overlay))
    }
}

struct AiringTimelineTests {
    @Test func aFrameShowsOnlyWhatWasReceivedByTheTimeItAired() throws {
        var airing = AiringTimeline(ledger: try CarrierFixture.swimLedger(), unit: try CarrierFixture.swimUnit())
        let touch = CarrierFixture.timing(frame: 495)
        // The official result (with the touches) was received at 19:42:21.300.
        let before = airing.timeline(knownAt: UTCInstant(iso8601: "2026-07-31T19:42:21.000Z")!).overlay(for: touch)
        let after = airing.timeline(knownAt: UTCInstant(iso8601: "2026-07-31T19:42:21.300Z")!).overlay(for: touch)
        let latest = airing.timeline(knownAt: nil).overlay(for: touch)
        #expect(before.lanes.allSatisfy { $0.finish == nil })
        #expect(after == latest)
        #expect(latest.lanes.contains { $0.finish != nil })
    }

    @Test func aDocumentReceivedDuringTheJobChangesOnlyWhatComesAfterIt() throws {
        let ledger = try CarrierFixture.swimLedger()
        var early = ResultsLedger()
        for entry in ledger.entries.dropLast() { early.append(entry.document, receivedAt: entry.receivedAt) }
        var airing = AiringTimeline(ledger: early, unit: try CarrierFixture.swimUnit())
        let touch = CarrierFixture.timing(frame: 480)
        let wall = UTCInstant(iso8601: "2026-07-31T19:42:30.000Z")!
        #expect(airing.timeline(knownAt: wall).overlay(for: touch).lanes.allSatisfy { $0.finish == nil })
        airing.receive(ledger.entries.last!.document, at: wall)
        #expect(airing.documentCount == ledger.entries.count)
        var complete = AiringTimeline(ledger: ledger, unit: try CarrierFixture.swimUnit())
        #expect(airing.timeline(knownAt: wall).overlay(for: touch) == complete.timeline(knownAt: nil).overlay(for: touch))
        #expect(airing.timeline(knownAt: UTCInstant(iso8601: "2026-07-31T19:42:29.000Z")!).overlay(for: touch).lanes.allSatisfy { $0.finish == nil })
    }

    @Test func beforeAnyResultTheUnitShowsAnIdleClock() throws {
        var airing = AiringTimeline(ledger: ResultsLedger(), unit: try CarrierFixture.swimUnit())
        let overlay = airing.timeline(knownAt: nil).overlay(for: CarrierFixture.timing(frame: 10))
        #expect(overlay.clock.state == .notStarted)
        #expect(overlay.lanes.isEmpty)
    }

    @Test func raceMarkersAreFoundOnceOnTheFirstFrameThatShowsThem() throws {
        let timeline = try CarrierFixture.swimTimeline()
        var detector = RaceMarkerDetector()
        var found: [(Int, RaceMarker)] = []
        for frame in 0..<600 {
            let timing = CarrierFixture.timing(frame: frame)
            found += detector.markers(on: timeline.overlay(for: timing), at: timing.captureStart).map { (frame, $0) }
        }
        #expect(found.map(\.1.kind).first == .start)
        #expect(Set(found.map(\.1.kind)) == [.start, .firstFinish, .complete, .record])
        #expect(found.count == 4)
        #expect(found.map(\.0) == found.map(\.0).sorted())
        let start = try #require(found.first)
        #expect(timeline.overlay(for: CarrierFixture.timing(frame: start.0)).clock.state == .running)
        #expect(timeline.overlay(for: CarrierFixture.timing(frame: start.0 - 1)).clock.state == .notStarted)
        let record = try #require(found.first { $0.1.kind == .record }?.1)
        #expect(record.lane == 4 && record.records == ["WR"])
    }
}

/// The swimming fixture's documents and frame times (50 fps from 19:42:10 UTC).
enum CarrierFixture {
    static func swimLedger() throws -> ResultsLedger {
        let folder = Fixtures.swim.appendingPathComponent("results")
        let manifest = try JSONSerialization.jsonObject(with: try Data(contentsOf: folder.appendingPathComponent("manifest.json"))) as! [String: Any]
        var ledger = ResultsLedger()
        for item in manifest["documents"] as! [[String: Any]] {
            let document = try ODFDocument.parse(try Data(contentsOf: folder.appendingPathComponent(item["file"] as! String)))
            ledger.append(.odf(document), receivedAt: UTCInstant(iso8601: item["receivedUTC"] as! String)!)
        }
        return ledger
    }

    static func swimUnit() throws -> UnitCode { try #require(UnitCode("SWMM100MFR------------FNL-000100--")) }

    static func swimTimeline() throws -> RaceTimeline {
        try #require(RaceTimeline(book: try swimLedger().book(), unit: try swimUnit()))
    }

    static func timing(frame: Int) -> FrameTiming {
        let start = UTCInstant(iso8601: "2026-07-31T19:42:10.000Z")!
        return FrameTiming(
            sequence: frame, pts: MediaTime(ticks: 129_600 + Int64(frame) * 1800, timeBase: Rational(1, 90000)),
            captureStart: start.advanced(by: Rational(Int128(frame), 50)), captureEnd: start.advanced(by: Rational(Int128(frame + 1), 50))
        )
    }
}
