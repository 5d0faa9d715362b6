/// Bilinear affine resampling of NCHW maps: the forward pass of an affine spatial transformer,
/// like PyTorch's `affine_grid` + `grid_sample(mode="bilinear", padding_mode="zeros",
/// align_corners=False)`. NeuralNetwork's `SpatialTransformer` (which adds the backward pass)
/// and the synthetic scene generator both warp with it.
///
/// **Convention.** Coordinates are normalised to [−1, 1] with pixel centres: pixel `i` of
/// `n` sits at `u = (2i + 1)/n − 1`. θ maps an **output** location to the **input** location
/// it samples (inverse warping): for output pixel (i, j) at `(x_o, y_o)`,
///
///     x_s = θ₀₀·x_o + θ₀₁·y_o + θ₀₂,    y_s = θ₁₀·x_o + θ₁₁·y_o + θ₁₂,
///
/// in input pixel units `p_x = ((x_s + 1)·W − 1)/2`, `p_y = ((y_s + 1)·H − 1)/2` (clamped to
/// [−2, W + 1] and [−2, H + 1], NaN to −2, which samples the same zeros). With
/// `x₀ = ⌊p_x⌋`, `a = p_x − x₀` (likewise `y₀`, `b`), the output is
///
///     out = (1−b)·((1−a)·v(y₀,x₀) + a·v(y₀,x₀+1)) + b·((1−a)·v(y₀+1,x₀) + a·v(y₀+1,x₀+1)),
///
/// evaluated in exactly this order in float32, where `v` is 0 outside the input (zero
/// padding). To move content by an affine A, sample with A⁻¹. θ holds 6 numbers per sample,
/// row-major: `[θ₀₀, θ₀₁, θ₀₂, θ₁₀, θ₁₁, θ₁₂]`.
///
/// **Speed.** Each output pixel's source position and weights are computed once and shared
/// by all channels; pixels whose four neighbours are all inside the input skip the bounds
/// checks, and pixels whose four neighbours are all outside are written as zeros. The work
/// is split over samples × output rows (`Parallel`); every element is computed by the same
/// arithmetic whatever the split, so the result does not depend on the thread count.
public enum BilinearSampler {
    /// Warps every sample of `input` `[N, C, H, W]` by its θ (`theta` `[N, 6]` or
    /// `[N, 2, 3]`) into `[N, C, outputSize.height, outputSize.width]`; `nil` keeps H × W.
    ///
    /// - Precondition: `input` has rank 4 with H, W > 0, `theta` holds 6 numbers per sample,
    ///   and the output size is positive.
    public static func warp(_ input: Tensor, theta: Tensor, outputSize: (height: Int, width: Int)? = nil) -> Tensor {
        precondition(input.rank == 4 && input.shape[2] > 0 && input.shape[3] > 0,
                     "BilinearSampler: expects input [N, C, H, W] with H, W > 0, got \(input.shape)")
        let n = input.shape[0], c = input.shape[1], h = input.shape[2], w = input.shape[3]
        precondition(theta.shape.first == n && theta.count == n * 6,
                     "BilinearSampler: expects theta [\(n), 6] or [\(n), 2, 3] for input \(input.shape), got \(theta.shape)")
        let (oh, ow) = outputSize ?? (h, w)
        precondition(oh > 0 && ow > 0, "BilinearSampler: output size \(oh)×\(ow) is empty")
        let plane = h * w, outPlane = oh * ow
        let foh = Float(oh), fow = Float(ow)
        var output = Tensor(shape: [n, c, oh, ow])
        output.withUnsafeMutablePointer { outAll in
            input.withUnsafePointer { inAll in
                theta.withUnsafePointer { thetaAll in
                    Parallel.forEach(n * oh) { item in
                        let sample = item / oh, i = item % oh
                        let t = thetaAll + sample * 6
                        let v = inAll + sample * c * plane, out = outAll + sample * c * outPlane + i * ow
                        let yo = Float(2 * i + 1) / foh - 1
                        withUnsafeTemporaryAllocation(of: Tap.self, capacity: ow) { taps in
                            // The row's source positions, shared by all channels.
                            for j in 0..<ow {
                                taps[j] = Tap(theta: t, xo: Float(2 * j + 1) / fow - 1, yo: yo, h: h, w: w)
                            }
                            // Plane by plane, so reads and writes stay within one channel.
                            for channel in 0..<c {
                                let p = v + channel * plane, o = out + channel * outPlane
                                for j in 0..<ow {
                                    let tap = taps[j]
                                    switch tap.inside {
                                    case Tap.all:
                                        let q = p + tap.offset
                                        o[j] = tap.blend(q[0], q[1], q[w], q[w + 1])
                                    case 0:
                                        o[j] = 0
                                    default:
                                        o[j] = tap.blendPartial(p, w: w)
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        return output
    }

    /// One output pixel's source: the flat index of its top-left neighbour `y₀·W + x₀`, the
    /// bilinear weights, and which of the four neighbours lie inside the input.
    private struct Tap {
        var offset: Int
        var a: Float, b: Float, oneMinusA: Float, oneMinusB: Float
        var inside: UInt8

        static let topLeft: UInt8 = 1, topRight: UInt8 = 2, bottomLeft: UInt8 = 4, bottomRight: UInt8 = 8
        static let all: UInt8 = 15

        /// The source of output location `(xo, yo)` under `theta` in an `h × w` input.
        @inline(__always)
        init(theta t: UnsafePointer<Float>, xo: Float, yo: Float, h: Int, w: Int) {
            let fw = Float(w), fh = Float(h)
            let xs = t[0] * xo + t[1] * yo + t[2], ys = t[3] * xo + t[4] * yo + t[5]
            // Clamp far-away coordinates so the integer conversion cannot overflow; anything
            // beyond one pixel outside samples only zeros either way.
            let rawX = ((xs + 1) * fw - 1) / 2, rawY = ((ys + 1) * fh - 1) / 2
            let px = rawX.isNaN ? -2 : min(max(rawX, -2), fw + 1)
            let py = rawY.isNaN ? -2 : min(max(rawY, -2), fh + 1)
            let fx = px.rounded(.down), fy = py.rounded(.down)
            let x0 = Int(fx), y0 = Int(fy)
            let x0In = x0 >= 0 && x0 < w, x1In = x0 + 1 >= 0 && x0 + 1 < w
            let y0In = y0 >= 0 && y0 < h, y1In = y0 + 1 >= 0 && y0 + 1 < h
            var inside: UInt8 = 0
            if y0In && x0In { inside |= Tap.topLeft }
            if y0In && x1In { inside |= Tap.topRight }
            if y1In && x0In { inside |= Tap.bottomLeft }
            if y1In && x1In { inside |= Tap.bottomRight }
            offset = y0 * w + x0
            a = px - fx; b = py - fy; oneMinusA = 1 - a; oneMinusB = 1 - b
            self.inside = inside
        }

        /// The bilinear blend of the four neighbours (in the documented order of operations).
        @inline(__always)
        func blend(_ v00: Float, _ v01: Float, _ v10: Float, _ v11: Float) -> Float {
            oneMinusB * (oneMinusA * v00 + a * v01) + b * (oneMinusA * v10 + a * v11)
        }

        /// The blend when only some neighbours of plane `p` (width `w`) are inside; the rest count as 0.
        @inline(__always)
        func blendPartial(_ p: UnsafePointer<Float>, w: Int) -> Float {
            let k = offset
            return blend(inside & Tap.topLeft != 0 ? p[k] : 0, inside & Tap.topRight != 0 ? p[k + 1] : 0,
                         inside & Tap.bottomLeft != 0 ? p[k + w] : 0, inside & Tap.bottomRight != 0 ? p[k + w + 1] : 0)
        }
    }
}
