import Foundation
import Tensors

/// θ_z from where the character is: K heatmaps on each frame's character features give K
/// keypoints (soft-argmax positions μ_k), and the pair's motion is the affine map that
/// carries the keypoints of x onto those of x' (least squares, pulled towards the identity
/// by a ridge λ): with centred keypoints X = [μ_k − μ̄], Y = [μ'_k − μ̄'],
/// `A = (YᵀX + λI)(XᵀX + λI)⁻¹`, the motion `p ↦ A(p − μ̄) + μ̄'`, and
/// `θ_z = [A⁻¹ | μ̄ − A⁻¹μ̄']`, its sampling matrix.
///
/// The translation is bounded by construction (keypoints are weighted means of positions in
/// the frame) and it follows *where* the same detectors fire in both frames, so detectors
/// that fire on the character yield its motion; this is the `pose` output of the `features`
/// variant (`TransformOutput.pose`).
public enum PoseEstimate {
    /// The ridge λ: with keypoints closer together than about √λ the estimate stays near the
    /// identity instead of amplifying noise.
    static let ridge: Float = 0.01

    /// θ_z [N, 6] of the motion from frames to next frames given their keypoint heatmap
    /// logits [2N, K, S, S] (the N frames first).
    public static func theta(fromHeatmaps logits: Tensor) -> Tensor { theta(logits: logits).theta }

    /// What the backward pass needs.
    struct Record {
        var probabilities: Tensor  // [2N·K, S²]
        var positions: [Float]  // [S², 2] pixel centres in normalised coordinates
        var keypoints: [Float]  // [2N, K, 2]
        var count: Int  // N
        var keypointCount: Int  // K
        var size: Int  // S
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

    /// A 2×2 matrix, row-major.
    struct M2 {
        var a, b, c, d: Float
        static let identity = M2(a: 1, b: 0, c: 0, d: 1)
        static func + (l: M2, r: M2) -> M2 { M2(a: l.a + r.a, b: l.b + r.b, c: l.c + r.c, d: l.d + r.d) }
        static func - (l: M2, r: M2) -> M2 { M2(a: l.a - r.a, b: l.b - r.b, c: l.c - r.c, d: l.d - r.d) }
        static func * (l: M2, r: M2) -> M2 {
            M2(a: l.a * r.a + l.b * r.c, b: l.a * r.b + l.b * r.d, c: l.c * r.a + l.d * r.c, d: l.c * r.b + l.d * r.d)
        }
        static func * (l: M2, s: Float) -> M2 { M2(a: l.a * s, b: l.b * s, c: l.c * s, d: l.d * s) }
        var transposed: M2 { M2(a: a, b: c, c: b, d: d) }
        var inverse: M2 {
            let det = a * d - b * c
            return M2(a: d / det, b: -b / det, c: -c / det, d: a / det)
        }
        func apply(_ x: Float, _ y: Float) -> (Float, Float) { (a * x + b * y, c * x + d * y) }
    }

    /// Per sample: the keypoint means and the matrices of the fit.
    struct Fit {
        var meanX: (Float, Float), meanY: (Float, Float)
        var p: M2, q: M2, b: M2  // P = YᵀX + λI, Q = XᵀX + λI, B = A⁻¹ = Q P⁻¹
    }

    /// Σ_k u_k v_kᵀ over centred keypoint lists (flat x, y pairs).
    static func outer(_ u: [Float], _ v: [Float]) -> M2 {
        var m = M2(a: 0, b: 0, c: 0, d: 0)
        for k in stride(from: 0, to: u.count, by: 2) {
            m.a += u[k] * v[k]; m.b += u[k] * v[k + 1]
            m.c += u[k + 1] * v[k]; m.d += u[k + 1] * v[k + 1]
        }
        return m
    }

    /// Centred keypoints of frame f and their mean.
    static func centred(_ keypoints: [Float], frame f: Int, count k: Int) -> (points: [Float], mean: (Float, Float)) {
        var mx: Float = 0, my: Float = 0
        for j in 0..<k { mx += keypoints[(f * k + j) * 2]; my += keypoints[(f * k + j) * 2 + 1] }
        mx /= Float(k); my /= Float(k)
        var out = [Float](repeating: 0, count: 2 * k)
        for j in 0..<k { out[2 * j] = keypoints[(f * k + j) * 2] - mx; out[2 * j + 1] = keypoints[(f * k + j) * 2 + 1] - my }
        return (out, (mx, my))
    }

    static func fit(_ r: Record, sample s: Int) -> (fit: Fit, x: [Float], y: [Float]) {
        let (x, meanX) = centred(r.keypoints, frame: s, count: r.keypointCount)
        let (y, meanY) = centred(r.keypoints, frame: r.count + s, count: r.keypointCount)
        let ridge = M2.identity * Self.ridge
        let p = outer(y, x) + ridge, q = outer(x, x) + ridge
        return (Fit(meanX: meanX, meanY: meanY, p: p, q: q, b: q * p.inverse), x, y)
    }

