import NeuralNetwork
import Tensors

/// An encoder (f or h): frames → ``FeatureMaps``.
///
/// The `stem` runs at the frame's size R; the `body` takes its output down to the coarse maps
/// at R/s. A two-level encoder also has a `fineHead`, a linear convolution of the stem's output
/// that is the fine level at R. The fine head starts at zero, so a two-level model starts
/// exactly as the one-level model whose weights it copies.
public final class FeatureEncoder {
    /// The layers at the frame's size.
    public let stem: Sequential
    /// The layers from the stem's output to the coarse maps.
    public let body: Sequential
    /// The fine level's head (two-level encoders only).
    public let fineHead: Conv2D?

    /// An encoder from its parts.
    public init(stem: Sequential, body: Sequential, fineHead: Conv2D?) {
        self.stem = stem
        self.body = body
        self.fineHead = fineHead
    }

    /// The trainable parameters: stem, body, then the fine head (so a one-level encoder's
    /// order is that of its layers).
    public var parameters: [Parameter] { stem.parameters + body.parameters + (fineHead?.parameters ?? []) }

    /// Encodes frames; with a tape, records what ``backwardParameters(_:tape:)`` needs.
    public func forward(_ frames: Tensor, tape: Tape?) -> FeatureMaps {
        let early = stem.forward(frames, tape: tape)
        let coarse = body.forward(early, tape: tape)
        return FeatureMaps(coarse: coarse, fine: fineHead?.forward(early, tape: tape))
    }

    /// Inference: the feature maps without recording anything.
    public func callAsFunction(_ frames: Tensor) -> FeatureMaps { forward(frames, tape: nil) }

    /// Accumulates the parameter gradients for the gradient of the loss with respect to the
    /// output (the frames need none).
    public func backwardParameters(_ gradient: FeatureMaps, tape: Tape) {
        precondition((gradient.fine == nil) == (fineHead == nil), "FeatureEncoder: the gradient's levels do not match the encoder")
        // The tape pops in reverse: the fine head (recorded last), the body, the stem.
        let fromFine = fineHead.map { $0.backward(gradient.fine!, tape: tape) }
        var dEarly = body.backward(gradient.coarse, tape: tape)
        if let fromFine { dEarly += fromFine }
        stem.backwardParameters(dEarly, tape: tape)
    }
}
