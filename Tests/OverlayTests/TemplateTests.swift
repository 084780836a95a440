import Foundation
@testable import Overlay
import TestSupport
import Testing

struct MustacheTests {
    static let context: [JSONValue] = [.object([
        "clock": .object(["display": .string("8.31")]),
        "lane": .object(["lane": .integer(4), "athlete": .object(["familyName": .string("OKAFOR")]), "records": .array([.string("WR")])]),
        "ranking": .array([.object(["name": .string("A")]), .object(["name": .string("B")])]),
        "empty": .array([]),
    ])]

    @Test(arguments: [
        ("{{clock.display}}", "8.31"),
        ("{{lane.lane}} {{lane.athlete.familyName}}", "4 OKAFOR"),
        ("{{#ranking}}{{name}},{{/ranking}}", "A,B,"),
        ("{{#lane.records}} {{.}}{{/lane.records}}", " WR"),
        ("{{^empty}}none{{/empty}}", "none"),
        ("{{#empty}}x{{/empty}}", ""),
        ("{{missing.path}}|", "|"),
        ("{{! a comment }}ok", "ok"),
        ("{{#lane}}{{lane}} {{clock.display}}{{/lane}}", "4 8.31"),
    ])
    func rendersTheSubsetDesignersUse(template: String, expected: String) throws {
        #expect(try Mustache(template).render(Self.context) == expected)
    }

    @Test(arguments: [
        ("{{#a}}x", "at character 0: {{#a}} is never closed"),
        ("x{{/a}}", "at character 1: {{/a}} closes no open section"),
        ("{{a", "at character 0: \"{{\" is never closed"),
        ("{{}}", "at character 0: empty tag"),
        ("{{a b}}", "at character 0: \"a b\" is not a name"),
        ("{{#a}}{{/b}}", "at character 6: {{/b}} closes no open section"),
    ])
    func refusesBrokenBindingsNamingWhere(template: String, message: String) {
        #expect {
            _ = try Mustache(template)
        } throws: { error in
            "\(error)".hasPrefix(message)
        }
    }
}

