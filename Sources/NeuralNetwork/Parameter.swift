import Tensors

/// A trainable tensor and the gradient accumulated for it by backward passes.
public final class Parameter {
    /// A stable name (e.g. `"f.conv1.weight"`), used in checkpoints and messages.
    public var name: String
    /// The current value.
    public var value: Tensor
    /// The accumulated gradient of the loss with respect to `value`, same shape.
    public var gradient: Tensor

    /// Creates a parameter with a zero gradient.
    public init(name: String, value: Tensor) {
        self.name = name
        self.value = value
        self.gradient = Tensor(shape: value.shape)
    }

    /// Resets the gradient to zero.
    public func zeroGradient() { gradient.zero() }
}
