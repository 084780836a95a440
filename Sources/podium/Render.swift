import ArgumentParser
import Feeds
import Foundation
import Jobs
import Overlay

/// `podium render`: a fixture's per-frame overlay as JSON lines.
struct Render: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "render", abstract: "Render a fixture's per-frame overlay (JSON lines) with an optional template.")

    @Argument(help: "The fixture folder (clip.ts, clock.json, results/, optional camera.jsonl and lens.json).")
    var fixture: String

    @Option(help: "Template file, or the name of one in templates/ (swimming, athletics-100m).")
    var template: String?

    @Option(help: "Write here instead of standard output.")
    var out: String?

    func run() throws {
        try reportingErrors("render") {
            let frames = try FixtureCase(path: fixture).render(template: try loadTemplate(template))
            var text = Data()
            for frame in frames { text.append(frame.canonicalJSON()); text.append(UInt8(ascii: "\n")) }
            if let out { try text.write(to: URL(fileURLWithPath: out)) } else { FileHandle.standardOutput.write(text) }
        }
    }
}

/// `podium check`: a fixture's render against its golden file, with a readable first difference.
struct Check: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Compare a fixture's render with its golden file (expected/frames.jsonl.zip, or expected/frames.NAME.jsonl.zip for a template).",
        discussion: "Exits 1 and names the first differing frame, field, expected and actual value when they differ."
    )

    @Argument(help: "The fixture folder.")
    var fixture: String

    @Option(help: "Template file, or the name of one in templates/.")
    var template: String?

    func run() throws {
        var differences: [String] = []
        var count = 0
        try reportingErrors("check") {
            let fixtureCase = try FixtureCase(path: fixture)
            let loaded = try loadTemplate(template)
            let rendered = try fixtureCase.render(template: loaded).map { String(decoding: $0.canonicalJSON(), as: UTF8.self) }
            let path = fixtureCase.expectedPath(template: loaded)
            guard let zipped = FileManager.default.contents(atPath: path) else { throw OperatorError("no golden file \(path)") }
            let golden: Data
            do {
                golden = try SingleFileArchive.contents(of: zipped, endingWith: ".jsonl", limit: 256 * 1024 * 1024)
            } catch {
                throw OperatorError("golden file \(path): \(error)")
            }
            let expected = String(decoding: golden, as: UTF8.self).split(separator: "\n").map(String.init)
            count = rendered.count
            differences = GoldenDiff.compare(expected: expected, actual: rendered)
        }
        guard differences.isEmpty else {
            differences.forEach { print($0) }
            throw ExitCode.failure
        }
        print("all \(count) frames match")
    }
}

/// The first difference between two JSON-lines renders, in words.
enum GoldenDiff {
    static func compare(expected: [String], actual: [String]) -> [String] {
        for (index, (want, got)) in zip(expected, actual).enumerated() where want != got {
            let wantValue = try? JSONSerialization.jsonObject(with: Data(want.utf8))
            let gotValue = try? JSONSerialization.jsonObject(with: Data(got.utf8))
            let path = firstDifference(wantValue, gotValue, path: "$") ?? ("$", want, got)
            return ["frame \(index): \(path.0): expected \(path.1), got \(path.2)"]
        }
        if expected.count != actual.count { return ["frame count: expected \(expected.count), got \(actual.count)"] }
        return []
    }

    private static func describe(_ value: Any?) -> String {
        guard let value else { return "(absent)" }
        if let text = value as? String { return "\"\(text)\"" }
        if let data = try? JSONSerialization.data(withJSONObject: value, options: [.sortedKeys, .fragmentsAllowed]) {
            return String(decoding: data, as: UTF8.self)
        }
        return "\(value)"
    }

    private static func firstDifference(_ want: Any?, _ got: Any?, path: String) -> (String, String, String)? {
        if let left = want as? [String: Any], let right = got as? [String: Any] {
            for key in Set(left.keys).union(right.keys).sorted() {
                if let found = firstDifference(left[key], right[key], path: "\(path).\(key)") { return found }
            }
            return nil
        }
        if let left = want as? [Any], let right = got as? [Any] {
            for index in 0..<max(left.count, right.count) {
                let found = firstDifference(index < left.count ? left[index] : nil, index < right.count ? right[index] : nil, path: "\(path)[\(index)]")
                if let found { return found }
            }
            return nil
        }
        return describe(want) == describe(got) ? nil : (path, describe(want), describe(got))
    }
}
