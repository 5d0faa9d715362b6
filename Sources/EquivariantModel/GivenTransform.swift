import NeuralNetwork
import Tensors

/// `given`: θ_z = W·θ_x + b, a learned map of the known pixel motion's sampling matrix θ_x
/// (R⁶ → R⁶), with W = I and b = 0 at initialisation so that T^z = T^x exactly at the start
/// (normalised coordinates are shared by frames and feature maps). Needs the true motion of
/// every training pair, so it trains on synthetic scenes.
public final class GivenTransform: TransformVariant {
    public static let name = "given"
    public static let summary = "T^z is a learned function of the known motion T^x (trains on synthetic scenes)"
    public static let needsKnownMotion = true

    private let map: Dense

    public init(configuration: ModelConfiguration, generator: inout SeededGenerator) {
        map = Dense(inputFeatures: 6, outputFeatures: 6, name: "t.given", generator: &generator)
        map.weight.value = Tensor(shape: [6, 6], scalars: (0..<36).map { $0 % 7 == 0 ? 1 : 0 })
    }

    public var parameters: [Parameter] { map.parameters }

    /// The network's layers.
    public var networkDescription: [LayerDescription]? { [map.layerDescription] }

    public func theta(for inputs: TransformInputs, tape: Tape?) throws -> Tensor {
        guard let known = inputs.knownTheta else {
            throw ModelError.invalidInput("the `given` variant needs the true motion of every training pair")
        }
        return map.forward(known, tape: tape)
    }

    public func backward(_ thetaGradient: Tensor, tape: Tape) -> (characterFeatures: Tensor, nextCharacterFeatures: Tensor)? {
        map.backwardParameters(thetaGradient, tape: tape)
        return nil
    }

    public func theta(forKnownTheta thetaX: Tensor) -> Tensor { map.forward(thetaX, tape: nil) }
}
