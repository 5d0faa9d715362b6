import Tensors

/// A residual block: `y = x + body(x)`, the body keeping the input's shape.
///
/// The identity path lets a deep renderer start as (nearly) the layers around it and add
/// detail only where its body learns some; with the body's last layer started small, a
/// block added to a trained network changes its output little at first.
public final class Residual: DescribedLayer {
    /// `residual` around its body's layers.
    public var layerDescription: LayerDescription { LayerDescription(op: "residual", layers: body.layerDescription.layers) }


    /// The layers whose output is added to the input.
    public let body: Sequential

    /// A block around `body`, which must map a shape to itself.
    public init(_ body: [Layer]) { self.body = Sequential(body) }

    /// The body's parameters.
    public var parameters: [Parameter] { body.parameters }

    /// The input shape, when the body keeps it; otherwise a `ShapeError`.
    public func outputShape(for inputShape: [Int]) throws(ShapeError) -> [Int] {
        let bodyShape = try body.outputShape(for: inputShape)
        guard bodyShape == inputShape else {
            throw ShapeError(layer: "Residual", message: "the body maps \(inputShape) to \(bodyShape); a residual body must keep the shape")
        }
        return inputShape
    }

    /// `x + body(x)`; the body records its own tape entries.
    public func forward(_ input: Tensor, tape: Tape?) -> Tensor {
        _ = checkedOutputShape(input)
        var output = body.forward(input, tape: tape)
        output += input
        return output
    }

    /// `dx = dy + body'(dy)`.
    public func backward(_ outputGradient: Tensor, tape: Tape) -> Tensor {
        var inputGradient = body.backward(outputGradient, tape: tape)
        inputGradient += outputGradient
        return inputGradient
    }
}
