import NeuralNetwork
import Tensors

/// `features`: θ_z regressed from the character features (f(x), f(x')) by a localisation net
/// on the channel stack [N, 2C', R/4, R/4]; starts at the identity. Its gradient flows back
/// into f, so it reuses (and shapes) the character encoder.
public final class FeaturesTransform: TransformVariant {
    public static let name = "features"
    public static let summary = "T^z is regressed from the feature pair (f(x), f(x')) (trains on any video)"
    public static let needsKnownMotion = false
    public static let readsCharacterFeatures = true

    private let network: Sequential
    private let featureChannels: Int
    /// The `pose` output: a heatmap per frame instead of a regression on the pair.
    private let usesPose: Bool

    public init(configuration c: ModelConfiguration, generator: inout SeededGenerator) {
        featureChannels = c.featureChannels
        usesPose = c.transformOutput == .pose
        network = usesPose
            ? Networks.heatmap("t.features", inputChannels: c.featureChannels, keypoints: 4, &generator)
            : Networks.localisation("t.features", inputChannels: 2 * c.featureChannels, inputSize: c.featureSize, convolutions: [64], output: c.transformOutput, &generator)
    }

    public var parameters: [Parameter] { network.parameters }

    /// The network's layers.
    public var networkDescription: [LayerDescription]? { network.layerDescription.layers }

    public func theta(for inputs: TransformInputs, tape: Tape?) throws -> Tensor {
        guard let features = inputs.characterFeatures, let nextFeatures = inputs.nextCharacterFeatures else {
            throw ModelError.invalidInput("the `features` variant needs the character features of both frames")
        }
        guard usesPose else { return network.forward(.concatenatingChannels([features, nextFeatures]), tape: tape) }
        // The same keypoint detectors run on x and x'.
        let (theta, record) = PoseEstimate.theta(logits: network.forward(.concatenatingBatches([features, nextFeatures]), tape: tape))
        tape?.push(record)
        return theta
    }

    public func backward(_ thetaGradient: Tensor, tape: Tape) -> (characterFeatures: Tensor, nextCharacterFeatures: Tensor)? {
        if usesPose {
            let record = tape.pop(PoseEstimate.Record.self, for: "pose estimate")
            let input = network.backward(PoseEstimate.backward(thetaGradient, record), tape: tape)
            return (input.batches(0..<record.count), input.batches(record.count..<(2 * record.count)))
        }
        let parts = network.backward(thetaGradient, tape: tape).splittingChannels([featureChannels, featureChannels])
        return (parts[0], parts[1])
    }
}
