import Tensors

#if canImport(Glibc)
import Glibc
#endif

/// An element-wise activation `y = φ(x)` whose derivative is computed from what it kept.
private func mapElements(_ input: Tensor, _ body: (Float) -> Float) -> Tensor {
    var output = input
    output.withUnsafeMutablePointer { y in
        input.withUnsafePointer { x in for i in 0..<input.count { y[i] = body(x[i]) } }
    }
    return output
}

/// `dx = dy · φ'(saved)`, element by element.
private func chainElements(_ gradient: Tensor, _ saved: Tensor, layer: String, _ derivative: (Float) -> Float) -> Tensor {
    requireShape(gradient.shape == saved.shape, layer, "output gradient \(gradient.shape) does not match output \(saved.shape)")
    var result = gradient
    result.withUnsafeMutablePointer { d in
        saved.withUnsafePointer { s in for i in 0..<gradient.count { d[i] *= derivative(s[i]) } }
    }
    return result
}

/// Rectified linear unit, `max(0, x)`.
public final class ReLU: Layer {
    /// Creates the activation.
    public init() {}
    /// Any shape is accepted and kept.
    public func outputShape(for inputShape: [Int]) throws(ShapeError) -> [Int] { inputShape }
    /// `max(0, x)`; keeps the output.
    public func forward(_ input: Tensor, tape: Tape?) -> Tensor {
        let output = mapElements(input) { max($0, 0) }
        tape?.push(output)
        return output
    }
    /// Passes the gradient where the output was positive.
    public func backward(_ outputGradient: Tensor, tape: Tape) -> Tensor {
        chainElements(outputGradient, tape.pop(Tensor.self, for: "ReLU"), layer: "ReLU") { $0 > 0 ? 1 : 0 }
    }
}

/// Leaky rectified linear unit, `x` for `x > 0` else `slope · x`.
public final class LeakyReLU: Layer {
    /// The slope for negative inputs.
    public let slope: Float
    /// Creates the activation; `slope` must be in [0, 1).
    public init(slope: Float = 0.2) {
        precondition(slope >= 0 && slope < 1, "LeakyReLU: slope must be in [0, 1), got \(slope)")
        self.slope = slope
    }
    /// Any shape is accepted and kept.
    public func outputShape(for inputShape: [Int]) throws(ShapeError) -> [Int] { inputShape }
    /// Applies the activation; keeps the output (its sign equals the input's).
    public func forward(_ input: Tensor, tape: Tape?) -> Tensor {
        let a = slope
        let output = mapElements(input) { $0 > 0 ? $0 : a * $0 }
        tape?.push(output)
        return output
    }
    /// Scales the gradient by 1 or `slope`.
    public func backward(_ outputGradient: Tensor, tape: Tape) -> Tensor {
        let a = slope
        return chainElements(outputGradient, tape.pop(Tensor.self, for: "LeakyReLU"), layer: "LeakyReLU") { $0 > 0 ? 1 : a }
    }
}

/// Logistic sigmoid, `1 / (1 + e^(−x))`, mapping to (0, 1) (the renderer's last layer).
public final class Sigmoid: Layer {
    /// Creates the activation.
    public init() {}
    /// Any shape is accepted and kept.
    public func outputShape(for inputShape: [Int]) throws(ShapeError) -> [Int] { inputShape }
    /// Applies the sigmoid; keeps the output.
    public func forward(_ input: Tensor, tape: Tape?) -> Tensor {
        let output = mapElements(input) { 1 / (1 + expf(-$0)) }
        tape?.push(output)
        return output
    }
    /// `dx = dy · y · (1 − y)`.
    public func backward(_ outputGradient: Tensor, tape: Tape) -> Tensor {
        chainElements(outputGradient, tape.pop(Tensor.self, for: "Sigmoid"), layer: "Sigmoid") { $0 * (1 - $0) }
    }
}