struct TemplateValidationTests {
    static func template(_ element: String) -> String { #"{"name":"t","version":"1","elements":[\#(element)]}"# }
    static let clock = #"{"id":"clock","kind":"clock","trigger":{"on":"start"},"text":"{{clock.display}}","layout":{"rect":[0.8,0.04,0.15,0.06]}}"#

    @Test(arguments: ["swimming", "athletics-100m"])
    func theShippedTemplatesAreValid(name: String) throws {
        let template = try OverlayTemplate.parse(try Data(contentsOf: Fixtures.root.appendingPathComponent("templates/\(name).json")))
        #expect(template.name == name)
        #expect(!template.elements.isEmpty)
    }

    @Test(arguments: [
        ("{", "$: not valid JSON"),
        (#"{"name":"t","version":"1","elements":[]}"#, "$.elements: must be a non-empty array"),
        (#"{"name":"t","version":"1","elements":[],"colour":"red"}"#, "$.colour: unknown field"),
        (template(clock + "," + clock), "$.elements[1].id: \"clock\" is used by an earlier element"),
        (template(#"{"id":"1x","kind":"clock","trigger":{"on":"start"},"text":"x","layout":{"rect":[0,0,1,1]}}"#), "$.elements[0].id: \"1x\" must start with a letter"),
        (template(#"{"id":"c","kind":"dial","trigger":{"on":"start"},"text":"x","layout":{"rect":[0,0,1,1]}}"#), "$.elements[0].kind: must be one of text, clock"),
        (template(#"{"id":"c","kind":"clock","trigger":{"on":"touch"},"text":"x","layout":{"rect":[0,0,1,1]}}"#), "$.elements[0].trigger.on: must be one of always, start"),
        (template(#"{"id":"c","kind":"clock","trigger":{"on":"split"},"text":"x","layout":{"rect":[0,0,1,1]}}"#), "$.elements[0].trigger.on: \"split\" happens per lane: set \"perLane\": true"),
        (template(#"{"id":"c","kind":"clock","trigger":{"on":"start"},"text":"{{#a}}","layout":{"rect":[0,0,1,1]}}"#), "$.elements[0].text: at character 0: {{#a}} is never closed"),
        (template(#"{"id":"c","kind":"clock","trigger":{"on":"start"},"text":"x","layout":{"rect":[0.5,0,0.6,0.1]}}"#), "$.elements[0].layout.rect: must be [x, y, width, height] inside the screen"),
        (template(#"{"id":"c","kind":"clock","trigger":{"on":"start"},"text":"x","layout":{"rect":[0,0,1]}}"#), "$.elements[0].layout.rect: must be [x, y, width, height]"),
        (template(#"{"id":"c","kind":"clock","trigger":{"on":"start"},"text":"x","layout":{}}"#), "$.elements[0].layout: needs \"rect\""),
        (template(#"{"id":"c","kind":"laneTag","trigger":{"on":"start"},"text":"x","layout":{"world":"laneTag"}}"#), "$.elements[0].layout.world: a lane tag needs \"perLane\": true"),
        (template(#"{"id":"c","kind":"line","trigger":{"on":"start"},"text":"x","layout":{"world":"moon"}}"#), "$.elements[0].layout.world: must be \"laneTag\" or \"worldRecordLine\""),
        (template(#"{"id":"c","kind":"laneTag","perLane":true,"trigger":{"on":"start"},"text":"x","layout":{"world":"laneTag","tag":{"size":[0.2]}}}"#), "$.elements[0].layout.tag.size: must be [width, height]"),
        (template(#"{"id":"c","kind":"laneTag","perLane":true,"trigger":{"on":"start"},"text":"x","layout":{"world":"laneTag","tag":{"size":[0.2,0.9]}}}"#), "$.elements[0].layout.tag.size: must be [width, height], each more than 0 and at most 0.5"),
        (template(#"{"id":"c","kind":"laneTag","perLane":true,"trigger":{"on":"start"},"text":"x","layout":{"world":"laneTag","tag":{"size":[0.2,0.05],"overlap":"shrink"}}}"#), "$.elements[0].layout.tag.overlap: must be one of stagger, hide"),
        (template(#"{"id":"c","kind":"laneTag","perLane":true,"trigger":{"on":"start"},"text":"x","layout":{"world":"laneTag","tag":{"size":[0.2,0.05],"colour":"red"}}}"#), "$.elements[0].layout.tag.colour: unknown field"),
        (template(#"{"id":"c","kind":"line","trigger":{"on":"start"},"text":"x","layout":{"world":"worldRecordLine","tag":{"size":[0.2,0.05]}}}"#), "$.elements[0].layout.tag: only a lane tag has a tag box"),
        (template(#"{"id":"c","kind":"clock","trigger":{"on":"start"},"text":"x","layout":{"rect":[0,0,1,1],"tag":{"size":[0.2,0.05]}}}"#), "$.elements[0].layout.tag: belongs to a \"world\" layout"),
        (template(#"{"id":"c","kind":"clock","trigger":{"on":"start"},"text":"x","layout":{"rect":[0,0,1,1]},"timing":{"fadeIn":-2}}"#), "$.elements[0].timing.fadeIn: must be a whole number of frames"),
        (template(#"{"id":"c","kind":"clock","trigger":{"on":"start"},"text":"x","layout":{"rect":[0,0,1,1]},"timing":{"fade":2}}"#), "$.elements[0].timing.fade: unknown field"),
    ])
    func namesTheJSONPathOfWhatIsWrong(json: String, message: String) {
        #expect {
            _ = try OverlayTemplate.parse(Data(json.utf8))
        } throws: { error in
            "\(error)".hasPrefix(message)
        }
    }
}

struct TemplateTimingTests {
    let race = RaceFixture()

    func renderer(_ element: String, lanes: [LaneResult]) throws -> TemplateRenderer {
        let template = try OverlayTemplate.parse(Data(TemplateValidationTests.template(element).utf8))
        return TemplateRenderer(template: template, timeline: RaceFixture.timeline(lanes))
    }

    @Test func anElementFadesInAfterItsDelayAndHoldsThenFadesOut() throws {
        // Split at 1.5 + 4.0 = 5.5 s: frame 275. Delay 2, hold 5, fade in 2, fade out 3.
        let renderer = try renderer(
            #"{"id":"s","kind":"splitBoard","perLane":true,"trigger":{"on":"split"},"text":"{{lane.split.time.display}}","layout":{"rect":[0,0.5,0.3,0.05]},"timing":{"delay":2,"hold":5,"fadeIn":2,"fadeOut":3}}"#,
            lanes: [RaceFixture.lane(1, split: 4000)]
        )
        let opacities = (274...287).map { renderer.render(race.frame($0)).elements.first?.opacity }
        #expect(opacities == [nil, nil, nil, 0.5, 1, 1, 1, 1, 0.75, 0.5, 0.25, nil, nil, nil])
        #expect(renderer.render(race.frame(278)).elements.first?.text == "4.00")
        #expect(renderer.render(race.frame(278)).elements.first?.id == "s.1")
    }

    @Test func noElementAppearsBeforeItsTriggerFrame() throws {
        let renderer = try renderer(
            #"{"id":"r","kind":"lowerThird","perLane":true,"trigger":{"on":"reaction"},"text":"{{lane.reaction.display}}","layout":{"rect":[0,0.7,0.3,0.04],"rowStep":0.04}}"#,
            lanes: (1...8).map { RaceFixture.lane($0, reaction: 550 + Int64($0) * 10) }
        )
        for frame in 0..<200 {
            let overlay = renderer.render(race.frame(frame))
            for element in overlay.elements {
                let lane = Int(element.id.split(separator: ".").last!)!
                // The reaction of lane n happens at 1.5 + 0.55 + n/100 s.
                let triggerFrame = (1500 + 550 + lane * 10) / 20
                #expect(frame >= triggerFrame, "element \(element.id) on frame \(frame), before its trigger frame \(triggerFrame)")
            }
        }
        #expect(renderer.render(race.frame(199)).elements.count == 8)
    }

    @Test func untilEndsAnElementAtItsEvent() throws {
        let renderer = try renderer(
            #"{"id":"clock","kind":"clock","trigger":{"on":"start","until":"firstFinish"},"text":"{{clock.display}}","layout":{"rect":[0.8,0,0.2,0.1]},"timing":{"fadeOut":1}}"#,
            lanes: [RaceFixture.lane(1, finish: 8000, rank: 1)]
        )
        // Touch at 9.5 s: frame 475 fades out (one frame at 0.5), 476 is empty.
        #expect(renderer.render(race.frame(474)).elements.first?.opacity == 1)
        #expect(renderer.render(race.frame(475)).elements.first?.opacity == 0.5)
        #expect(renderer.render(race.frame(476)).elements.isEmpty)
    }

    @Test func worldAnchorsWithoutACameraAreNeverGivenScreenPositions() throws {
        let renderer = try renderer(
            #"{"id":"tag","kind":"laneTag","perLane":true,"trigger":{"on":"always"},"text":"{{lane.lane}}","layout":{"world":"laneTag","distance":5}}"#,
            lanes: [RaceFixture.lane(3)]
        )
        let element = try #require(renderer.render(race.frame(10)).elements.first)
        #expect(element.visible == false && element.screen == nil)
        #expect(element.world == FrameOverlay.WorldAnchor(anchor: "laneTag", points: [[6.25, 5, 0]]))
    }
}

/// The shipped swimming template on the swimming fixture, recomputed by the pure core and
/// compared with its golden file, and its in-view geometry checked against the projection.
struct SwimmingTemplateGoldenTests {
    @Test func everyFrameMatchesTheGoldenFile() throws {
        let clock = try ClockFile(json: try Data(contentsOf: Fixtures.swim.appendingPathComponent("clock.json")))
        var book = ResultsBook()
        for file in ResultsBookTests.files { _ = try book.accept(try ODFDocument.parse(try ODFDocumentTests.fixtureDocument(file))) }
        let template = try OverlayTemplate.parse(try Data(contentsOf: Fixtures.root.appendingPathComponent("templates/swimming.json")))
        let lens = try Lens(json: try Data(contentsOf: Fixtures.swim.appendingPathComponent("lens.json")))
        let camera = try CameraTrack.recording(try Data(contentsOf: Fixtures.swim.appendingPathComponent("camera.jsonl")))
        let renderer = TemplateRenderer(template: template, timeline: try #require(RaceTimeline(book: book, unit: RaceFixture.unit)), lens: lens)
        let capture = CaptureClock(anchor: clock.anchor, frameRate: try #require(clock.frameRate))
        let golden = try Fixtures.swimGolden("frames.swimming")
        #expect(golden.count == 600)
        var visibleTags = 0
        for (index, line) in golden.enumerated() {
            let timing = capture.timing(sequence: index, pts: MediaTime(ticks: clock.anchor.pts.ticks + Int64(index) * 1800, timeBase: clock.anchor.pts.timeBase))
            let overlay = renderer.render(timing, camera: camera.pose(forCaptureAt: timing.captureStart))
            #expect(String(decoding: overlay.canonicalJSON(), as: UTF8.self) == line, "frame \(index)")
            for element in overlay.elements where element.visible && element.kind == "laneTag" {
                visibleTags += 1
                let projection = Projection(pose: try #require(overlay.camera), lens: lens)
                let point = try #require(element.world?.points.first)
                let expected = try #require(projection.project(SIMD3(point[0], point[1], point[2])))
                #expect(abs(element.screen![0][0] - expected.x) < 0.0001 && abs(element.screen![0][1] - expected.y) < 0.0001)
            }
        }
        #expect(visibleTags > 500, "the pan shows the lane tags for a good part of the race")
    }

    /// The template lays its lane tags out: on no frame does a label overlap another label or a
    /// board, or cover another tag's point; every visible tag has its label and its point.
    @Test func noLaneTagLabelOverlapsAnotherOrCoversAnotherTagsPoint() throws {
        var laidOut = 0, crowdedFrames = 0
        for line in try Fixtures.swimGolden("frames.swimming") {
            let overlay = try JSONDecoder().decode(FrameOverlay.self, from: Data(line.utf8))
            let rects = overlay.elements.filter { $0.opacity > 0 }.compactMap(\.rect)
            for (index, a) in rects.enumerated() {
                for b in rects.dropFirst(index + 1) {
                    #expect(!LaneTagLayout.overlaps(a, b), "frame \(overlay.frame): \(a) overlaps \(b)")
                }
            }
            let tags = overlay.elements.filter { $0.kind == "laneTag" && $0.visible }
            for tag in tags {
                let rect = try #require(tag.rect, "frame \(overlay.frame): \(tag.id) is visible without a label box")
                #expect(tag.screen?.count == 1)
                for other in tags where other.id != tag.id {
                    #expect(!LaneTagLayout.covers(rect, other.screen![0]), "frame \(overlay.frame): \(tag.id) covers \(other.id)'s point")
                }
                laidOut += 1
            }
            // Tags whose points were crowded together: the lanes' points lie closer than a label's width.
            let points = tags.compactMap { $0.screen?.first }.sorted { $0[0] < $1[0] }
            if zip(points, points.dropFirst()).contains(where: { abs($1[0] - $0[0]) < 0.19 && abs($1[1] - $0[1]) < 0.045 }) { crowdedFrames += 1 }
        }
        #expect(laidOut > 800)
        #expect(crowdedFrames > 100, "the fixture's pan puts tags close together, so the layout is exercised")
    }
}

/// The lane tags' layout on its own: crowded points, a board in the way, and the template's choice.
struct LaneTagLayoutTests {
    static let box = OverlayTemplate.TagBox(width: 0.2, height: 0.05, overlap: .stagger)

    @Test func crowdedTagsAreStaggeredAboveAndBelowTheirPoints() {
        let points = (0..<4).map { [0.5 + Double($0) * 0.02, 0.5] }
        let boxes = LaneTagLayout.place(points, box: Self.box, obstacles: [])
        #expect(boxes.allSatisfy { $0 != nil })
        let rects = boxes.compactMap { $0 }
        for (index, a) in rects.enumerated() {
            for b in rects.dropFirst(index + 1) { #expect(!LaneTagLayout.overlaps(a, b)) }
        }
        // The first in priority keeps the place just above its point; the next goes below hers.
        #expect(rects[0][1] + rects[0][3] < 0.5 && rects[0][1] > 0.4)
        #expect(rects[1][1] > 0.5)
    }

    @Test func aBoardInTheWayMovesTheTagAndHideNeverMovesIt() {
        let board = [0.3, 0.4, 0.4, 0.08]
        let staggered = LaneTagLayout.place([[0.5, 0.5]], box: Self.box, obstacles: [board])
        #expect(staggered == [[0.4, 0.515, 0.2, 0.05]])
        let hiding = OverlayTemplate.TagBox(width: 0.2, height: 0.05, overlap: .hide)
        #expect(LaneTagLayout.place([[0.5, 0.5]], box: hiding, obstacles: [board]) == [nil])
        #expect(LaneTagLayout.place([[0.5, 0.5], [0.52, 0.5]], box: hiding, obstacles: []) == [[0.4, 0.435, 0.2, 0.05], nil])
    }

    @Test func aTagWithNoFreeRowIsHiddenAndTagsStayInsideTheFrame() {
        let points = (0..<12).map { _ in [0.99, 0.3] }
        let boxes = LaneTagLayout.place(points, box: Self.box, obstacles: [])
        #expect(boxes.contains { $0 == nil })
        for rect in boxes.compactMap({ $0 }) {
            #expect(rect[0] >= 0 && rect[0] + rect[2] <= 1 && rect[1] >= 0 && rect[1] + rect[3] <= 1)
        }
    }
}

/// The athletics template on the athletics fixture: the reaction lower thirds and the result
/// board, recomputed by the pure core and compared with the golden file.
struct AthleticsTemplateGoldenTests {
    @Test func everyFrameMatchesTheGoldenFile() throws {
        let folder = Fixtures.root.appendingPathComponent("fixtures/athletics-100m")
        let clock = try ClockFile(json: try Data(contentsOf: folder.appendingPathComponent("clock.json")))
        var book = ResultsBook()
        let results = folder.appendingPathComponent("results")
        for name in try FileManager.default.contentsOfDirectory(atPath: results.path).sorted() where name.hasSuffix(".xml") {
            _ = try book.accept(try ODFDocument.parse(try Data(contentsOf: results.appendingPathComponent(name))))
        }
        let unit = try #require(UnitCode("ATHM100M--------------FNL-000100--"))
        let renderer = TemplateRenderer(
            template: try OverlayTemplate.parse(try Data(contentsOf: Fixtures.root.appendingPathComponent("templates/athletics-100m.json"))),
            timeline: try #require(RaceTimeline(book: book, unit: unit))
        )
        let capture = CaptureClock(anchor: clock.anchor, frameRate: try #require(clock.frameRate))
        let golden = try Fixtures.goldenLines(folder.appendingPathComponent("expected/frames.athletics-100m.jsonl.zip"))
        #expect(golden.count == 600)
        for (index, line) in golden.enumerated() {
            let timing = capture.timing(sequence: index, pts: MediaTime(ticks: clock.anchor.pts.ticks + Int64(index) * 1800, timeBase: clock.anchor.pts.timeBase))
            #expect(String(decoding: renderer.render(timing).canonicalJSON(), as: UTF8.self) == line, "frame \(index)")
        }
        let board = try JSONDecoder().decode(FrameOverlay.self, from: Data(golden[599].utf8)).elements.first { $0.id == "results" }
        #expect(board?.text == "1 BELL USA 9.57 WR\n2 SANO JPN 9.81\n3 OSEI GBR 9.81\n4 KRÜGER GER 9.90\n5 ASANTE GHA 9.93\nDUARTE POR DSQ\n")
    }
}

struct BindingContextTests {
    /// The directly built context equals the decoded canonical JSON on every golden frame of both fixtures.
    @Test(arguments: ["fixtures/swim-100-free/expected/frames.jsonl.zip", "fixtures/athletics-100m/expected/frames.jsonl.zip"])
    func equalsTheDecodedWireFormat(path: String) throws {
        let lines = try Fixtures.goldenLines(Fixtures.root.appendingPathComponent(path))
        for (index, line) in lines.enumerated() {
            let overlay = try JSONDecoder().decode(FrameOverlay.self, from: Data(line.utf8))
            let decoded = try JSONDecoder().decode(JSONValue.self, from: overlay.canonicalJSON())
            #expect(overlay.bindingContext() == decoded, "frame \(index)")
            if overlay.bindingContext() != decoded { break }
        }
    }
}

struct TemplateValuesAndStatusTests {
    let race = RaceFixture()

    @Test func aTimeObjectRendersAsItsDisplay() throws {
        let context: [JSONValue] = [.object(["lane": .object(["split": .object(["time": .object(["hundredths": .integer(412), "display": .string("4.12")])])])])]
        #expect(try Mustache("{{lane.split.time}}").render(context) == "4.12")
    }

    @Test func valuesAreBoundForGraphicsEnginesAndCarriedInBand() throws {
        let element = #"{"id":"tag","kind":"laneTag","perLane":true,"trigger":{"on":"start"},"text":"{{lane.lane}}","values":{"name":"{{lane.athlete.familyName}}","clock":"{{clock}}"},"layout":{"rect":[0,0,0.2,0.05],"rowStep":0.05}}"#
        let template = try OverlayTemplate.parse(Data(TemplateValidationTests.template(element).utf8))
        let renderer = TemplateRenderer(template: template, timeline: RaceFixture.timeline([RaceFixture.lane(2)]))
        let overlay = renderer.render(race.frame(100))
        #expect(overlay.elements.first?.values == ["name": "F2", "clock": "0.50"])
        #expect(renderer.render(race.frame(101)).elements.first?.values?["clock"] == "0.52", "a value binding the clock changes every frame")
        let compact = try #require(try JSONSerialization.jsonObject(with: CompactPayload.json(for: overlay)) as? [String: Any])
        let first = try #require((compact["e"] as? [[Any]])?.first)
        #expect(first.count == 5)
        #expect(first[4] as? [String: String] == ["clock": "0.50", "name": "F2"])
    }

    @Test(arguments: [
        (#"{"id":"t","kind":"text","trigger":{"on":"start"},"text":"x","values":{"1st":"x"},"layout":{"rect":[0,0,1,1]}}"#, "$.elements[0].values.1st: a value name starts with a letter"),
        (#"{"id":"t","kind":"text","trigger":{"on":"start"},"text":"x","values":{"name":"{{#a}}"},"layout":{"rect":[0,0,1,1]}}"#, "$.elements[0].values.name: at character 0"),
        (#"{"id":"t","kind":"text","trigger":{"on":"start"},"text":"x","values":["x"],"layout":{"rect":[0,0,1,1]}}"#, "$.elements[0].values: must be an object"),
        (#"{"id":"t","kind":"text","trigger":{"on":"status"},"text":"x","layout":{"rect":[0,0,1,1]}}"#, "$.elements[0].trigger.on: \"status\" happens per lane"),
    ])
    func refusesBadValuesAndTriggers(element: String, message: String) {
        #expect {
            _ = try OverlayTemplate.parse(Data(TemplateValidationTests.template(element).utf8))
        } throws: { error in
            "\(error)".hasPrefix(message)
        }
    }

    @Test func aStatusGraphicShowsWhenTheMarkDoes() throws {
        let element = #"{"id":"mark","kind":"lowerThird","perLane":true,"trigger":{"on":"status"},"text":"{{lane.lane}} {{lane.status}}","layout":{"rect":[0,0.8,0.3,0.04]}}"#
        let template = try OverlayTemplate.parse(Data(TemplateValidationTests.template(element).utf8))
        let renderer = TemplateRenderer(template: template, timeline: RaceFixture.timeline([
            RaceFixture.lane(1, finish: 8500, rank: 1), RaceStateTests.marked(2, .dsq), RaceStateTests.marked(3, .dns),
        ]))
        #expect(renderer.render(race.frame(74)).elements.isEmpty)
        #expect(renderer.render(race.frame(75)).elements.map(\.text) == ["3 DNS"])
        // Lane 1 touches at 10.0 s (frame 500): the race is complete and the DSQ shows.
        #expect(renderer.render(race.frame(499)).elements.map(\.text) == ["3 DNS"])
        #expect(renderer.render(race.frame(500)).elements.map(\.text) == ["2 DSQ", "3 DNS"])
    }
}

struct CorrectionTimelineTests {
    /// After OFFICIAL, lane 7 of the swimming final is disqualified on review: what aired showed
    /// its touch and rank 6; the corrected timeline shows the DSQ and moves lanes 1 and 8 up.
    @Test func theCorrectedTimelineDiffersFromWhatAired() throws {
        var aired = ResultsBook()
        for file in ResultsBookTests.files { _ = try aired.accept(try ODFDocument.parse(try ODFDocumentTests.fixtureDocument(file))) }
        var corrected = aired
        _ = try corrected.accept(try ODFDocument.parse(try Data(contentsOf: Fixtures.root.appendingPathComponent(
            "fixtures/feeds/swim-100-free-correction/06-DT_RESULT-OFFICIAL-corrected.xml"))))
        let clock = try ClockFile(json: try Data(contentsOf: Fixtures.swim.appendingPathComponent("clock.json")))
        let frame = CaptureClock(anchor: clock.anchor, frameRate: try #require(clock.frameRate))
            .timing(sequence: 599, pts: MediaTime(ticks: clock.anchor.pts.ticks + 599 * 1800, timeBase: clock.anchor.pts.timeBase))
        let before = try #require(RaceTimeline(book: aired, unit: RaceFixture.unit)).overlay(for: frame)
        let after = try #require(RaceTimeline(book: corrected, unit: RaceFixture.unit)).overlay(for: frame)
        #expect(before.lanes[6].finish?.rank == 6 && before.lanes[6].status == nil)
        #expect(after.lanes[6].finish == nil && after.lanes[6].status == "DSQ")
        #expect(after.lanes[0].finish?.rank == 6 && after.lanes[7].finish?.rank == 7)
        #expect(before.order.last == 8 && after.order.last == 7)
        #expect(before.dataVersion == "DT_RESULT v4" && after.dataVersion == "DT_RESULT v5")
    }
}
