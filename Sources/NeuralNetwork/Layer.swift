import Tensors

/// A differentiable function of one tensor with (possibly) trainable parameters.
///
/// `backward` receives the gradient of the loss with respect to the layer's output,
/// **adds** the gradients of its parameters into `Parameter.gradient`, and returns the
/// gradient with respect to the layer's input.
public protocol Layer: AnyObject {
    /// The trainable parameters, in a fixed order.
    var parameters: [Parameter] { get }

    /// The output shape for an input shape, or a `ShapeError` naming the layer and shapes.
    func outputShape(for inputShape: [Int]) throws(ShapeError) -> [Int]

    /// Computes the output; when `tape` is given, pushes what `backward` will need.
    func forward(_ input: Tensor, tape: Tape?) -> Tensor

    /// Pops this layer's record from `tape`, accumulates parameter gradients and returns
    /// the input gradient.
    func backward(_ outputGradient: Tensor, tape: Tape) -> Tensor

    /// Like ``backward(_:tape:)`` for a layer whose input needs no gradient (the data a
    /// network starts from): pops the record and accumulates parameter gradients only, so a
    /// layer can skip the input gradient's work.
    func backwardParameters(_ outputGradient: Tensor, tape: Tape)
}

/// Layers that say what they compute, so a checkpoint can describe its networks as data
/// (``LayerDescription``) for other frameworks.
public protocol DescribedLayer: Layer {
    /// The operation, its settings and the name of its tensors.
    var layerDescription: LayerDescription { get }
}

extension Layer {
    /// Inference: the output without recording anything.
    public func callAsFunction(_ input: Tensor) -> Tensor { forward(input, tape: nil) }

    /// Layers without parameters report none.
    public var parameters: [Parameter] { [] }

    /// By default, the full backward with its input gradient dropped.
    public func backwardParameters(_ outputGradient: Tensor, tape: Tape) {
        _ = backward(outputGradient, tape: tape)
    }
}

/// Layers applied one after the other.
public final class Sequential: DescribedLayer {
    /// The layers, in application order.
    public let layers: [Layer]

    /// Creates a chain of layers.
    public init(_ layers: [Layer]) { self.layers = layers }

    /// The shape after every layer, or the first layer's complaint.
    public func outputShape(for inputShape: [Int]) throws(ShapeError) -> [Int] {
        var shape = inputShape
        for layer in layers { shape = try layer.outputShape(for: shape) }
        return shape
    }

    /// All parameters of all layers, in order.
    public var parameters: [Parameter] { layers.flatMap(\.parameters) }

    /// The inner layers in order (a layer that cannot describe itself shows as `unknown`).
    public var layerDescription: LayerDescription {
        LayerDescription(op: "sequential", layers: layers.map { ($0 as? DescribedLayer)?.layerDescription ?? LayerDescription(op: "unknown") })
    }

    /// Applies every layer in order.
    public func forward(_ input: Tensor, tape: Tape?) -> Tensor {
        layers.reduce(input) { $1.forward($0, tape: tape) }
    }

    /// Runs every layer's backward in reverse order.
    public func backward(_ outputGradient: Tensor, tape: Tape) -> Tensor {
        layers.reversed().reduce(outputGradient) { $1.backward($0, tape: tape) }
    }

    /// Runs every layer's backward in reverse order; the first layer computes no input gradient.
    public func backwardParameters(_ outputGradient: Tensor, tape: Tape) {
        guard let first = layers.first else { return }
        first.backwardParameters(layers.dropFirst().reversed().reduce(outputGradient) { $1.backward($0, tape: tape) }, tape: tape)
    }
}

/// A tensor shape that a layer cannot accept, or an invalid layer argument.
public struct ShapeError: Error, CustomStringConvertible, Equatable {
    /// The layer that refused, with its configuration (e.g. `Conv2D(3→32, 3×3, stride 1)`).
    public var layer: String
    /// What is wrong, naming the shapes involved.
    public var message: String

    /// Creates an error.
    public init(layer: String, message: String) {
        self.layer = layer
        self.message = message
    }

    /// `"<layer>: <message>"`.
    public var description: String { "\(layer): \(message)" }
}

extension Layer {
    /// The output shape for `input`, stopping the program with the layer's message when the
    /// shape is wrong (a programming error, caught before any BLAS call).
    func checkedOutputShape(_ input: Tensor) -> [Int] { checkedOutputShape(for: input.shape) }

    /// `outputShape(for:)` of an input shape this layer has already accepted.
    func checkedOutputShape(for shape: [Int]) -> [Int] {
        do { return try outputShape(for: shape) } catch { preconditionFailure(error.description) }
    }
}

/// Stops with a message naming the layer when a backward argument has the wrong shape.
@inline(__always)
func requireShape(_ condition: Bool, _ layer: @autoclosure () -> String, _ message: @autoclosure () -> String) {
    if !condition { preconditionFailure("\(layer()): \(message())") }
}
