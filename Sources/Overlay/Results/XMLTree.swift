public import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif

/// A parsed XML element: name, attributes and child elements (text content is not needed by any feed we read).
public struct XMLNode: Sendable, Equatable {
    /// Element name as written.
    public let name: String
    /// Attributes by name.
    public let attributes: [String: String]
    /// Child elements in document order.
    public let children: [XMLNode]
    /// Line of the element's start tag, for error messages.
    public let line: Int

    /// The first child named `name`.
    public func child(_ name: String) -> XMLNode? { children.first { $0.name == name } }

    /// All children named `name`.
    public func children(named name: String) -> [XMLNode] { children.filter { $0.name == name } }

    /// Parses a whole document. Errors carry the line and the parser's reason.
    public static func parse(_ data: Data) throws(XMLTreeError) -> XMLNode {
        // No results feed needs a document type; refusing it outright rules out entity expansion
        // ("billion laughs") and external entities that would read files or fetch URLs.
        if let doctype = data.range(of: Data("<!DOCTYPE".utf8)) ?? data.range(of: Data("<!doctype".utf8)) {
            let line = data[..<doctype.lowerBound].reduce(1) { $0 + ($1 == 0x0A ? 1 : 0) }
            throw XMLTreeError(line: line, reason: "a DOCTYPE declaration is refused (entities could expand without bound or read files)")
        }
        let builder = TreeBuilder()
        let parser = XMLParser(data: data)
        parser.shouldProcessNamespaces = false
        parser.shouldResolveExternalEntities = false
        parser.delegate = builder
        let succeeded = parser.parse()
        if !succeeded || builder.root == nil {
            let reason = parser.parserError.map { error in
                let code = (error as NSError).code
                return XMLParser.ErrorCode(rawValue: code).map { "\($0)" } ?? "parser error \(code)"
            } ?? "no root element"
            throw XMLTreeError(line: parser.lineNumber, reason: reason)
        }
        return builder.root!
    }
}

/// Why a document is not well-formed XML.
public struct XMLTreeError: Error, Equatable, CustomStringConvertible {
    /// The line the parser stopped at.
    public let line: Int
    /// The parser's reason.
    public let reason: String

    public var description: String { "malformed XML at line \(line): \(reason)" }
}

/// Collects SAX callbacks into `XMLNode`s. Used by one parse on one thread only.
private final class TreeBuilder: NSObject, XMLParserDelegate {
    private struct Open {
        let name: String
        let attributes: [String: String]
        let line: Int
        var children: [XMLNode] = []
    }

    private var stack: [Open] = []
    private(set) var root: XMLNode?

    func parser(
        _ parser: XMLParser, didStartElement elementName: String, namespaceURI: String?,
        qualifiedName qName: String?, attributes attributeDict: [String: String] = [:]
    ) {
        // Namespace prefixes are dropped: installations differ (`odf:OdfBody`, a default xmlns), the meaning does not.
        let attributes = attributeDict.keys.contains(where: { $0.utf8.contains(UInt8(ascii: ":")) })
            ? Dictionary(attributeDict.map { (TreeBuilder.localName($0.key), $0.value) }, uniquingKeysWith: { first, _ in first })
            : attributeDict
        stack.append(Open(name: TreeBuilder.localName(elementName), attributes: attributes, line: parser.lineNumber))
    }

    static func localName(_ name: String) -> String {
        guard let colon = name.firstIndex(of: ":") else { return name }
        return String(name[name.index(after: colon)...])
    }

    func parser(_ parser: XMLParser, didEndElement elementName: String, namespaceURI: String?, qualifiedName qName: String?) {
        guard let open = stack.popLast() else { return }
        let node = XMLNode(name: open.name, attributes: open.attributes, children: open.children, line: open.line)
        if stack.isEmpty {
            root = node
        } else {
            stack[stack.count - 1].children.append(node)
        }
    }
}
