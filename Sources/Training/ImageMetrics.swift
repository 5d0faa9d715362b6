import Tensors

#if canImport(Glibc)
import Glibc
#endif

/// Image-quality metrics on NCHW batches of frames in [0, 1].
public enum ImageMetrics {
    /// Peak signal-to-noise ratio in dB over the whole batch, `10·log10(1 / MSE)` (capped
    /// at 100 dB for identical images).
    public static func psnr(_ a: Tensor, _ b: Tensor) -> Double {
        precondition(a.shape == b.shape, "ImageMetrics.psnr: shapes \(a.shape) and \(b.shape) differ")
        var sum = 0.0
        for i in 0..<a.count {
            let d = Double(a.scalars[i]) - Double(b.scalars[i])
            sum += d * d
        }
        let mse = sum / Double(max(a.count, 1))
        return mse <= 1e-10 ? 100 : 10 * log10(1 / mse)
    }

    /// Mean structural similarity (Wang et al. 2004) over all samples and channels, with an
    /// 11-tap Gaussian window (σ = 1.5), C1 = 0.01², C2 = 0.03², valid region only (as
    /// scikit-image with `gaussian_weights=True`, `data_range=1`).
    public static func ssim(_ a: Tensor, _ b: Tensor) -> Double {
        precondition(a.shape == b.shape && a.rank == 4, "ImageMetrics.ssim: needs equal [N, C, H, W] shapes, got \(a.shape) and \(b.shape)")
        let h = a.shape[2], w = a.shape[3], planes = a.shape[0] * a.shape[1]
        let radius = min(5, (min(h, w) - 1) / 2)
        precondition(radius >= 1, "ImageMetrics.ssim: images of \(h)×\(w) are too small")
        var kernel = (-radius...radius).map { exp(-Double($0 * $0) / (2 * 1.5 * 1.5)) }
        let norm = kernel.reduce(0, +)
        kernel = kernel.map { $0 / norm }
        let c1 = 0.0001, c2 = 0.0009
        var total = 0.0, count = 0
        for plane in 0..<planes {
            let x = Array(a.scalars[(plane * h * w)..<((plane + 1) * h * w)]).map(Double.init)
            let y = Array(b.scalars[(plane * h * w)..<((plane + 1) * h * w)]).map(Double.init)
            let mx = blur(x, h, w, kernel), my = blur(y, h, w, kernel)
            let xx = blur(zip(x, x).map(*), h, w, kernel), yy = blur(zip(y, y).map(*), h, w, kernel), xy = blur(zip(x, y).map(*), h, w, kernel)
            for i in radius..<(h - radius) {
                for j in radius..<(w - radius) {
                    let k = i * w + j
                    let vx = xx[k] - mx[k] * mx[k], vy = yy[k] - my[k] * my[k], cov = xy[k] - mx[k] * my[k]
                    total += ((2 * mx[k] * my[k] + c1) * (2 * cov + c2)) / ((mx[k] * mx[k] + my[k] * my[k] + c1) * (vx + vy + c2))
                    count += 1
                }
            }
        }
        return total / Double(max(count, 1))
    }

    /// Separable Gaussian blur (edges clamped; only the valid region is used by `ssim`).
    private static func blur(_ v: [Double], _ h: Int, _ w: Int, _ k: [Double]) -> [Double] {
        let r = k.count / 2
        var tmp = [Double](repeating: 0, count: h * w), out = tmp
        for i in 0..<h { for j in 0..<w {
            var s = 0.0
            for t in -r...r { s += k[t + r] * v[i * w + min(max(j + t, 0), w - 1)] }
            tmp[i * w + j] = s
        } }
        for i in 0..<h { for j in 0..<w {
            var s = 0.0
            for t in -r...r { s += k[t + r] * tmp[min(max(i + t, 0), h - 1) * w + j] }
            out[i * w + j] = s
        } }
        return out
    }

    /// Mean absolute difference between consecutive frames of a clip, over pixels where
    /// `mask` (same [T, 1, H, W] or nil) is 1: how much a still region flickers.
    public static func temporalChange(_ clip: Tensor, mask: Tensor? = nil) -> Double {
        precondition(clip.rank == 4 && clip.shape[0] >= 2, "ImageMetrics.temporalChange: needs [T ≥ 2, C, H, W], got \(clip.shape)")
        let t = clip.shape[0], c = clip.shape[1], plane = clip.shape[2] * clip.shape[3]
        var sum = 0.0, count = 0
        for f in 1..<t { for ch in 0..<c { for p in 0..<plane {
            if let mask, mask.scalars[f * plane + p] < 0.5 { continue }
            sum += abs(Double(clip.scalars[(f * c + ch) * plane + p]) - Double(clip.scalars[((f - 1) * c + ch) * plane + p]))
            count += 1
        } } }
        return count == 0 ? 0 : sum / Double(count)
    }
}
