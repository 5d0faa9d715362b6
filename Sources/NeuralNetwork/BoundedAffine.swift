import Tensors

#if canImport(Glibc)
import Glibc
#endif

/// Maps six unbounded numbers u [N, 6] to a sampling matrix θ [N, 6] that cannot leave the
/// frame: `θ = [I + s·tanh(u_A) | t·tanh(u_t)]`, each linear entry within `s` of the
/// identity's and each translation within `t` (normalised coordinates, so `t = 1` is half
/// the frame). u = 0 is the identity, so a head that starts at zero starts at T^z = I.
///
/// A free regression can output any θ, and one large step warps the features entirely out
/// of the frame, where zero padding leaves no gradient to come back; this bound is what
/// label-free training needs (see `Trainer`).
public final class BoundedAffine: DescribedLayer {
    /// `bounded_affine` with its two bounds.
    public var layerDescription: LayerDescription {
        LayerDescription(op: "bounded_affine", settings: ["linear": LayerDescription.decimal(linearBound), "translation": LayerDescription.decimal(translationBound)])
    }


    /// The largest change of each linear entry from the identity.
    public let linearBound: Float
    /// The largest translation.
    public let translationBound: Float

    /// Creates the map; both bounds must be positive.
    public init(linearBound: Float = 0.5, translationBound: Float = 1) {
        precondition(linearBound > 0 && translationBound > 0, "BoundedAffine: bounds must be positive")
        self.linearBound = linearBound
        self.translationBound = translationBound
    }

    /// `[N, 6]` in and out.
    public func outputShape(for inputShape: [Int]) throws(ShapeError) -> [Int] {
        guard inputShape.count == 2, inputShape[1] == 6 else {
            throw ShapeError(layer: "BoundedAffine", message: "expects [N, 6], got \(inputShape)")
        }
        return inputShape
    }

    private func bound(_ k: Int) -> Float { k % 3 == 2 ? translationBound : linearBound }

    /// θ from u; keeps tanh(u).
    public func forward(_ input: Tensor, tape: Tape?) -> Tensor {
        requireShape(input.rank == 2 && input.shape[1] == 6, "BoundedAffine", "expects [N, 6], got \(input.shape)")
        var squashed = input, output = input
        squashed.withUnsafeMutablePointer { s in
            output.withUnsafeMutablePointer { o in
                input.withUnsafePointer { u in
                    for i in 0..<input.count {
                        let k = i % 6
                        s[i] = tanhf(u[i])
                        o[i] = SpatialTransformer.identity[k] + bound(k) * s[i]
                    }
                }
            }
        }
        tape?.push(squashed)
        return output
    }

    /// `du = dθ · bound · (1 − tanh²(u))`.
    public func backward(_ outputGradient: Tensor, tape: Tape) -> Tensor {
        let squashed = tape.pop(Tensor.self, for: "BoundedAffine")
        requireShape(outputGradient.shape == squashed.shape, "BoundedAffine", "output gradient \(outputGradient.shape) does not match \(squashed.shape)")
        var result = outputGradient
        result.withUnsafeMutablePointer { d in
            squashed.withUnsafePointer { s in
                for i in 0..<outputGradient.count { d[i] *= bound(i % 6) * (1 - s[i] * s[i]) }
            }
        }
        return result
    }
}
