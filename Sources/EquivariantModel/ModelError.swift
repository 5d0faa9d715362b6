/// Errors of model construction, checkpoints and inference inputs.
public enum ModelError: Error, CustomStringConvertible, Equatable {
    /// A configuration value is out of range.
    case invalidConfiguration(String)
    /// An input tensor has the wrong shape or non-finite values.
    case invalidInput(String)
    /// The operation needs another T^z variant.
    case unsupportedOperation(String)
    /// A checkpoint file is unreadable, inconsistent or of another kind.
    case invalidCheckpoint(String)

    /// A readable message.
    public var description: String {
        switch self {
        case .invalidConfiguration(let m): return "invalid model configuration: \(m)"
        case .invalidInput(let m): return "invalid input: \(m)"
        case .unsupportedOperation(let m): return "unsupported operation: \(m)"
        case .invalidCheckpoint(let m): return "invalid checkpoint: \(m)"
        }
    }
}
