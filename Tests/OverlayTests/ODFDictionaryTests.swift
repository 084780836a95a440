import Foundation
@testable import Overlay
import Testing

/// DT_RESULT as the ODF data dictionaries define it: an intermediate's `Pos` is an index whose
/// distance the unit's `ExtendedInfo` (or the discipline's rule) gives, `F` is the finish, and
/// IRM and photo-finish codes are the discipline's own. The documents below follow the
/// dictionaries' samples for athletics 100 m, marathon and swimming 200 m.
struct ODFDictionaryTests {
    static func document(unit: String, infos: String = "", results: String) -> Data {
        Data("""
        <?xml version="1.0" encoding="UTF-8"?>
        <OdfBody CompetitionCode="OG2024" DocumentCode="\(unit)" DocumentType="DT_RESULT" Version="7" ResultStatus="OFFICIAL" FeedFlag="P" Date="2024-08-04" Time="215012345">
          <Competition>
            <ExtendedInfos>
              <UnitDateTime StartDate="2024-08-04T21:55:00.000+02:00"/>
        \(infos)
            </ExtendedInfos>
        \(results)
          </Competition>
        </OdfBody>
        """.utf8)
    }

    static func results(_ data: Data) throws -> UnitResults {
        let document = try ODFDocument.parse(data)
        guard case .unitResults(let results) = document.body else { throw ODFError(line: 0, reason: "not a result") }
        return results
    }

    static let athletics100m = document(unit: "ATHM100M--------------FNL-000100--", results: """
        <Result Rank="1" Result="9.79" StartOrder="4" ResultType="TIME">
          <ExtendedResults>
            <ExtendedResult Type="ER" Code="REACT_TIME" Value="0.139"/>
            <ExtendedResult Type="ER" Code="PHOTO" Value="Y"/>
          </ExtendedResults>
          <Competitor Code="1001" Type="A"><Composition><Athlete Code="1001" Order="1"><Description GivenName="Noah" FamilyName="LYLES"/></Athlete></Composition></Competitor>
        </Result>
        <Result Rank="2" Result="9.79" StartOrder="7">
          <ExtendedResults><ExtendedResult Type="ER" Code="REACT_TIME" Value="0.178"/><ExtendedResult Type="ER" Code="PHOTO" Value="Y"/></ExtendedResults>
          <Competitor Code="1002" Type="A"/>
        </Result>
        <Result IRM="DQ" StartOrder="3">
          <ExtendedResults><ExtendedResult Type="ER" Code="REACT_TIME" Value="0.095"/></ExtendedResults>
          <Competitor Code="1003" Type="A"/>
        </Result>
        """)

    @Test func athletics100mKeepsThousandthsDQAndPhoto() throws {
        let results = try Self.results(Self.athletics100m)
        let winner = try #require(results.lanes.first { $0.lane == 4 })
        #expect(winner.reaction == RaceTime(milliseconds: 139))
        #expect(winner.reaction?.reactionDisplay(inDiscipline: "ATH") == "0.139")
        #expect(winner.photoFinishPending)
        #expect(winner.intermediates.isEmpty)
        #expect(results.lanes.first { $0.lane == 7 }?.photoFinishPending == true)
        #expect(results.lanes.first { $0.lane == 3 }?.status == .dq)
        // Swimming shows hundredths, truncated.
        #expect(RaceTime(milliseconds: 139).reactionDisplay(inDiscipline: "SWM") == "0.13")
    }

    @Test func aFrameShowsAnAthleticsReactionToTheThousandth() throws {
        let results = try Self.results(Self.athletics100m)
        let timeline = RaceTimeline(results: results, athletes: [:])
        let start = try #require(results.startTime)
        let frame = FrameTiming(
            sequence: 1, pts: MediaTime(ticks: 0, timeBase: Rational(1, 90_000)),
            captureStart: start.advanced(by: Rational(1)), captureEnd: start.advanced(by: Rational(51, 50))
        )
        let lane = try #require(timeline.overlay(for: frame).lanes.first { $0.lane == 4 })
        #expect(lane.reaction?.display == "0.139")
        #expect(lane.reaction?.hundredths == 13)
    }

