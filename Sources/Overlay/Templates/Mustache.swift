import Foundation

/// A logic-less text template in the Mustache syntax designers know: `{{a.b}}` values,
/// `{{#list}}…{{/list}}` sections (repeated for lists, shown for true or non-empty values),
/// `{{^x}}…{{/x}}` inverted sections, and `{{.}}` for the current item. No HTML escaping: the
/// output is text for graphics, not markup.
public struct Mustache: Sendable, Hashable {
    indirect enum Node: Sendable, Hashable {
        case text(String)
        case value([String])
        case section([String], [Node], inverted: Bool)
    }

    let nodes: [Node]
    /// The source text.
    public let source: String

    /// The path of a template that is a single value and nothing else (`{{clock.display}}`).
    var singleValuePath: [String]? {
        guard nodes.count == 1, case .value(let path) = nodes[0] else { return nil }
        return path
    }

    /// The first component of every name the template binds (`clock` for `{{clock.display}}`).
    var names: Set<String> {
        var found: Set<String> = []
        func collect(_ nodes: [Node]) {
            for node in nodes {
                switch node {
                case .text: continue
                case .value(let path): if let first = path.first { found.insert(first) }
                case let .section(path, children, _):
                    if let first = path.first { found.insert(first) }
                    collect(children)
                }
            }
        }
        collect(nodes)
        return found
    }

    /// Every value and section the template reads, each as a path from the frame's top level, a
    /// name inside a section read as a field of that section's value (`ranking.athlete.familyName`
    /// for `{{#ranking}}{{athlete.familyName}}{{/ranking}}`), in the order written, each once.
    public var bindingPaths: [String] {
        var found: [String] = []
        func note(_ path: [String]) {
            let text = path.joined(separator: ".")
            if !text.isEmpty, !found.contains(text) { found.append(text) }
        }
        func collect(_ nodes: [Node], within outer: [String]) {
            for node in nodes {
                switch node {
                case .text: continue
                case .value(let path): note(outer + path)
                case let .section(path, children, _):
                    note(outer + path)
                    collect(children, within: outer + path)
                }
            }
        }
        collect(nodes, within: [])
        return found
    }

    /// Compiles a template; an unclosed or mismatched section is an error naming its offset.
    public init(_ source: String) throws(MustacheError) {
        self.source = source
        var stack: [(path: [String], inverted: Bool, nodes: [Node], offset: Int)] = [([], false, [], 0)]
        var rest = Substring(source)
        while !rest.isEmpty {
            guard let open = rest.range(of: "{{") else {
                stack[stack.count - 1].nodes.append(.text(String(rest)))
                break
            }
            if open.lowerBound > rest.startIndex { stack[stack.count - 1].nodes.append(.text(String(rest[..<open.lowerBound]))) }
            let offset = source.distance(from: source.startIndex, to: open.lowerBound)
            guard let close = rest[open.upperBound...].range(of: "}}") else {
                throw MustacheError(offset: offset, reason: "\"{{\" is never closed")
            }
            let tag = rest[open.upperBound..<close.lowerBound].trimmingCharacters(in: .whitespaces)
            rest = rest[close.upperBound...]
            guard let sigil = tag.first else { throw MustacheError(offset: offset, reason: "empty tag") }
            switch sigil {
            case "#", "^":
                let path = try Mustache.path(String(tag.dropFirst()), offset: offset)
                stack.append((path, sigil == "^", [], offset))
            case "/":
                let path = try Mustache.path(String(tag.dropFirst()), offset: offset)
                guard stack.count > 1, let section = stack.last, section.path == path else {
                    throw MustacheError(offset: offset, reason: "{{/\(path.joined(separator: "."))}} closes no open section")
                }
                stack.removeLast()
                stack[stack.count - 1].nodes.append(.section(path, section.nodes, inverted: section.inverted))
            case "!":
                continue
            default:
                stack[stack.count - 1].nodes.append(.value(try Mustache.path(String(tag), offset: offset)))
            }
        }
        guard stack.count == 1, let root = stack.first else {
            let open = stack.last!
            throw MustacheError(offset: open.offset, reason: "{{#\(open.path.joined(separator: "."))}} is never closed")
        }
        nodes = root.nodes
    }

    private static func path(_ text: String, offset: Int) throws(MustacheError) -> [String] {
        let name = text.trimmingCharacters(in: .whitespaces)
        if name == "." { return [] }
        let parts = name.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        guard !parts.isEmpty, parts.allSatisfy({ !$0.isEmpty && $0.allSatisfy { $0.isLetter || $0.isNumber || $0 == "_" } }) else {
            throw MustacheError(offset: offset, reason: "\"\(name)\" is not a name such as lane.athlete.familyName")
        }
        return parts
    }

    /// Renders against a context stack (innermost last): a name is looked up from the innermost outwards.
    /// `TemplateRenderer` builds the stack from a frame's state; the benchmarks call it directly.
    public func render(_ context: [JSONValue]) -> String {
        var output = ""
        render(nodes, context, into: &output)
        return output
    }

    private func render(_ nodes: [Node], _ context: [JSONValue], into output: inout String) {
        for node in nodes {
            switch node {
            case .text(let text):
                output += text
            case .value(let path):
                output += Mustache.text(of: Mustache.lookup(path, in: context))
            case let .section(path, children, inverted):
                let value = Mustache.lookup(path, in: context)
                let truthy: Bool
                switch value {
                case .null, .bool(false): truthy = false
                case .array(let items): truthy = !items.isEmpty
                case .string(let text): truthy = !text.isEmpty
                default: truthy = true
                }
                if inverted {
                    if !truthy { render(children, context, into: &output) }
                } else if case .array(let items) = value {
                    for item in items { render(children, context + [item], into: &output) }
                } else if truthy {
                    render(children, context + [value], into: &output)
                }
            }
        }
    }

    static func lookup(_ path: [String], in context: [JSONValue]) -> JSONValue {
        guard let first = path.first else { return context.last ?? .null }
        for frame in context.reversed() {
            guard case .object(let fields) = frame, var value = fields[first] else { continue }
            for key in path.dropFirst() {
                guard case .object(let nested) = value, let next = nested[key] else { return .null }
                value = next
            }
            return value
        }
        return .null
    }

    static func text(of value: JSONValue) -> String {
        switch value {
        case .null: ""
        case .bool(let flag): flag ? "true" : "false"
        case .integer(let number): String(number)
        case .number(let number): String(number)
        case .string(let text): text
        case .object(let fields):
            // A time, gap or clock renders as what a result board shows: `{{lane.split.time}}` is "4.12".
            if case .string(let display)? = fields["display"] { display } else { "" }
        case .array: ""
        }
    }
}

/// Why a text binding does not compile: the character offset in the text and the reason.
public struct MustacheError: Error, Hashable, CustomStringConvertible {
    public let offset: Int
    public let reason: String
    public var description: String { "at character \(offset): \(reason)" }
}
