/// An effect description that cannot be parsed: the message names the bad key or value and
/// the allowed range.
public struct EffectError: Error, CustomStringConvertible, Equatable {
    /// What is wrong.
    public var message: String
    /// Creates an error.
    public init(_ message: String) { self.message = message }
    /// The message.
    public var description: String { message }
}
