import Tensors

/// An affine spatial transformer: warps every channel of an NCHW feature map by a
/// per-sample 2×3 matrix θ (affine grid + bilinear sampling), like PyTorch's
/// `affine_grid` + `grid_sample(mode="bilinear", padding_mode="zeros", align_corners=False)`.
/// The forward pass is `BilinearSampler.warp` (Tensors); this type adds shape checks, the
/// tape and the backward pass.
///
/// **Convention.** Coordinates are normalised to [−1, 1] with pixel centres: pixel `i` of
/// `n` sits at `u = (2i + 1)/n − 1`. θ maps an **output** location to the **input**
/// location it samples (inverse warping): for output pixel (i, j) at `(x_o, y_o)`,
///
///     x_s = θ₀₀·x_o + θ₀₁·y_o + θ₀₂,    y_s = θ₁₀·x_o + θ₁₁·y_o + θ₁₂,
///
/// in input pixel units `p_x = ((x_s + 1)·W − 1)/2`, `p_y = ((y_s + 1)·H − 1)/2`. With
/// `x₀ = ⌊p_x⌋`, `a = p_x − x₀` (likewise `y₀`, `b`), the output is
///
///     out = (1−a)(1−b)·v(y₀,x₀) + a(1−b)·v(y₀,x₀+1) + (1−a)b·v(y₀+1,x₀) + ab·v(y₀+1,x₀+1),
///
/// where `v` is 0 outside the input (zero padding). To move content by an affine A, sample
/// with A⁻¹. θ is stored row-major as 6 numbers per sample: `[θ₀₀, θ₀₁, θ₀₂, θ₁₀, θ₁₁, θ₁₂]`.
///
/// **Backward.** The input gradient scatters `dout` with the same four weights. For θ:
/// `∂out/∂p_x = (1−b)(v₀₁ − v₀₀) + b(v₁₁ − v₁₀)`, `∂out/∂p_y = (1−a)(v₁₀ − v₀₀) + a(v₁₁ − v₀₁)`,
/// `∂p_x/∂x_s = W/2`, `∂p_y/∂y_s = H/2`, and `∂x_s/∂θ₀ = (x_o, y_o, 1)`, `∂y_s/∂θ₁ = (x_o, y_o, 1)`;
/// summed over channels and output pixels. (The sampling is piecewise bilinear in θ: the
/// derivative is exact inside each pixel cell and one-sided on cell boundaries.)
public struct SpatialTransformer: Sendable {
    /// Output height and width; `nil` keeps the input's.
    public var outputSize: (height: Int, width: Int)?

    /// Creates a transformer.
    public init(outputSize: (height: Int, width: Int)? = nil) { self.outputSize = outputSize }

    /// The identity θ.
    public static let identity: [Float] = [1, 0, 0, 0, 1, 0]

    struct Record { var input: Tensor; var theta: Tensor }

    /// Checks `input` `[N, C, H, W]` against `theta` `[N, 6]` (or `[N, 2, 3]`) and returns the
    /// output shape.
    public func outputShape(input: [Int], theta: [Int]) throws(ShapeError) -> [Int] {
        let label = "SpatialTransformer"
        guard input.count == 4, input[2] > 0, input[3] > 0 else {
            throw ShapeError(layer: label, message: "expects input [N, C, H, W], got \(input)")
        }
        guard theta.first == input[0], theta.dropFirst().reduce(1, *) == 6, theta.count >= 2 else {
            throw ShapeError(layer: label, message: "expects theta [\(input[0]), 6] or [\(input[0]), 2, 3] for input \(input), got \(theta)")
        }
        let (oh, ow) = outputSize ?? (input[2], input[3])
        guard oh > 0, ow > 0 else { throw ShapeError(layer: label, message: "output size \(oh)×\(ow) is empty") }
        return [input[0], input[1], oh, ow]
    }

    /// Warps every sample of `input` by its θ (`BilinearSampler.warp`); with a tape, keeps
    /// input and θ.
    public func forward(input: Tensor, theta: Tensor, tape: Tape?) -> Tensor {
        let outShape: [Int]
        do { outShape = try outputShape(input: input.shape, theta: theta.shape) } catch { preconditionFailure(error.description) }
        let output = BilinearSampler.warp(input, theta: theta, outputSize: (outShape[2], outShape[3]))
        tape?.push(Record(input: input, theta: theta))
        return output
    }

