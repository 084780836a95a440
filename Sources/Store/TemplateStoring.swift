public import Foundation

/// Designers' overlay templates, stored as sent.
public protocol TemplateStoring: Sendable {
    /// Stores a template under `name`, replacing one of that name; returns whether it replaced one.
    func putTemplate(name: String, json: Data, updatedUTC: String, updatedBy: String) async throws -> Bool
    /// The template stored under `name`.
    func template(name: String) async throws -> Data?
    /// The names of the stored templates, in order.
    func templateNames() async throws -> [String]
}
