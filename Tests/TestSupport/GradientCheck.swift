import NeuralNetwork
import Tensors

/// How far an analytic gradient is from central finite differences.
public struct GradientComparison: CustomStringConvertible {
    /// What was compared (e.g. `"Conv2D input"`).
    public var label: String
    /// `‖analytic − numeric‖ / max(‖analytic‖, ‖numeric‖, 1e-6)`.
    public var relativeError: Double
    /// The largest element-wise absolute difference.
    public var maxAbsoluteDifference: Double
    /// Elements compared.
    public var count: Int

    /// Whether the relative error is within `tolerance`.
    public func passes(_ tolerance: Double) -> Bool { relativeError <= tolerance }

    /// A one-line summary with the figures.
    public var description: String {
        "\(label): relative error \(relativeError), max |Δ| \(maxAbsoluteDifference) over \(count) elements"
    }
}

/// Central finite differences of a scalar function of a tensor, `(f(x+εeᵢ) − f(x−εeᵢ)) / 2ε`.
public func numericalGradient(of f: (Tensor) -> Double, at x: Tensor, epsilon: Float) -> [Double] {
    var probe = x
    return (0..<x.count).map { i in
        let original = probe.scalars[i]
        probe.scalars[i] = original + epsilon
        let plus = f(probe)
        probe.scalars[i] = original - epsilon
        let minus = f(probe)
        probe.scalars[i] = original
        return (plus - minus) / (2 * Double(epsilon))
    }
}

/// Compares an analytic gradient with a numeric one.
public func compare(_ label: String, analytic: Tensor, numeric: [Double]) -> GradientComparison {
    precondition(analytic.count == numeric.count, "compare: \(analytic.count) vs \(numeric.count) elements")
    var difference = 0.0, normA = 0.0, normN = 0.0, maxDifference = 0.0
    for i in 0..<numeric.count {
        let a = Double(analytic.scalars[i]), n = numeric[i]
        difference += (a - n) * (a - n); normA += a * a; normN += n * n
        maxDifference = max(maxDifference, abs(a - n))
    }
    let relative = difference.squareRoot() / max(normA.squareRoot(), normN.squareRoot(), 1e-6)
    return GradientComparison(label: label, relativeError: relative, maxAbsoluteDifference: maxDifference, count: numeric.count)
}

/// `Σ weights ⊙ y` in double precision: a scalar whose gradient with respect to `y` is
/// `weights`, so a backward pass seeded with `weights` gives the gradient of this scalar.
public func projection(_ y: Tensor, _ weights: Tensor) -> Double {
    var total = 0.0
    for i in 0..<y.count { total += Double(y.scalars[i]) * Double(weights.scalars[i]) }
    return total
}

/// Checks a layer's input gradient and every parameter gradient against central
/// differences of `Σ r ⊙ layer(x)` for a random `r`. Returns one comparison per tensor.
public func checkLayerGradients(_ layer: Layer, input: Tensor, epsilon: Float = 1e-2, seed: UInt64 = 7) -> [GradientComparison] {
    var generator = SeededGenerator(seed: seed)
    let output = layer(input)
    let weights = Tensor(shape: output.shape, uniformIn: -1...1, generator: &generator)

    for parameter in layer.parameters { parameter.zeroGradient() }
    let tape = Tape()
    _ = layer.forward(input, tape: tape)
    let inputGradient = layer.backward(weights, tape: tape)
    precondition(tape.count == 0, "checkLayerGradients: backward left \(tape.count) records on the tape")

    var results = [compare(
        "\(type(of: layer)) input",
        analytic: inputGradient,
        numeric: numericalGradient(of: { projection(layer($0), weights) }, at: input, epsilon: epsilon))]
    for parameter in layer.parameters {
        let saved = parameter.value
        let numeric = numericalGradient(of: { value in
            parameter.value = value
            return projection(layer(input), weights)
        }, at: saved, epsilon: epsilon)
        parameter.value = saved
        results.append(compare(parameter.name, analytic: parameter.gradient, numeric: numeric))
    }
    return results
}

/// A random tensor whose elements avoid a band around zero, so kinks of ReLU-like layers
/// are never within a finite-difference step.
public func randomTensor(_ shape: [Int], seed: UInt64, range: ClosedRange<Float> = -1...1, avoidingZeroBy gap: Float = 0) -> Tensor {
    var generator = SeededGenerator(seed: seed)
    var t = Tensor(shape: shape, uniformIn: range, generator: &generator)
    for i in 0..<t.count where abs(t.scalars[i]) < gap { t.scalars[i] = t.scalars[i] < 0 ? -gap : gap }
    return t
}
