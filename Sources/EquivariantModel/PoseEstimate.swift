import Foundation
import Tensors

/// θ_z from where the character is: a soft-argmax over a heatmap of each frame's character
/// features gives a position μ and a spread v, and the pair's motion is the translation
/// μ → μ' with the isotropic scale s = √(v'/v) about it (no rotation):
/// `θ_z = [1/s, 0, μx − μ'x/s; 0, 1/s, μy − μ'y/s]` (the sampling matrix of that motion).
///
/// The translation is bounded by construction (μ is a weighted mean of positions in the
/// frame), and it is a difference of *where* the same detector fires in both frames, so a
/// detector that fires on the character yields its motion; this is the `pose` output of the
/// `features` variant (`TransformOutput.pose`).
enum PoseEstimate {
    /// Added to both spreads so the scale stays finite for a peaked heatmap.
    static let spreadFloor: Float = 1e-3

    /// What the backward pass needs.
    struct Record {
        var probabilities: Tensor  // [2N, S²]
        var positions: [Float]  // [S², 2] pixel centres in normalised coordinates
        var means: [Float]  // [2N, 2]
        var spreads: [Float]  // [2N]
        var count: Int
    }

    /// Pixel centres of an S×S map in normalised coordinates, x then y, row-major.
    static func positions(size: Int) -> [Float] {
        var out = [Float](repeating: 0, count: size * size * 2)
        for y in 0..<size { for x in 0..<size {
            out[(y * size + x) * 2] = Float(2 * x + 1) / Float(size) - 1
            out[(y * size + x) * 2 + 1] = Float(2 * y + 1) / Float(size) - 1
        } }
        return out
    }

    /// θ [N, 6] from heatmap logits [2N, 1, S, S] (the N frames, then the N next frames).
    static func theta(logits: Tensor) -> (theta: Tensor, record: Record) {
        precondition(logits.rank == 4 && logits.shape[1] == 1 && logits.shape[0] % 2 == 0, "PoseEstimate: logits \(logits.shape)")
        let batch = logits.shape[0], n = batch / 2, size = logits.shape[2], cells = size * logits.shape[3]
        precondition(logits.shape[2] == logits.shape[3], "PoseEstimate: square maps only")
        let c = positions(size: size)
        var p = Tensor(shape: [batch, cells])
        var means = [Float](repeating: 0, count: batch * 2), spreads = [Float](repeating: 0, count: batch)
        logits.withUnsafePointer { l in
            p.withUnsafeMutablePointer { q in
                for b in 0..<batch {
                    let row = l + b * cells, out = q + b * cells
                    var peak = -Float.infinity
                    for i in 0..<cells { peak = max(peak, row[i]) }
                    var sum: Float = 0
                    for i in 0..<cells { out[i] = expf(row[i] - peak); sum += out[i] }
                    var mx: Float = 0, my: Float = 0, second: Float = 0
                    for i in 0..<cells {
                        out[i] /= sum
                        mx += out[i] * c[2 * i]
                        my += out[i] * c[2 * i + 1]
                        second += out[i] * (c[2 * i] * c[2 * i] + c[2 * i + 1] * c[2 * i + 1])
                    }
                    means[2 * b] = mx
                    means[2 * b + 1] = my
                    spreads[b] = max(second - mx * mx - my * my, 0)
                }
            }
        }
        var theta = Tensor(shape: [n, 6])
        theta.withUnsafeMutablePointer { t in
            for s in 0..<n {
                let scale = ((spreads[n + s] + spreadFloor) / (spreads[s] + spreadFloor)).squareRoot()
                t[6 * s] = 1 / scale
                t[6 * s + 1] = 0
                t[6 * s + 2] = means[2 * s] - means[2 * (n + s)] / scale
                t[6 * s + 3] = 0
                t[6 * s + 4] = 1 / scale
                t[6 * s + 5] = means[2 * s + 1] - means[2 * (n + s) + 1] / scale
            }
        }
        return (theta, Record(probabilities: p, positions: c, means: means, spreads: spreads, count: n))
    }

    /// The gradient of the logits [2N, 1, S, S] from dL/dθ [N, 6].
    static func backward(_ thetaGradient: Tensor, _ r: Record, size: Int) -> Tensor {
        let n = r.count, cells = size * size
        // dL/dμ, dL/dv for every frame.
        var dMean = [Float](repeating: 0, count: 4 * n), dSpread = [Float](repeating: 0, count: 2 * n)
        thetaGradient.withUnsafePointer { g in
            for s in 0..<n {
                let a = r.spreads[s] + spreadFloor, b = r.spreads[n + s] + spreadFloor
                let scale = (b / a).squareRoot()
                let g0 = g[6 * s], g2 = g[6 * s + 2], g4 = g[6 * s + 4], g5 = g[6 * s + 5]
                let mxNext = r.means[2 * (n + s)], myNext = r.means[2 * (n + s) + 1]
                // θ0 = θ4 = 1/s; θ2 = μx − μ'x/s; θ5 = μy − μ'y/s.
                let dScale = -(g0 + g4) / (scale * scale) + (g2 * mxNext + g5 * myNext) / (scale * scale)
                dMean[2 * s] = g2
                dMean[2 * s + 1] = g5
                dMean[2 * (n + s)] = -g2 / scale
                dMean[2 * (n + s) + 1] = -g5 / scale
                // s = √(b/a): ds/db = s/(2b), ds/da = −s/(2a).
                dSpread[n + s] = dScale * scale / (2 * b)
                dSpread[s] = -dScale * scale / (2 * a)
            }
        }
        var dLogits = Tensor(shape: [2 * n, 1, size, size])
        dLogits.withUnsafeMutablePointer { d in
            r.probabilities.withUnsafePointer { p in
                for f in 0..<(2 * n) {
                    let row = p + f * cells, out = d + f * cells
                    let mx = r.means[2 * f], my = r.means[2 * f + 1]
                    // v = Σ p|c|² − |μ|², so ∂v/∂p_i = |c_i|² − 2μ·c_i (μ's own dependence included).
                    var weighted: Float = 0
                    for i in 0..<cells {
                        let cx = r.positions[2 * i], cy = r.positions[2 * i + 1]
                        let gi = dMean[2 * f] * cx + dMean[2 * f + 1] * cy + dSpread[f] * (cx * cx + cy * cy - 2 * (mx * cx + my * cy))
                        out[i] = gi
                        weighted += row[i] * gi
                    }
                    // Softmax: dlogit_i = p_i (g_i − Σ_j p_j g_j).
                    for i in 0..<cells { out[i] = row[i] * (out[i] - weighted) }
                }
            }
        }
        return dLogits
    }
}
