import NeuralNetwork
import Tensors

/// The forward pass of `SpatialTransformer` (bilinear, zero padding, pixel-centre normalised
/// coordinates, θ = output → input), specialised for scene generation: each output pixel's
/// source position is computed once for all channels, and pixels whose four neighbours are
/// all inside the input skip the bounds checks.
///
/// The arithmetic is the transformer's, operation for operation, so the result is
/// bit-identical to `SpatialTransformer().forward(input:theta:tape: nil)` (a test checks
/// this); it only exists because scene batches are generated on the training hot path.
enum LayerWarp {
    /// Warps `input` `[N, C, H, W]` by `theta` `[N, 6]` into `[N, C, H, W]`.
    static func forward(input: Tensor, theta: Tensor) -> Tensor {
        precondition(input.rank == 4 && theta.shape == [input.shape[0], 6],
                     "LayerWarp: expects input [N, C, H, W] and theta [N, 6], got \(input.shape) and \(theta.shape)")
        let n = input.shape[0], c = input.shape[1], h = input.shape[2], w = input.shape[3], plane = h * w
        var output = Tensor(shape: input.shape)
        output.withUnsafeMutablePointer { outAll in
            input.withUnsafePointer { inAll in
                theta.withUnsafePointer { thetaAll in
                    Parallel.forEach(n) { sample in
                        let t = thetaAll + sample * 6
                        let v = inAll + sample * c * plane, out = outAll + sample * c * plane
                        let fw = Float(w), fh = Float(h)
                        for i in 0..<h {
                            let yo = Float(2 * i + 1) / fh - 1
                            for j in 0..<w {
                                let xo = Float(2 * j + 1) / fw - 1
                                let xs = t[0] * xo + t[1] * yo + t[2], ys = t[3] * xo + t[4] * yo + t[5]
                                let rawX = ((xs + 1) * fw - 1) / 2, rawY = ((ys + 1) * fh - 1) / 2
                                let px = rawX.isNaN ? -2 : min(max(rawX, -2), fw + 1)
                                let py = rawY.isNaN ? -2 : min(max(rawY, -2), fh + 1)
                                let fx = px.rounded(.down), fy = py.rounded(.down)
                                let x0 = Int(fx), y0 = Int(fy), a = px - fx, b = py - fy
                                let o = i * w + j
                                if x0 >= 0 && y0 >= 0 && x0 + 1 < w && y0 + 1 < h {
                                    let k = y0 * w + x0
                                    for ch in 0..<c {
                                        let p = v + ch * plane + k
                                        let v00 = p[0], v01 = p[1], v10 = p[w], v11 = p[w + 1]
                                        out[ch * plane + o] = (1 - b) * ((1 - a) * v00 + a * v01) + b * ((1 - a) * v10 + a * v11)
                                    }
                                } else if x0 < -1 || y0 < -1 || x0 >= w || y0 >= h {
                                    continue  // all four neighbours outside: zeros (already there)
                                } else {
                                    let in00 = y0 >= 0 && x0 >= 0, in01 = y0 >= 0 && x0 + 1 < w
                                    let in10 = y0 + 1 < h && x0 >= 0, in11 = y0 + 1 < h && x0 + 1 < w
                                    let k = y0 * w + x0
                                    for ch in 0..<c {
                                        let p = v + ch * plane
                                        let v00 = in00 ? p[k] : 0, v01 = in01 ? p[k + 1] : 0
                                        let v10 = in10 ? p[k + w] : 0, v11 = in11 ? p[k + w + 1] : 0
                                        out[ch * plane + o] = (1 - b) * ((1 - a) * v00 + a * v01) + b * ((1 - a) * v10 + a * v11)
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
}
