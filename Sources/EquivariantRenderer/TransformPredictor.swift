import NeuralNetwork
import Tensors

/// Produces the feature-space sampling matrices θ_z ([N, 6]) for one of the three variants.
///
/// - `given`: θ_z = W·θ_x + b, with θ_x the sampling matrix of the known pixel transform
///   (the inverse of the motion T^x) and W = I, b = 0 at initialisation, so T^z = T^x
///   exactly at the start (normalised coordinates are shared by frames and feature maps).
/// - `pixels`: a localisation net on the channel stack (x, x') [N, 6, R, R].
/// - `features`: a localisation net on the channel stack (f(x), f(x')) [N, 2C', R/4, R/4];
///   its gradient flows back into f.
public final class TransformPredictor {
    /// The variant.
    public let source: TransformSource
    /// The layers (a single 6→6 dense layer for `given`).
    public let network: Layer
    private let featureChannels: Int

    init(_ c: ModelConfiguration, _ g: inout SeededGenerator) {
        source = c.transformSource
        featureChannels = c.featureChannels
        switch c.transformSource {
        case .given:
            let map = Dense(inputFeatures: 6, outputFeatures: 6, name: "t.given", generator: &g)
            map.weight.value = Tensor(shape: [6, 6], scalars: (0..<36).map { $0 % 7 == 0 ? 1 : 0 })
            network = map
        case .pixels:
            network = Networks.localisation("t.pixels", inputChannels: 6, inputSize: c.resolution, convolutions: [16, 32, 32], &g)
        case .features:
            network = Networks.localisation("t.features", inputChannels: 2 * c.featureChannels, inputSize: c.featureSize, convolutions: [64], &g)
        }
    }

    /// The trainable parameters.
    public var parameters: [Parameter] { network.parameters }

    /// What the predictor reads, by variant.
    public enum Input {
        /// Sampling matrices θ_x of the known pixel transforms, [N, 6].
        case known(Tensor)
        /// The frame pair (x, x').
        case frames(Tensor, Tensor)
        /// The character features of the pair (f(x), f(x')).
        case features(Tensor, Tensor)
    }

    /// θ_z for a batch, [N, 6].
    func forward(_ input: Input, tape: Tape?) -> Tensor {
        switch (source, input) {
        case (.given, .known(let theta)): return network.forward(theta, tape: tape)
        case (.pixels, .frames(let x, let next)): return network.forward(.concatenatingChannels([x, next]), tape: tape)
        case (.features, .features(let fx, let fNext)): return network.forward(.concatenatingChannels([fx, fNext]), tape: tape)
        default: preconditionFailure("TransformPredictor(\(source)): wrong input \(input)")
        }
    }

    /// Accumulates parameter gradients; for `features` returns the gradients with respect to
    /// (f(x), f(x')), else nil.
    func backward(_ thetaGradient: Tensor, tape: Tape) -> (Tensor, Tensor)? {
        let inputGradient = network.backward(thetaGradient, tape: tape)
        guard source == .features else { return nil }
        let parts = inputGradient.splittingChannels([featureChannels, featureChannels])
        return (parts[0], parts[1])
    }
}
