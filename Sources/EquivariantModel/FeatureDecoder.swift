import NeuralNetwork
import Tensors

/// A network that reads ``FeatureMaps`` level by level (the renderer g, the coverage head):
/// `tail(coarse(z.coarse) + z.fine)`. `coarse` ends at the frame's size R, where a two-level
/// model's fine maps join; a one-level network is `tail ∘ coarse`.
public final class FeatureDecoder {
    /// The layers from the coarse maps up to the frame's size.
    public let coarse: Sequential
    /// The layers after the fine level joins.
    public let tail: Sequential
    /// Whether the network reads a fine level.
    public let readsFineLevel: Bool

    /// A decoder from its parts.
    public init(coarse: Sequential, tail: Sequential, readsFineLevel: Bool) {
        self.coarse = coarse
        self.tail = tail
        self.readsFineLevel = readsFineLevel
    }

    /// The trainable parameters, in the order of the layers.
    public var parameters: [Parameter] { coarse.parameters + tail.parameters }

    /// Decodes feature maps (with a fine level exactly when ``readsFineLevel``).
    public func forward(_ maps: FeatureMaps, tape: Tape?) -> Tensor {
        precondition((maps.fine != nil) == readsFineLevel, "FeatureDecoder: feature maps with\(maps.fine == nil ? "out" : "") a fine level for a network that reads \(readsFineLevel ? "two levels" : "one")")
        var joined = coarse.forward(maps.coarse, tape: tape)
        if let fine = maps.fine { joined += fine }
        return tail.forward(joined, tape: tape)
    }

    /// Inference: the output without recording anything.
    public func callAsFunction(_ maps: FeatureMaps) -> Tensor { forward(maps, tape: nil) }

    /// Accumulates parameter gradients and returns the gradient with respect to the input maps.
    public func backward(_ gradient: Tensor, tape: Tape) -> FeatureMaps {
        let dJoined = tail.backward(gradient, tape: tape)
        return FeatureMaps(coarse: coarse.backward(dJoined, tape: tape), fine: readsFineLevel ? dJoined : nil)
    }
}