    @Test func marathonSplitsTakeTheirDistancesFromTheUnitsExtendedInfo() throws {
        let infos = """
              <ExtendedInfo Type="UI" Code="INTERMEDIATE" Pos="1" Value="5000"/>
              <ExtendedInfo Type="UI" Code="INTERMEDIATE" Pos="2" Value="10km"/>
              <ExtendedInfo Type="UI" Code="INTERMEDIATE" Pos="3" Value="21097"/>
              <ExtendedInfo Type="UI" Code="INTERMEDIATE" Pos="4" Value="Finish"/>
        """
        let data = Self.document(unit: "ATHWMARATHON----------FNL-000100--", infos: infos, results: """
            <Result Rank="1" StartOrder="12">
              <ExtendedResults>
                <ExtendedResult Type="ER" Code="INTERMEDIATE" Pos="1" Value="16:46" Rank="3"/>
                <ExtendedResult Type="ER" Code="INTERMEDIATE" Pos="2" Value="33:40"/>
                <ExtendedResult Type="ER" Code="INTERMEDIATE" Pos="3" Value="1:11:07"/>
                <ExtendedResult Type="ER" Code="INTERMEDIATE" Pos="4" Value="2:22:55"/>
              </ExtendedResults>
              <Competitor Code="2001" Type="A"/>
            </Result>
            <Result IRM="DNF" StartOrder="30"><Competitor Code="2002" Type="A"/></Result>
            """)
        let results = try Self.results(data)
        let leader = try #require(results.lanes.first { $0.lane == 12 })
        #expect(leader.intermediates.map(\.distance) == [5000, 10000, 21097])
        #expect(leader.intermediates.map(\.time.milliseconds) == [1_006_000, 2_020_000, 4_267_000])
        #expect(leader.intermediates.first?.rank == 3)
        #expect(leader.finish == RaceTime(milliseconds: 8_575_000), "the Finish point is the finish, not a split")
        #expect(results.lanes.first { $0.lane == 30 }?.status == .dnf)
    }

    @Test func swimming200mSplitsEvery50mAndFIsTheFinish() throws {
        var lanes = ""
        for (lane, times) in [(4, ["26.12", "54.80", "1:23.51", "1:52.34"]), (5, ["26.40", "55.02", "1:23.90", "1:52.80"])] {
            lanes += "<Result StartOrder=\"\(lane)\"><ExtendedResults>"
            lanes += "<ExtendedResult Type=\"ER\" Code=\"REACT_TIME\" Value=\"0.62\"/>"
            for (index, time) in times.dropLast().enumerated() {
                lanes += "<ExtendedResult Type=\"ER\" Code=\"INTERMEDIATE\" Pos=\"\(index + 1)\" Value=\"\(time)\"/>"
            }
            lanes += "<ExtendedResult Type=\"ER\" Code=\"INTERMEDIATE\" Pos=\"F\" Value=\"\(times.last!)\"/>"
            lanes += "<ExtendedResult Type=\"ER\" Code=\"PHOTO_FINISH\" Value=\"N\"/>"
            lanes += "</ExtendedResults><Competitor Code=\"30\(lane)\" Type=\"A\"/></Result>\n"
        }
        let results = try Self.results(Self.document(unit: "SWMW200MFR------------FNL-000100--", results: lanes))
        let four = try #require(results.lanes.first { $0.lane == 4 })
        #expect(four.intermediates.map(\.distance) == [50, 100, 150])
        #expect(four.intermediates.map(\.time.description) == ["26.12", "54.80", "1:23.51"])
        #expect(four.finish?.description == "1:52.34")
        #expect(!four.photoFinishPending)
        #expect(results.lanes.first { $0.lane == 5 }?.finish?.description == "1:52.80")
    }

    @Test(arguments: [
        ("SWMM100MFR------------FNL-000100--", #"<Result StartOrder="4" IRM="DQ"><Competitor Code="1"/></Result>"#,
         #"Result IRM "DQ" for lane 4 is not one of SWM's marks (DSQ, DNS, DNF)"#),
        ("ATHM10000M------------FNL-000100--", #"<Result StartOrder="4"><ExtendedResults><ExtendedResult Code="INTERMEDIATE" Pos="2" Value="5:00"/></ExtendedResults><Competitor Code="1"/></Result>"#,
         #"INTERMEDIATE Pos "2" for lane 4 has no distance: the unit has no ExtendedInfo UI/INTERMEDIATE Pos="2" and ATH has no rule for it"#),
        ("ATHM10000M------------FNL-000100--", #"<Result StartOrder="4" IRM="XYZ"><Competitor Code="1"/></Result>"#,
         #"Result IRM "XYZ" for lane 4 is not one of ATH's marks (DQ, DSQ, DNS, DNF)"#),
    ])
    func aFeedThatDiffersFromTheDictionaryIsNamedPrecisely(unit: String, result: String, reason: String) {
        #expect {
            _ = try Self.results(Self.document(unit: unit, results: result))
        } throws: { error in
            (error as? ODFError)?.reason == reason
        }
    }

    @Test func aBadIntermediateTableIsNamed() {
        let infos = #"<ExtendedInfo Type="UI" Code="INTERMEDIATE" Pos="1" Value="halfway"/>"#
        #expect {
            _ = try Self.results(Self.document(unit: "ATHWMARATHON----------FNL-000100--", infos: infos, results: ""))
        } throws: { error in
            (error as? ODFError)?.reason == #"ExtendedInfo INTERMEDIATE Pos 1 Value "halfway" is neither a distance (400, 400m, 5km) nor Finish"#
        }
    }
}
