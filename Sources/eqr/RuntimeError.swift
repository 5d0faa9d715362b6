/// A failure while a command runs (a missing or unreadable file, a model that does not fit,
/// an encoder error): printed as one line, exit status 1, without the usage text. Argument
/// mistakes are `ValidationError`s instead (usage, exit status 64).
struct RuntimeError: Error, CustomStringConvertible {
    /// The message.
    var description: String

    init(_ description: String) { self.description = description }
}
