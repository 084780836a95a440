public import Foundation
import GRDB
import Overlay

/// Designers' templates, stored as sent (`TemplateStoring`).
extension SQLiteStore {
    /// Stores a template under `name`, replacing one of that name; returns whether it replaced one.
    public func putTemplate(name: String, json: Data, updatedUTC: String, updatedBy: String) async throws -> Bool {
        try await pool.write { db in
            let existed = try Bool.fetchOne(db, sql: "SELECT COUNT(*) > 0 FROM template WHERE name = ?", arguments: [name]) ?? false
            try db.execute(
                sql: "INSERT OR REPLACE INTO template (name, json, updatedUTC, updatedBy) VALUES (?, ?, ?, ?)",
                arguments: [name, json, updatedUTC, updatedBy]
            )
            return existed
        }
    }

    /// The template stored under `name`, as it was sent.
    public func template(name: String) async throws -> Data? {
        try await pool.read { db in try Data.fetchOne(db, sql: "SELECT json FROM template WHERE name = ?", arguments: [name]) }
    }

    /// The names of the stored templates, in order.
    public func templateNames() async throws -> [String] {
        try await pool.read { db in try String.fetchAll(db, sql: "SELECT name FROM template ORDER BY name") }
    }
}
