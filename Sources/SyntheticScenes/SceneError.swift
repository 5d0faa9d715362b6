/// Errors raised when a scene generator or one of its banks is built from bad settings or
/// bad caller-supplied images.
public enum SceneError: Error, CustomStringConvertible, Equatable {
    /// A configuration value is out of range; the message names the value.
    case invalidConfiguration(String)
    /// A caller-supplied image or cut-out has the wrong shape or values; the message says which.
    case invalidImage(String)

    /// A readable message naming the offending value.
    public var description: String {
        switch self {
        case .invalidConfiguration(let message): return "invalid scene configuration: \(message)"
        case .invalidImage(let message): return "invalid scene image: \(message)"
        }
    }
}
