import NeuralNetwork
import Tensors

/// `pixels`: θ_z regressed from the frame pair (x, x') by a localisation net on the channel
/// stack [N, 6, R, R]; starts at the identity. Trains on raw video.
public final class PixelsTransform: TransformVariant {
    public static let name = "pixels"
    public static let summary = "T^z is regressed from the frame pair (x, x') (trains on any video)"
    public static let needsKnownMotion = false

    private let network: Sequential

    public init(configuration c: ModelConfiguration, generator: inout SeededGenerator) {
        network = Networks.localisation("t.pixels", inputChannels: 6, inputSize: c.resolution, convolutions: [16, 32, 32], output: c.transformOutput, &generator)
    }

    public var parameters: [Parameter] { network.parameters }

    public func theta(for inputs: TransformInputs, tape: Tape?) throws -> Tensor {
        network.forward(.concatenatingChannels([inputs.frames, inputs.nextFrames]), tape: tape)
    }

    public func backward(_ thetaGradient: Tensor, tape: Tape) -> (characterFeatures: Tensor, nextCharacterFeatures: Tensor)? {
        network.backwardParameters(thetaGradient, tape: tape)
        return nil
    }
}
