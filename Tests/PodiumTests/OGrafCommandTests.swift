import Foundation
import Store
import TestSupport
import Testing

/// `podium ograf export`: a template as an EBU OGraf v1 graphic, checked against the EBU's own
/// JSON schemas (fixtures/ograf-v1-schema) by Python's `jsonschema`, which shares no code with Podium.
struct OGrafCommandTests {
    /// Validates manifests with `scripts/ograf-validate.py`, in the tools' venv (its `jsonschema`
    /// comes with schemathesis; `scripts/test.sh` installs it).
    static func validate(_ manifests: [String]) async throws -> (status: Int32, out: String, err: String) {
        try await Fixtures.run(
            Fixtures.root.appendingPathComponent(".build-tools/venv/bin/python").path,
            [Fixtures.root.appendingPathComponent("scripts/ograf-validate.py").path] + manifests
        )
    }

    /// The first video stream's packet PTS as ffprobe reads them, in order.
    static func presentationTimes(_ file: String) async throws -> [Int] {
        let probed = try await Fixtures.run("ffprobe", ["-v", "error", "-select_streams", "v:0", "-show_entries", "packet=pts", "-of", "csv=p=0", file])
        return probed.out.split(separator: "\n").compactMap { Int($0.split(separator: ",").first ?? "") }.sorted()
    }

