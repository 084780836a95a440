import ArgumentParser
import Foundation
import Jobs
import MediaIO
import Overlay
import Store

/// `podium keys`: API keys and their scopes.
struct Keys: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keys",
        abstract: "Create, list and revoke API keys.",
        subcommands: [Create.self, List.self, Revoke.self]
    )

    /// `podium keys create`: prints a new key once; the store keeps only its digest.
    struct Create: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "create", abstract: "Create an API key and print it (it is shown only this once).")

        @Option(help: "What the key may do: viewer, designer, feed, broadcaster or admin.")
        var scope: String

        @Option(help: "Who the key belongs to (a broadcaster sees only the jobs with this owner).")
        var owner = "podium"

        @Option(help: "SQLite database of jobs, frames and keys.")
        var database = "var/podium.sqlite"

        func run() throws {
            try reportingErrors("keys create") {
                guard let scope = APIScope(rawValue: scope) else {
                    throw OperatorError("--scope \(self.scope) is not a scope; use viewer, designer, feed, broadcaster or admin")
                }
                let trimmed = owner.trimmingCharacters(in: .whitespaces)
                guard APIKeyRecord.isValidOwner(trimmed) else { throw OperatorError("--owner must be \(APIKeyRecord.ownerRule)") }
                let store = try SQLiteStore(path: database)
                let (record, secret) = try store.createKey(scope: scope, owner: trimmed, createdUTC: SystemClock().now().iso8601)
                FileHandle.standardError.write(Data("key \(record.id): \(scope.rawValue) for \(trimmed); keep it, it is not shown again\n".utf8))
                print(secret)
            }
        }
    }

    /// `podium keys list`.
    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "List API keys (never their secrets).")

        @Option(help: "SQLite database of jobs, frames and keys.")
        var database = "var/podium.sqlite"

        func run() throws {
            try reportingErrors("keys list") {
                for key in try SQLiteStore(path: database).keys() {
                    print("\(key.id)\t\(key.scope.rawValue)\t\(key.owner)\tcreated \(key.createdUTC)" + (key.revokedUTC.map { "\trevoked \($0)" } ?? ""))
                }
            }
        }
    }

    /// `podium keys revoke ID`.
    struct Revoke: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "revoke", abstract: "Revoke an API key: it stops working at once.")

        @Argument(help: "The key's id (from `podium keys list`).")
        var id: Int64

        @Option(help: "SQLite database of jobs, frames and keys.")
        var database = "var/podium.sqlite"

        func run() throws {
            try reportingErrors("keys revoke") {
                guard try SQLiteStore(path: database).revokeKey(id: id, at: SystemClock().now().iso8601) else {
                    throw OperatorError("there is no live key \(id)")
                }
                print("key \(id) revoked")
            }
        }
    }
}