    /// θ [N, 6] from heatmap logits [2N, K, S, S] (the N frames, then the N next frames).
    static func theta(logits: Tensor) -> (theta: Tensor, record: Record) {
        precondition(logits.rank == 4 && logits.shape[0] % 2 == 0 && logits.shape[2] == logits.shape[3], "PoseEstimate: logits \(logits.shape)")
        let frames = logits.shape[0], k = logits.shape[1], size = logits.shape[2], cells = size * size
        let c = positions(size: size)
        var p = Tensor(shape: [frames * k, cells])
        var keypoints = [Float](repeating: 0, count: frames * k * 2)
        logits.withUnsafePointer { l in
            p.withUnsafeMutablePointer { q in
                for m in 0..<(frames * k) {
                    let row = l + m * cells, out = q + m * cells
                    var peak = -Float.infinity
                    for i in 0..<cells { peak = max(peak, row[i]) }
                    var sum: Float = 0
                    for i in 0..<cells { out[i] = expf(row[i] - peak); sum += out[i] }
                    var mx: Float = 0, my: Float = 0
                    for i in 0..<cells {
                        out[i] /= sum
                        mx += out[i] * c[2 * i]
                        my += out[i] * c[2 * i + 1]
                    }
                    keypoints[2 * m] = mx
                    keypoints[2 * m + 1] = my
                }
            }
        }
        let record = Record(probabilities: p, positions: c, keypoints: keypoints, count: frames / 2, keypointCount: k, size: size)
        var theta = Tensor(shape: [frames / 2, 6])
        theta.withUnsafeMutablePointer { t in
            for s in 0..<(frames / 2) {
                let f = fit(record, sample: s).fit
                let (bx, by) = f.b.apply(f.meanY.0, f.meanY.1)
                t[6 * s] = f.b.a; t[6 * s + 1] = f.b.b; t[6 * s + 2] = f.meanX.0 - bx
                t[6 * s + 3] = f.b.c; t[6 * s + 4] = f.b.d; t[6 * s + 5] = f.meanX.1 - by
            }
        }
        return (theta, record)
    }

    /// The gradient of the logits [2N, K, S, S] from dL/dθ [N, 6].
    static func backward(_ thetaGradient: Tensor, _ r: Record) -> Tensor {
        let n = r.count, k = r.keypointCount, cells = r.size * r.size
        var dKeypoints = [Float](repeating: 0, count: 2 * n * k * 2)
        thetaGradient.withUnsafePointer { g in
            for s in 0..<n {
                let (f, x, y) = fit(r, sample: s)
                let dT = (g[6 * s + 2], g[6 * s + 5])
                // θ_t = μ̄ − Bμ̄': dμ̄ = dθ_t, dμ̄' = −Bᵀdθ_t, and dB gains −dθ_t μ̄'ᵀ.
                let dMeanX = dT
                let dMeanY = f.b.transposed.apply(-dT.0, -dT.1)
                let dB = M2(a: g[6 * s] - dT.0 * f.meanY.0, b: g[6 * s + 1] - dT.0 * f.meanY.1,
                            c: g[6 * s + 3] - dT.1 * f.meanY.0, d: g[6 * s + 4] - dT.1 * f.meanY.1)
                // B = Q P⁻¹: dQ = dB P⁻ᵀ; d(P⁻¹) = Qᵀ dB; dP = −P⁻ᵀ d(P⁻¹) P⁻ᵀ.
                let pInverseT = f.p.inverse.transposed
                let dQ = dB * pInverseT
                let dP = (pInverseT * (f.q.transposed * dB) * pInverseT) * -1
                // Q = XᵀX + λI, P = YᵀX + λI (X rows are keypoints): dX = X(dQ + dQᵀ) + Y dP, dY = X dPᵀ.
                let dQs = dQ + dQ.transposed, dPt = dP.transposed
                var dX = [Float](repeating: 0, count: 2 * k), dY = dX
                for j in 0..<k {
                    let (ax, ay) = dQs.transposed.apply(x[2 * j], x[2 * j + 1])  // row xᵀ·M = (Mᵀx)ᵀ
                    let (bx, by) = dP.transposed.apply(y[2 * j], y[2 * j + 1])
                    dX[2 * j] = ax + bx; dX[2 * j + 1] = ay + by
                    let (cx, cy) = dPt.transposed.apply(x[2 * j], x[2 * j + 1])
                    dY[2 * j] = cx; dY[2 * j + 1] = cy
                }
                // Centring: dμ_k = dX_k − mean(dX) + dμ̄/K.
                for (frame, d, dMean) in [(s, dX, dMeanX), (n + s, dY, dMeanY)] {
                    var sx: Float = 0, sy: Float = 0
                    for j in 0..<k { sx += d[2 * j]; sy += d[2 * j + 1] }
                    for j in 0..<k {
                        dKeypoints[(frame * k + j) * 2] = d[2 * j] - sx / Float(k) + dMean.0 / Float(k)
                        dKeypoints[(frame * k + j) * 2 + 1] = d[2 * j + 1] - sy / Float(k) + dMean.1 / Float(k)
                    }
                }
            }
        }
        var dLogits = Tensor(shape: [2 * n, k, r.size, r.size])
        dLogits.withUnsafeMutablePointer { d in
            r.probabilities.withUnsafePointer { p in
                for m in 0..<(2 * n * k) {
                    let row = p + m * cells, out = d + m * cells
                    let gx = dKeypoints[2 * m], gy = dKeypoints[2 * m + 1]
                    var weighted: Float = 0
                    for i in 0..<cells {
                        out[i] = gx * r.positions[2 * i] + gy * r.positions[2 * i + 1]
                        weighted += row[i] * out[i]
                    }
                    // Softmax: dlogit_i = p_i (g_i − Σ_j p_j g_j).
                    for i in 0..<cells { out[i] = row[i] * (out[i] - weighted) }
                }
            }
        }
        return dLogits
    }
}
