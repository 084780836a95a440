import Foundation
import Hummingbird

/// How every list route is paged: `?limit=` items at most (1…`maximumLimit`, `defaultLimit`
/// when absent) after `?cursor=`, the `next` of the page before. A list answers
/// `{"<items>":[…],"next":"…"}`, with `next` null on the last page.
///
/// A cursor names the last item a page gave, not a position, so a page never repeats or skips
/// an item because another was added or removed before it. Clients treat it as opaque.
struct PageRequest: Sendable, Equatable {
    static let defaultLimit = 100
    static let maximumLimit = 1000

    let limit: Int
    let cursor: String?

    init(limit: Int = PageRequest.defaultLimit, cursor: String? = nil) {
        self.limit = limit
        self.cursor = cursor
    }

    /// The page the query of `request` asks for; 400 naming the parameter when it is malformed.
    init(_ request: Request) throws {
        let query = request.uri.queryParameters
        var limit = Self.defaultLimit
        if let text = query.get("limit").map({ String($0) }) {
            guard let value = Int(text), (1...Self.maximumLimit).contains(value) else {
                throw APIError(.badRequest, code: "bad_request", message: "limit is a whole number from 1 to \(Self.maximumLimit)", details: ["limit": text])
            }
            limit = value
        }
        let cursor = query.get("cursor").map { String($0) }
        if cursor == "" {
            throw APIError(.badRequest, code: "bad_request", message: "cursor is the next of the page before; leave it out for the first page", details: ["cursor": ""])
        }
        self.init(limit: limit, cursor: cursor)
    }

    /// The page of `items` after the cursor, the list put in order by `key` (which names one item
    /// each); `next` is the last item's key when more follow. Returned as `ListPage` for `name`.
    func page<Item: Encodable>(of items: [Item], named name: String, key: (Item) -> String) -> ListPage<Item> {
        let ordered = items.map { (key: key($0), item: $0) }.sorted { $0.key < $1.key }
        let start = cursor.map { cursor in ordered.firstIndex { $0.key > cursor } ?? ordered.endIndex } ?? ordered.startIndex
        let taken = ordered[start...].prefix(limit)
        let more = start + taken.count < ordered.endIndex
        return ListPage(name: name, items: taken.map(\.item), next: more ? taken.last?.key : nil)
    }
}

/// One page of a list as the API answers it: `{"<name>":[…],"next":…}`.
struct ListPage<Item: Encodable>: Encodable {
    let name: String
    let items: [Item]
    /// The cursor of the next page; nil (encoded as null) on the last.
    let next: String?

    private struct Key: CodingKey {
        let stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Key.self)
        try container.encode(items, forKey: Key(stringValue: name))
        // Written as null on the last page: a client's loop `while next != null` needs the key.
        if let next {
            try container.encode(next, forKey: Key(stringValue: "next"))
        } else {
            try container.encodeNil(forKey: Key(stringValue: "next"))
        }
    }
}