    static func json(_ url: URL) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
    }

    @Test(arguments: ["swimming", "athletics-100m"])
    func eachBundledTemplateExportsAGraphicWhoseManifestValidates(_ name: String) async throws {
        let folder = try Fixtures.scratchFolder("ograf-\(name)")
        let exported = try await Fixtures.run(PodiumBinary.path, ["ograf", "export", Fixtures.root.appendingPathComponent("templates/\(name).json").path, "--out", folder.path])
        try #require(exported.status == 0, "\(exported.err)")
        let manifestURL = folder.appendingPathComponent("\(name).ograf.json")
        #expect(exported.out.split(separator: "\n").map(String.init) == [manifestURL.path, folder.appendingPathComponent("graphic.mjs").path])
        let checked = try await Self.validate([manifestURL.path])
        #expect(checked.status == 0 && checked.out.hasSuffix(": valid\n"), "\(checked.out)\(checked.err)")

        let manifest = try Self.json(manifestURL)
        let template = try Self.json(Fixtures.root.appendingPathComponent("templates/\(name).json"))
        #expect(manifest["id"] as? String == "tv.podium.template.\(name)")
        #expect(manifest["version"] as? String == template["version"] as? String)
        #expect(manifest["description"] as? String == template["description"] as? String)
        #expect(manifest["supportsRealTime"] as? Bool == true && manifest["supportsNonRealTime"] as? Bool == true)
        #expect((manifest["customActions"] as? [[String: Any]])?.compactMap { $0["id"] as? String } == ["startClock", "stopClock"])
        // The module named as the entry point is there, and is the one Podium ships.
        let main = try #require(manifest["main"] as? String)
        let module = try String(contentsOf: folder.appendingPathComponent(main), encoding: .utf8)
        #expect(module == (try String(contentsOf: Fixtures.root.appendingPathComponent("Sources/API/Resources/ograf-graphic.mjs"), encoding: .utf8)))
        // The vendor section lists the template's elements with their bindings, in order.
        let vendor = try #require(manifest["v_podium"] as? [String: Any])
        #expect(vendor["template"] as? String == name && vendor["payload"] as? String == "podium.frame-overlay" && vendor["payloadVersion"] as? Int == 1)
        let elements = try #require(vendor["elements"] as? [[String: Any]])
        let templateElements = try #require(template["elements"] as? [[String: Any]])
        #expect(elements.compactMap { $0["id"] as? String } == templateElements.compactMap { $0["id"] as? String })
        #expect(elements.compactMap { $0["text"] as? String } == templateElements.compactMap { $0["text"] as? String })
        let clockBinds = elements.first { $0["kind"] as? String == "clock" }?["binds"] as? [String]
        #expect(clockBinds == ["clock.display"], "\(elements)")
        let boardBinds = elements.first { $0["kind"] as? String == "resultBoard" }?["binds"] as? [String] ?? []
        #expect(boardBinds.starts(with: ["ranking", "ranking.finish", "ranking.finish.rank", "ranking.athlete.familyName"]), "\(boardBinds)")
        // The data schema's element ids admit every element the template puts on a rendered frame.
        let schema = try #require(manifest["schema"] as? [String: Any])
        let elementSchema = try #require(((schema["properties"] as? [String: Any])?["elements"] as? [String: Any])?["items"] as? [String: Any])
        let pattern = try #require(((elementSchema["properties"] as? [String: Any])?["id"] as? [String: Any])?["pattern"] as? String)
        let ids = try NSRegularExpression(pattern: pattern)
        let rendered = try await Fixtures.run(PodiumBinary.path, [
            "render", Fixtures.root.appendingPathComponent(name == "swimming" ? "fixtures/swim-100-free" : "fixtures/athletics-100m").path,
            "--template", Fixtures.root.appendingPathComponent("templates/\(name).json").path,
        ])
        try #require(rendered.status == 0, "\(rendered.err)")
        var seen: Set<String> = []
        for line in rendered.out.split(separator: "\n") {
            let frame = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            for element in frame["elements"] as? [[String: Any]] ?? [] { seen.insert(try #require(element["id"] as? String)) }
        }
        #expect(!seen.isEmpty)
        for id in seen {
            #expect(ids.firstMatch(in: id, range: NSRange(id.startIndex..., in: id)) != nil, "\(id) is not admitted by \(pattern)")
        }
        #expect(ids.firstMatch(in: "nothing", range: NSRange(location: 0, length: 7)) == nil)
    }

    /// The validator is a real check: a manifest with no entry point, a field OGraf does not
    /// know and a data field with no type is refused, each fault named.
    @Test func aManifestThatBreaksTheSchemaIsRefusedWithEachFaultNamed() async throws {
        let folder = try Fixtures.scratchFolder("ograf-broken")
        let exported = try await Fixtures.run(PodiumBinary.path, ["ograf", "export", Fixtures.root.appendingPathComponent("templates/swimming.json").path, "--out", folder.path])
        try #require(exported.status == 0, "\(exported.err)")
        let url = folder.appendingPathComponent("swimming.ograf.json")
        var manifest = try Self.json(url)
        manifest["main"] = nil
        manifest["thumbnail"] = "x.png"
        var schema = try #require(manifest["schema"] as? [String: Any])
        var properties = try #require(schema["properties"] as? [String: Any])
        properties["frame"] = ["description": "no type"]
        schema["properties"] = properties
        manifest["schema"] = schema
        try JSONSerialization.data(withJSONObject: manifest).write(to: url)
        let checked = try await Self.validate([url.path])
        #expect(checked.status == 1)
        #expect(checked.out.contains("'main' is a required property"), "\(checked.out)")
        #expect(checked.out.contains("'thumbnail'"), "\(checked.out)")
        #expect(checked.out.contains("$.schema.properties.frame: 'type' is a required property"), "\(checked.out)")
    }

    @Test func anUnknownTemplateIsRefusedByName() async throws {
        let folder = try Fixtures.scratchFolder("ograf-unknown")
        let exported = try await Fixtures.run(PodiumBinary.path, ["ograf", "export", "no-such-template", "--out", folder.path])
        #expect(exported.status == 1)
        #expect(exported.err.contains("template no-such-template not found"), "\(exported.err)")
        #expect((try? FileManager.default.contentsOfDirectory(atPath: folder.path))?.isEmpty ?? true)
    }

    /// `podium ograf render`: the fixture through the swimming graphic, frame-exactly, into a
    /// PNG-in-MOV with alpha: one picture per source frame at that frame's PTS, each element's
    /// rectangle drawn where the frame's overlay puts it and nothing anywhere else.
    @Test func aFixtureIsRenderedThroughTheGraphicIntoAnOverlayMovieFrameForFrame() async throws {
        let folder = try Fixtures.scratchFolder("ograf-render")
        let movie = folder.appendingPathComponent("overlay.mov")
        let (width, height) = (640, 360)
        let rendered = try await Fixtures.run(PodiumBinary.path, [
            "ograf", "render", Fixtures.swim.path, "--template", Fixtures.root.appendingPathComponent("templates/swimming.json").path,
            "--out", movie.path, "--width", "\(width)", "--height", "\(height)",
        ])
        try #require(rendered.status == 0, "\(rendered.err)")
        #expect(rendered.err.contains("rendered 600 of 600 frames"))
        // An independent reader (ffprobe): PNG with alpha, and the source's presentation times, one for one.
        let stream = try await Fixtures.run("ffprobe", ["-v", "error", "-select_streams", "v:0", "-show_entries", "stream=codec_name,pix_fmt,width,height", "-of", "csv=p=0", movie.path])
        #expect(stream.out.trimmingCharacters(in: .whitespacesAndNewlines) == "png,\(width),\(height),rgba", "\(stream.out)")
        let source = try await Self.presentationTimes(Fixtures.swim.appendingPathComponent("clip.ts").path)
        #expect(source.count == 600)
        #expect(try await Self.presentationTimes(movie.path) == source)

        let golden = try Fixtures.swimGolden("frames.swimming").map { try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]) }
        let pictures = try await Pixels.rawFrames(of: movie.path, [0, 312, 599], pixelFormat: "rgba", width: width, height: height, bytesPerPixel: 4)
        for n in [0, 312, 599] {
            let pixels = try #require(pictures[n])
            let alpha = { (x: Int, y: Int) in pixels[(y * width + x) * 4 + 3] }
            let rects = (golden[n]["elements"] as? [[String: Any]] ?? []).filter { ($0["opacity"] as? Double ?? 0) > 0 }.compactMap { $0["rect"] as? [Double] }.map { rect in
                (x: Int(rect[0] * Double(width)), y: Int(rect[1] * Double(height)), right: Int((rect[0] + rect[2]) * Double(width)), bottom: Int((rect[1] + rect[3]) * Double(height)))
            }
            #expect(n != 0 || rects.isEmpty)
            // Inside each element's rectangle the plate covers (its corners rounded, so 4 px in).
            for rect in rects {
                for (x, y) in [(rect.x + 4, rect.y + 4), (rect.right - 5, rect.y + 4), (rect.x + 4, rect.bottom - 5), (rect.right - 5, rect.bottom - 5)] {
                    #expect(alpha(x, y) > 100, "frame \(n): (\(x), \(y)) inside \(rect) has alpha \(alpha(x, y))")
                }
            }
            // Outside every rectangle (2 px of antialiasing allowed) the picture is clear.
            var stray = 0
            for y in 0..<height {
                for x in 0..<width where alpha(x, y) > 0 {
                    if !rects.contains(where: { x >= $0.x - 2 && x <= $0.right + 2 && y >= $0.y - 2 && y <= $0.bottom + 2 }) { stray += 1 }
                }
            }
            #expect(stray == 0, "frame \(n): \(stray) pixels drawn outside its elements")
        }
        try await Self.compareWithPreviews(movie: movie, golden: golden, in: folder)
    }

    /// The graphic's pictures, laid over the source frames, against Podium's own previews of the
    /// same frames (Cairo): lane tags with leader lines (120, 490), the split board (312). The
    /// plates, leaders and texts are in the same places; Chromium and Cairo rasterise glyphs a
    /// little differently (hinting, a pixel of baseline), so each element's rectangle is compared
    /// after a 5×5 box blur and must differ by less than 20 on average (0…255), a third of what
    /// the plate itself changes there, and the whole frame by less than 3.
    static func compareWithPreviews(movie: URL, golden: [[String: Any]], in folder: URL) async throws {
        let frames = [120, 312, 490]
        let previewed = try await Fixtures.run(PodiumBinary.path, ["preview", Fixtures.swim.path, "--template", "swimming", "--out", folder.path] + frames.flatMap { ["--frame", "\($0)"] })
        try #require(previewed.status == 0, "\(previewed.err)")
        let (width, height) = (640, 360)
        let graphics = try await Pixels.rawFrames(of: movie.path, frames, pixelFormat: "rgba", width: width, height: height, bytesPerPixel: 4)
        let sources = try await Pixels.rawFrames(
            of: Fixtures.swim.appendingPathComponent("clip.ts").path, frames, pixelFormat: "rgb24", width: width, height: height, bytesPerPixel: 3
        )
        /// A 5×5 box blur, as two passes of 5 (rows, then columns), clamped at the edges.
        func blurred(_ rgb: [Double]) -> [Double] {
            func pass(_ input: [Double], along horizontal: Bool) -> [Double] {
                var out = [Double](repeating: 0, count: input.count)
                for y in 0..<height {
                    for x in 0..<width {
                        for channel in 0..<3 {
                            var (sum, count) = (0.0, 0.0)
                            for step in -2...2 {
                                let (sx, sy) = horizontal ? (x + step, y) : (x, y + step)
                                guard (0..<width).contains(sx), (0..<height).contains(sy) else { continue }
                                sum += input[(sy * width + sx) * 3 + channel]
                                count += 1
                            }
                            out[(y * width + x) * 3 + channel] = sum / count
                        }
                    }
                }
                return out
            }
            return pass(pass(rgb, along: true), along: false)
        }
        for n in frames {
            let graphic = try #require(graphics[n]).map(Double.init), source = try #require(sources[n]).map(Double.init)
            let previewFile = folder.appendingPathComponent(String(format: "frame-%06d.png", n)).path
            let preview = try #require(try await Pixels.rawFrames(of: previewFile, [0], pixelFormat: "rgb24", width: width, height: height, bytesPerPixel: 3)[0]).map(Double.init)
            var composite = source
            for pixel in 0..<(width * height) {
                let alpha = graphic[pixel * 4 + 3] / 255
                for channel in 0..<3 { composite[pixel * 3 + channel] = source[pixel * 3 + channel] * (1 - alpha) + graphic[pixel * 4 + channel] * alpha }
            }
            let whole = zip(composite, preview).map { abs($0 - $1) }.reduce(0, +) / Double(composite.count)
            #expect(whole < 3, "frame \(n): mean difference \(whole) from the preview")
            let (soft, softPreview, softSource) = (blurred(composite), blurred(preview), blurred(source))
            func mean(_ a: [Double], _ b: [Double], in rect: [Double]) -> Double {
                let (left, top) = (Int(rect[0] * Double(width)), Int(rect[1] * Double(height)))
                let (right, bottom) = (Int((rect[0] + rect[2]) * Double(width)), Int((rect[1] + rect[3]) * Double(height)))
                var (sum, count) = (0.0, 0.0)
                for y in top..<bottom { for x in left..<right { for channel in 0..<3 {
                    sum += abs(a[(y * width + x) * 3 + channel] - b[(y * width + x) * 3 + channel])
                    count += 1
                } } }
                return sum / max(1, count)
            }
            let elements = (golden[n]["elements"] as? [[String: Any]] ?? []).filter { ($0["opacity"] as? Double ?? 0) > 0 }
            let placed = elements.compactMap { element in (element["rect"] as? [Double]).map { (element["id"] as? String ?? "?", $0) } }
            #expect(placed.count >= 6, "frame \(n) compares \(placed.count) elements")
            for (id, rect) in placed {
                let difference = mean(soft, softPreview, in: rect), plate = mean(softPreview, softSource, in: rect)
                #expect(difference < 20 && difference * 3 < plate, "frame \(n) \(id): differs from the preview by \(difference), the plate changes its area by \(plate)")
            }
        }
    }

    /// A stored job renders the same way, from the frames it aired (their elements already
    /// carry the template), each picture at the PTS its payload carries.
    @Test func aStoredJobIsRenderedFromTheFramesItAired() async throws {
        let folder = try Fixtures.scratchFolder("ograf-render-job")
        let enriched = try await PodiumBinary.enrich(Fixtures.swim.appendingPathComponent("clip.ts").path, in: folder, extra: ["--template", Fixtures.root.appendingPathComponent("templates/swimming.json").path])
        try #require(enriched.status == 0, "\(enriched.err)")
        let database = folder.appendingPathComponent("podium.sqlite").path
        let movie = folder.appendingPathComponent("job.mov")
        let refused = try await Fixtures.run(PodiumBinary.path, ["ograf", "render", "1", "--template", "swimming", "--database", database, "--out", movie.path])
        #expect(refused.status == 1 && refused.err.contains("--template is for fixtures"), "\(refused.err)")
        let missing = try await Fixtures.run(PodiumBinary.path, ["ograf", "render", "7", "--database", database, "--out", movie.path])
        #expect(missing.status == 1 && missing.err.contains("has no job 7"), "\(missing.err)")
        let rendered = try await Fixtures.run(PodiumBinary.path, ["ograf", "render", "1", "--database", database, "--out", movie.path, "--width", "320", "--height", "180"])
        try #require(rendered.status == 0, "\(rendered.err)")
        let store = try SQLiteStore(path: database)
        let aired = try await store.frames(jobID: 1, from: 0, to: 599, limit: 600).map { frame in
            try #require(try JSONSerialization.jsonObject(with: frame.overlayJSON) as? [String: Any])["pts"] as? Int
        }
        let probed = try await Fixtures.run("ffprobe", ["-v", "error", "-select_streams", "v:0", "-show_entries", "packet=pts", "-of", "csv=p=0", movie.path])
        let times = probed.out.split(separator: "\n").compactMap { Int($0.split(separator: ",").first ?? "") }.sorted()
        #expect(aired.count == 600 && times == aired.compactMap { $0 })
    }
}
