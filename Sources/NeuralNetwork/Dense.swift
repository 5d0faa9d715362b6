import Tensors

/// A fully connected layer, `y = x·Wᵀ + b`, on `[N, inputFeatures]` (any input of rank ≥ 2
/// is flattened per sample, so it can follow a convolution directly).
public final class Dense: DescribedLayer {
    /// `dense` with its sizes.
    public var layerDescription: LayerDescription {
        LayerDescription(op: "dense", name: LayerDescription.prefix(of: weight), settings: ["in": Double(inputFeatures), "out": Double(outputFeatures)])
    }


    /// Weights `[outputFeatures, inputFeatures]`.
    public let weight: Parameter
    /// Bias `[outputFeatures]`.
    public let bias: Parameter
    /// Features per input sample.
    public let inputFeatures: Int
    /// Features per output sample.
    public let outputFeatures: Int

    /// Creates the layer with He-uniform weights and zero bias.
    public init(inputFeatures: Int, outputFeatures: Int, name: String = "dense", generator: inout SeededGenerator) {
        precondition(inputFeatures > 0 && outputFeatures > 0,
                     "Dense: invalid arguments inputFeatures \(inputFeatures), outputFeatures \(outputFeatures)")
        self.inputFeatures = inputFeatures
        self.outputFeatures = outputFeatures
        weight = Parameter(
            name: name + ".weight",
            value: Initialization.heUniform(shape: [outputFeatures, inputFeatures], fanIn: inputFeatures, generator: &generator))
        bias = Parameter(name: name + ".bias", value: Tensor(shape: [outputFeatures]))
    }

    /// The weight and the bias.
    public var parameters: [Parameter] { [weight, bias] }

    var label: String { "Dense(\(inputFeatures)→\(outputFeatures))" }

    /// `[N, outputFeatures]` for an input `[N, ...]` holding `inputFeatures` per sample.
    public func outputShape(for s: [Int]) throws(ShapeError) -> [Int] {
        guard s.count >= 2, s.dropFirst().reduce(1, *) == inputFeatures else {
            throw ShapeError(layer: label, message: "expects input [N, \(inputFeatures)] (or [N, ...] with \(inputFeatures) elements per sample), got \(s)")
        }
        return [s[0], outputFeatures]
    }

    /// One GEMM for the whole batch; keeps the input.
    public func forward(_ input: Tensor, tape: Tape?) -> Tensor {
        let outShape = checkedOutputShape(input)
        let batch = input.shape[0]
        var output = Tensor(shape: outShape)
        output.withUnsafeMutablePointer { y in
            bias.value.withUnsafePointer { b in
                for n in 0..<batch { (y + n * outputFeatures).update(from: b, count: outputFeatures) }
            }
            input.withUnsafePointer { x in
                weight.value.withUnsafePointer { w in
                    BLAS.gemm(.none, .transposed, m: batch, n: outputFeatures, k: inputFeatures,
                              a: x, lda: inputFeatures, b: w, ldb: inputFeatures, beta: 1, c: y, ldc: outputFeatures)
                }
            }
        }
        tape?.push(input)
        return output
    }

    /// `dW += dYᵀ·X`, `db += Σ_n dY`, returns `dX = dY·W` in the input's shape.
    public func backward(_ outputGradient: Tensor, tape: Tape) -> Tensor {
        let input = tape.pop(Tensor.self, for: label)
        let batch = input.shape[0]
        requireShape(outputGradient.shape == [batch, outputFeatures], label,
                     "output gradient \(outputGradient.shape) does not match output \([batch, outputFeatures])")
        var inputGradient = Tensor(shape: input.shape)
        outputGradient.withUnsafePointer { dy in
            input.withUnsafePointer { x in
                weight.gradient.withUnsafeMutablePointer { dw in
                    BLAS.gemm(.transposed, .none, m: outputFeatures, n: inputFeatures, k: batch,
                              a: dy, lda: outputFeatures, b: x, ldb: inputFeatures, beta: 1, c: dw, ldc: inputFeatures)
                }
            }
            bias.gradient.withUnsafeMutablePointer { db in
                for n in 0..<batch { for o in 0..<outputFeatures { db[o] += dy[n * outputFeatures + o] } }
            }
            weight.value.withUnsafePointer { w in
                inputGradient.withUnsafeMutablePointer { dx in
                    BLAS.gemm(.none, .none, m: batch, n: inputFeatures, k: outputFeatures,
                              a: dy, lda: outputFeatures, b: w, ldb: inputFeatures, c: dx, ldc: inputFeatures)
                }
            }
        }
        return inputGradient
    }
}
