import Tensors

/// The structural-similarity image loss (Wang et al., 2004) over 3×3 windows, as self-supervised
/// depth and layered-video models use it (Monodepth's form): per channel, with window means μ,
/// variances σ² and covariance σ_pt,
/// `SSIM = (2 μp μt + C1)(2 σpt + C2) / ((μp² + μt² + C1)(σp² + σt² + C2))`,
/// over every window wholly inside the image. Unlike a squared error it scores local contrast
/// and structure, so a blurred render that has the right mean colour still costs.
public enum StructuralSimilarity {
    /// Stabilisers for images in [0, 1]: (0.01)² and (0.03)², as in the paper.
    static let c1: Float = 0.0001, c2: Float = 0.0009

    /// `mean((1 − SSIM) / 2)` over every 3×3 window of every channel of every image of the
    /// `[N, C, H, W]` tensors (H, W ≥ 3), and its gradient with respect to `prediction`.
    public static func loss(_ prediction: Tensor, _ target: Tensor) -> (value: Float, gradient: Tensor) {
        precondition(prediction.shape == target.shape,
                     "StructuralSimilarity: prediction \(prediction.shape) and target \(target.shape) differ in shape")
        precondition(prediction.shape.count == 4 && prediction.shape[2] >= 3 && prediction.shape[3] >= 3,
                     "StructuralSimilarity: needs [N, C, H, W] images of at least 3×3, got \(prediction.shape)")
        let height = prediction.shape[2], width = prediction.shape[3], planes = prediction.shape[0] * prediction.shape[1]
        let plane = height * width, windowsHigh = height - 2, windowsWide = width - 2
        let windows = windowsHigh * windowsWide
        // d loss / d SSIM of one window.
        let scale = -0.5 / Float(planes * windows)
        var gradient = Tensor(shape: prediction.shape)
        var totals = [Double](repeating: 0, count: planes)
        prediction.withUnsafePointer { p in
            target.withUnsafePointer { t in
                gradient.withUnsafeMutablePointer { g in
                    totals.withUnsafeMutableBufferPointer { totals in
                        let g = g, totals = totals
                        Parallel.forEach(planes) { index in
                            let p = p + index * plane, t = t + index * plane, g = g + index * plane
                            // Per window: d SSIM / d μp, d SSIM / d mean(p²), d SSIM / d mean(p·t).
                            let dMean = UnsafeMutablePointer<Float>.allocate(capacity: 3 * windows)
                            defer { dMean.deallocate() }
                            let dSquare = dMean + windows, dProduct = dSquare + windows
                            var total = 0.0
                            for wy in 0..<windowsHigh {
                                for wx in 0..<windowsWide {
                                    var sp: Float = 0, st: Float = 0, spp: Float = 0, stt: Float = 0, spt: Float = 0
                                    for dy in 0..<3 {
                                        let row = (wy + dy) * width + wx
                                        for dx in 0..<3 {
                                            let a = p[row + dx], b = t[row + dx]
                                            sp += a; st += b; spp += a * a; stt += b * b; spt += a * b
                                        }
                                    }
                                    let muP = sp / 9, muT = st / 9
                                    let varP = spp / 9 - muP * muP, varT = stt / 9 - muT * muT, cov = spt / 9 - muP * muT
                                    let a = 2 * muP * muT + c1, b = 2 * cov + c2
                                    let e = muP * muP + muT * muT + c1, f = varP + varT + c2
                                    let numerator = a * b, denominator = e * f
                                    total += Double(numerator / denominator)
                                    // S = ab/(ef). Through μp: a' = 2μt, b' = −2μt (via σpt), e' = 2μp, f' = −2μp (via σp²).
                                    let inverse = 1 / denominator
                                    let w = wy * windowsWide + wx
                                    dMean[w] = (2 * muT * b - 2 * muT * a) * inverse - numerator * inverse * inverse * (2 * muP * f - 2 * muP * e)
                                    dSquare[w] = -numerator * inverse * inverse * e       // f' = 1 per mean(p²)
                                    dProduct[w] = 2 * a * inverse                          // b' = 2 per mean(p·t)
                                }
                            }
                            totals[index] = total
                            // Each pixel gathers from the windows that hold it: mean(·) is a 3×3 box / 9.
                            for y in 0..<height {
                                for x in 0..<width {
                                    var gm: Float = 0, gs: Float = 0, gp: Float = 0
                                    for wy in max(y - 2, 0)...min(y, windowsHigh - 1) {
                                        for wx in max(x - 2, 0)...min(x, windowsWide - 1) {
                                            let w = wy * windowsWide + wx
                                            gm += dMean[w]; gs += dSquare[w]; gp += dProduct[w]
                                        }
                                    }
                                    let i = y * width + x
                                    g[i] = scale / 9 * (gm + 2 * p[i] * gs + t[i] * gp)
                                }
                            }
                        }
                    }
                }
            }
        }
        let mean = totals.reduce(0, +) / Double(planes * windows)
        return (Float((1 - mean) / 2), gradient)
    }
}
