import Tensors

/// Doubles the height and width of an NCHW batch.
///
/// `nearest` repeats every pixel 2×2. `bilinear` interpolates with the pixel-centre
/// convention (PyTorch `align_corners=False`): output pixel `o` samples input coordinate
/// `(o + 0.5)/2 − 0.5`, clamped to the edge (``BilinearDoubling``). Backward is the adjoint:
/// each input pixel receives the weighted sum of the gradients of the output pixels it fed.
public final class Upsample2x: DescribedLayer {
    /// `upsample2x` with its mode.
    public var layerDescription: LayerDescription { LayerDescription(op: "upsample2x", mode: mode.rawValue) }


    /// How new pixels are computed.
    public enum Mode: String, Sendable {
        /// Copy the nearest input pixel.
        case nearest
        /// Bilinear interpolation between the two nearest pixel centres on each axis.
        case bilinear
    }

    /// The interpolation used.
    public let mode: Mode

    /// Creates the layer.
    public init(mode: Mode = .nearest) { self.mode = mode }

    /// `[N, C, 2H, 2W]` for `[N, C, H, W]`.
    public func outputShape(for s: [Int]) throws(ShapeError) -> [Int] {
        guard s.count == 4, s[2] > 0, s[3] > 0 else {
            throw ShapeError(layer: "Upsample2x(\(mode))", message: "expects input [N, C, H, W], got \(s)")
        }
        return [s[0], s[1], 2 * s[2], 2 * s[3]]
    }

    /// Upsamples every channel plane (planes in parallel).
    public func forward(_ input: Tensor, tape: Tape?) -> Tensor {
        let outShape = checkedOutputShape(input)
        let h = input.shape[2], w = input.shape[3], oh = 2 * h, ow = 2 * w, bilinear = mode == .bilinear
        let output = Self.mapPlanes(input, to: outShape) { x, y in
            if bilinear {
                BilinearDoubling.forward(x, height: h, width: w, into: y)
            } else {
                for oy in 0..<oh {
                    let source = x + (oy / 2) * w, row = y + oy * ow
                    for ox in 0..<ow { row[ox] = source[ox / 2] }
                }
            }
        }
        tape?.push(input.shape)
        return output
    }

    /// Gathers into each input pixel the gradients of the output pixels it fed.
    public func backward(_ outputGradient: Tensor, tape: Tape) -> Tensor {
        let inShape = tape.pop([Int].self, for: "Upsample2x")
        let h = inShape[2], w = inShape[3], oh = 2 * h, ow = 2 * w, bilinear = mode == .bilinear
        requireShape(outputGradient.shape == [inShape[0], inShape[1], oh, ow], "Upsample2x(\(mode))",
                     "output gradient \(outputGradient.shape) does not match output \([inShape[0], inShape[1], oh, ow])")
        return Self.mapPlanes(outputGradient, to: inShape) { dy, dx in
            if bilinear {
                BilinearDoubling.backward(dy, height: h, width: w, into: dx)
            } else {
                for i in 0..<h {
                    let even = dy + 2 * i * ow, odd = even + ow, row = dx + i * w
                    for j in 0..<w { row[j] = (even[2 * j] + even[2 * j + 1]) + (odd[2 * j] + odd[2 * j + 1]) }
                }
            }
        }
    }

    /// A new tensor of `shape` written plane by plane (the planes in parallel): `body` gets
    /// each `[H, W]` plane of `source` and the matching plane of the result.
    static func mapPlanes(
        _ source: Tensor, to shape: [Int], _ body: (UnsafePointer<Float>, UnsafeMutablePointer<Float>) -> Void
    ) -> Tensor {
        let planes = shape[0] * shape[1], from = source.shape[2] * source.shape[3], to = shape[2] * shape[3]
        var result = Tensor(uninitializedShape: shape)
        result.withUnsafeMutablePointer { out in
            source.withUnsafePointer { input in
                Parallel.forEach(planes) { plane in body(input + plane * from, out + plane * to) }
            }
        }
        return result
    }
}
