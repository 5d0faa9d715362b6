import NeuralNetwork

/// Where the feature-space transform T^z comes from (the research note's three variations).
public enum TransformSource: String, CaseIterable, Codable, Sendable {
    /// T^z is a learned function of the known pixel transform T^x (R⁶ → R⁶), initialised so
    /// that T^z = T^x exactly. Needs the transform at training time (synthetic scenes).
    case given
    /// T^z is regressed from the frame pair (x, x') by a localisation net; trains on raw video.
    case pixels
    /// T^z is regressed from the feature pair (f(x), f(x')); reuses the character encoder.
    case features
}

/// The architecture of an equivariant renderer: everything needed to rebuild the layers.
public struct ModelConfiguration: Equatable, Codable, Sendable {
    /// Frame side in pixels (frames are square), a multiple of 8.
    public var resolution: Int
    /// Channels C' of the feature maps of f and h (spatial size resolution/4).
    public var featureChannels: Int
    /// Channels of the full-resolution layers.
    public var baseChannels: Int
    /// GroupNorm groups (divides both channel counts).
    public var groups: Int
    /// The T^z variant.
    public var transformSource: TransformSource

    /// Creates a configuration; defaults follow the prototype in DESIGN.md.
    public init(resolution: Int = 64, featureChannels: Int = 64, baseChannels: Int = 32, groups: Int = 8, transformSource: TransformSource) {
        self.resolution = resolution
        self.featureChannels = featureChannels
        self.baseChannels = baseChannels
        self.groups = groups
        self.transformSource = transformSource
    }

    /// Side of the feature maps: resolution / 4.
    public var featureSize: Int { resolution / 4 }

    /// Throws a `ModelError.invalidConfiguration` naming the bad value.
    public func validate() throws {
        guard resolution >= 16, resolution <= 1024, resolution % 8 == 0 else {
            throw ModelError.invalidConfiguration("resolution must be a multiple of 8 in 16...1024, got \(resolution)")
        }
        guard featureChannels > 0, featureChannels <= 1024, baseChannels > 0, baseChannels <= 1024 else {
            throw ModelError.invalidConfiguration("channel counts must be in 1...1024, got features \(featureChannels), base \(baseChannels)")
        }
        guard groups > 0, featureChannels % groups == 0, baseChannels % groups == 0 else {
            throw ModelError.invalidConfiguration("groups (\(groups)) must divide featureChannels (\(featureChannels)) and baseChannels (\(baseChannels))")
        }
    }
}

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
