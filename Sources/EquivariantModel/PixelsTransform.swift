import NeuralNetwork
import Tensors

/// `pixels`: θ_z regressed from the frame pair (x, x') by a localisation net on the channel
/// stack [N, 6, R, R]; starts at the identity. Trains on raw video. With the `aligned` output
/// there is no network: θ_z aligns the pair itself (``PairAlignment``).
public final class PixelsTransform: TransformVariant {
    public static let name = "pixels"
    public static let summary = "T^z is regressed from the frame pair (x, x') (trains on any video)"
    public static let needsKnownMotion = false

    /// The localisation net; nil for the `aligned` output.
    private let network: Sequential?

    public init(configuration c: ModelConfiguration, generator: inout SeededGenerator) {
        network = c.transformOutput == .aligned ? nil : Networks.localisation("t.pixels", inputChannels: 6, inputSize: c.resolution, convolutions: [16, 32, 32], output: c.transformOutput, &generator)
    }

    public var parameters: [Parameter] { network?.parameters ?? [] }

    /// The network's layers.
    public var networkDescription: [LayerDescription]? { network?.layerDescription.layers }

    public func theta(for inputs: TransformInputs, tape: Tape?) throws -> Tensor {
        guard let network else { return PairAlignment.theta(frames: inputs.frames, nextFrames: inputs.nextFrames) }
        return network.forward(.concatenatingChannels([inputs.frames, inputs.nextFrames]), tape: tape)
    }

    public func backward(_ thetaGradient: Tensor, tape: Tape) -> (characterFeatures: Tensor, nextCharacterFeatures: Tensor)? {
        network?.backwardParameters(thetaGradient, tape: tape)
        return nil
    }
}
