import Foundation
import GRDB
import Overlay

/// API keys, stored as the digests of their secrets.
extension SQLiteStore {
    /// Creates a key; returns its record and its secret, which is stored only as a digest.
    public func createKey(scope: APIScope, owner: String, createdUTC: String) throws -> (record: APIKeyRecord, secret: String) {
        let secret = APIKeySecret.generate()
        let id = try pool.write { db in
            try db.execute(
                sql: "INSERT INTO apiKey (secretDigest, scope, owner, createdUTC) VALUES (?, ?, ?, ?)",
                arguments: [Digests.sha256Hex(of: Array(secret.utf8)), scope.rawValue, owner, createdUTC]
            )
            return db.lastInsertedRowID
        }
        return (APIKeyRecord(id: id, scope: scope, owner: owner, createdUTC: createdUTC, revokedUTC: nil), secret)
    }

    /// Stores a key made elsewhere (a deployment's key file), as its digest; a key already known is left as it is.
    public func importKey(secret: String, scope: APIScope, owner: String, createdUTC: String) throws {
        try pool.write { db in
            try db.execute(
                sql: "INSERT OR IGNORE INTO apiKey (secretDigest, scope, owner, createdUTC) VALUES (?, ?, ?, ?)",
                arguments: [Digests.sha256Hex(of: Array(secret.utf8)), scope.rawValue, owner, createdUTC]
            )
        }
    }

    /// Every key, oldest first (secrets are not stored).
    public func keys() throws -> [APIKeyRecord] {
        try pool.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM apiKey ORDER BY id").compactMap(SQLiteStore.key(from:))
        }
    }

    /// Revokes a key; false when there is no such live key.
    public func revokeKey(id: Int64, at revokedUTC: String) throws -> Bool {
        try pool.write { db in
            try db.execute(sql: "UPDATE apiKey SET revokedUTC = ? WHERE id = ? AND revokedUTC IS NULL", arguments: [revokedUTC, id])
            return db.changesCount == 1
        }
    }

    public func key(forSecret secret: String) async throws -> APIKeyRecord? {
        guard APIKeySecret.isWellFormed(secret) else { return nil }
        let digest = Digests.sha256Hex(of: Array(secret.utf8))
        return try await pool.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM apiKey WHERE secretDigest = ? AND revokedUTC IS NULL", arguments: [digest])
                .flatMap(SQLiteStore.key(from:))
        }
    }

    private static func key(from row: Row) -> APIKeyRecord? {
        guard let scope = APIScope(rawValue: row["scope"]) else { return nil }
        return APIKeyRecord(id: row["id"], scope: scope, owner: row["owner"], createdUTC: row["createdUTC"], revokedUTC: row["revokedUTC"])
    }
}
