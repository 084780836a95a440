/// Something the operator (or an API client) must fix, said in one line.
public struct OperatorError: Error, CustomStringConvertible, Sendable {
    /// The line.
    public let description: String
    /// Creates the error.
    public init(_ description: String) { self.description = description }
}
