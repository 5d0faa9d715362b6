import Tensors

#if canImport(Glibc)
import Glibc
#endif

/// `y = φ(x)` (`kind` picks φ), element by element, split across the cores for large
/// tensors. φ is chosen per chunk, not passed as a closure: a closure called per element
/// inside the parallel loop is not inlined and cost 5× the loop.
private func mapElements(_ input: Tensor, _ kind: ElementFunction) -> Tensor {
    var output = Tensor(uninitializedShape: input.shape)
    output.withUnsafeMutablePointer { y in
        input.withUnsafePointer { x in
            Parallel.forEachChunk(of: input.count) { range in
                switch kind {
                case .relu: for i in range { y[i] = max(x[i], 0) }
                case .leakyReLU(let a): for i in range { let v = x[i]; y[i] = v > 0 ? v : a * v }
                case .sigmoid: for i in range { y[i] = 1 / (1 + expf(-x[i])) }
                }
            }
        }
    }
    return output
}

/// `dx = dy · φ'` from the kept output, element by element (split as `mapElements`).
private func chainElements(_ gradient: Tensor, _ saved: Tensor, layer: String, _ kind: ElementFunction) -> Tensor {
    requireShape(gradient.shape == saved.shape, layer, "output gradient \(gradient.shape) does not match output \(saved.shape)")
    var result = Tensor(uninitializedShape: gradient.shape)
    result.withUnsafeMutablePointer { d in
        gradient.withUnsafePointer { g in
            saved.withUnsafePointer { s in
                Parallel.forEachChunk(of: gradient.count) { range in
                    switch kind {
                    case .relu: for i in range { d[i] = s[i] > 0 ? g[i] : 0 }
                    case .leakyReLU(let a): for i in range { d[i] = s[i] > 0 ? g[i] : a * g[i] }
                    case .sigmoid: for i in range { let y = s[i]; d[i] = g[i] * y * (1 - y) }
                    }
                }
            }
        }
    }
    return result
}

/// The element-wise functions of this file.
private enum ElementFunction {
    case relu, leakyReLU(slope: Float), sigmoid
}

/// Rectified linear unit, `max(0, x)`.
public final class ReLU: DescribedLayer {
    /// `relu`.
    public var layerDescription: LayerDescription { LayerDescription(op: "relu") }

    /// Creates the activation.
    public init() {}
    /// Any shape is accepted and kept.
    public func outputShape(for inputShape: [Int]) throws(ShapeError) -> [Int] { inputShape }
    /// `max(0, x)`; keeps the output.
    public func forward(_ input: Tensor, tape: Tape?) -> Tensor {
        let output = mapElements(input, .relu)
        tape?.push(output)
        return output
    }
    /// Passes the gradient where the output was positive.
    public func backward(_ outputGradient: Tensor, tape: Tape) -> Tensor {
        chainElements(outputGradient, tape.pop(Tensor.self, for: "ReLU"), layer: "ReLU", .relu)
    }
}

/// Leaky rectified linear unit, `x` for `x > 0` else `slope · x`.
public final class LeakyReLU: DescribedLayer {
    /// `leaky_relu` with its slope.
    public var layerDescription: LayerDescription { LayerDescription(op: "leaky_relu", settings: ["slope": LayerDescription.decimal(slope)]) }

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
        let output = mapElements(input, .leakyReLU(slope: slope))
        tape?.push(output)
        return output
    }
    /// Scales the gradient by 1 or `slope`.
    public func backward(_ outputGradient: Tensor, tape: Tape) -> Tensor {
        chainElements(outputGradient, tape.pop(Tensor.self, for: "LeakyReLU"), layer: "LeakyReLU", .leakyReLU(slope: slope))
    }
}

/// Logistic sigmoid, `1 / (1 + e^(−x))`, mapping to (0, 1) (the renderer's last layer).
public final class Sigmoid: DescribedLayer {
    /// `sigmoid`.
    public var layerDescription: LayerDescription { LayerDescription(op: "sigmoid") }

    /// Creates the activation.
    public init() {}
    /// Any shape is accepted and kept.
    public func outputShape(for inputShape: [Int]) throws(ShapeError) -> [Int] { inputShape }
    /// Applies the sigmoid; keeps the output.
    public func forward(_ input: Tensor, tape: Tape?) -> Tensor {
        let output = mapElements(input, .sigmoid)
        tape?.push(output)
        return output
    }
    /// `dx = dy · y · (1 − y)`.
    public func backward(_ outputGradient: Tensor, tape: Tape) -> Tensor {
        chainElements(outputGradient, tape.pop(Tensor.self, for: "Sigmoid"), layer: "Sigmoid", .sigmoid)
    }
}