    /// Returns the gradients with respect to the input map and to θ (θ's gradient has θ's shape).
    public func backward(_ outputGradient: Tensor, tape: Tape) -> (input: Tensor, theta: Tensor) {
        let record = tape.pop(Record.self, for: "SpatialTransformer")
        let input = record.input, theta = record.theta
        let outShape: [Int]
        do { outShape = try outputShape(input: input.shape, theta: theta.shape) } catch { preconditionFailure(error.description) }
        requireShape(outputGradient.shape == outShape, "SpatialTransformer",
                     "output gradient \(outputGradient.shape) does not match output \(outShape)")
        let n = input.shape[0], c = input.shape[1], h = input.shape[2], w = input.shape[3], oh = outShape[2], ow = outShape[3]
        var inputGradient = Tensor(shape: input.shape)
        var planeThetaGradients = [Double](repeating: 0, count: n * c * 6)
        inputGradient.withUnsafeMutablePointer { dinAll in
            input.withUnsafePointer { inAll in
                theta.withUnsafePointer { thetaAll in
                    outputGradient.withUnsafePointer { doutAll in
                        planeThetaGradients.withUnsafeMutableBufferPointer { dThetaPlanes in
                            Parallel.forEach(n * c) { plane in
                                let t = thetaAll + (plane / c) * 6
                                let v = inAll + plane * h * w, dv = dinAll + plane * h * w
                                let dout = doutAll + plane * oh * ow
                                var d = (0.0, 0.0, 0.0, 0.0, 0.0, 0.0)
                                for i in 0..<oh {
                                    let yo = Float(2 * i + 1) / Float(oh) - 1
                                    for j in 0..<ow {
                                        let g = dout[i * ow + j]
                                        if g == 0 { continue }
                                        let xo = Float(2 * j + 1) / Float(ow) - 1
                                        let s = Sample(t, xo, yo, h, w)
                                        s.scatter(g, into: dv)
                                        let (dpx, dpy) = s.positionGradient(v)
                                        let dxs = Double(g * dpx * Float(w) / 2), dys = Double(g * dpy * Float(h) / 2)
                                        d.0 += dxs * Double(xo); d.1 += dxs * Double(yo); d.2 += dxs
                                        d.3 += dys * Double(xo); d.4 += dys * Double(yo); d.5 += dys
                                    }
                                }
                                let o = plane * 6
                                dThetaPlanes[o] = d.0; dThetaPlanes[o + 1] = d.1; dThetaPlanes[o + 2] = d.2
                                dThetaPlanes[o + 3] = d.3; dThetaPlanes[o + 4] = d.4; dThetaPlanes[o + 5] = d.5
                            }
                        }
                    }
                }
            }
        }
        var thetaGradient = Tensor(shape: theta.shape)
        for sample in 0..<n {
            for k in 0..<6 {
                var total = 0.0
                for channel in 0..<c { total += planeThetaGradients[(sample * c + channel) * 6 + k] }
                thetaGradient.scalars[sample * 6 + k] = Float(total)
            }
        }
        return (inputGradient, thetaGradient)
    }
}

/// One bilinear sample for the backward pass: the four neighbouring input pixels and their
/// weights, at the position `BilinearSampler` computes for the same output pixel (same
/// arithmetic and clamping), so the gradients belong to the forward pass.
private struct Sample {
    let x0: Int, y0: Int, a: Float, b: Float, h: Int, w: Int

    @inline(__always)
    init(_ t: UnsafePointer<Float>, _ xo: Float, _ yo: Float, _ h: Int, _ w: Int) {
        let xs = t[0] * xo + t[1] * yo + t[2], ys = t[3] * xo + t[4] * yo + t[5]
        // Clamp far-away coordinates so the integer conversion cannot overflow; anything
        // beyond one pixel outside samples only zeros either way. NaN samples zeros too.
        let rawX = ((xs + 1) * Float(w) - 1) / 2, rawY = ((ys + 1) * Float(h) - 1) / 2
        let px = rawX.isNaN ? -2 : min(max(rawX, -2), Float(w) + 1)
        let py = rawY.isNaN ? -2 : min(max(rawY, -2), Float(h) + 1)
        let fx = px.rounded(.down), fy = py.rounded(.down)
        x0 = Int(fx); y0 = Int(fy); a = px - fx; b = py - fy
        self.h = h; self.w = w
    }

    @inline(__always)
    func value(_ v: UnsafePointer<Float>, _ y: Int, _ x: Int) -> Float {
        (y >= 0 && y < h && x >= 0 && x < w) ? v[y * w + x] : 0
    }

    @inline(__always)
    func scatter(_ g: Float, into dv: UnsafeMutablePointer<Float>) {
        add(dv, y0, x0, g * (1 - a) * (1 - b)); add(dv, y0, x0 + 1, g * a * (1 - b))
        add(dv, y0 + 1, x0, g * (1 - a) * b); add(dv, y0 + 1, x0 + 1, g * a * b)
    }

    @inline(__always)
    func add(_ dv: UnsafeMutablePointer<Float>, _ y: Int, _ x: Int, _ g: Float) {
        if y >= 0 && y < h && x >= 0 && x < w { dv[y * w + x] += g }
    }

    /// `(∂out/∂p_x, ∂out/∂p_y)`.
    @inline(__always)
    func positionGradient(_ v: UnsafePointer<Float>) -> (Float, Float) {
        let v00 = value(v, y0, x0), v01 = value(v, y0, x0 + 1)
        let v10 = value(v, y0 + 1, x0), v11 = value(v, y0 + 1, x0 + 1)
        return ((1 - b) * (v01 - v00) + b * (v11 - v10), (1 - a) * (v10 - v00) + a * (v11 - v01))
    }
}
