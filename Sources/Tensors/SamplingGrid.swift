/// Where the pixels of an output image sample their source under a sampling matrix θ
/// (normalised coordinates in [−1, 1] at pixel centres, output point → source point, the
/// convention of T^z and of the spatial transformer), at any image size.
public enum SamplingGrid {
    /// Output pixel (x, y) of a `width`×`height` image: its normalised position (u, v) and
    /// the source position (fx, fy) in pixels that θ (`e`, six entries, row-major 2×3) maps it to.
    @inlinable
    public static func map(_ e: [Float], x: Int, y: Int, width: Int, height: Int) -> (u: Float, v: Float, fx: Float, fy: Float) {
        let u = (2 * Float(x) + 1) / Float(width) - 1, v = (2 * Float(y) + 1) / Float(height) - 1
        let su = e[0] * u + e[1] * v + e[2], sv = e[3] * u + e[4] * v + e[5]
        return (u, v, ((su + 1) * Float(width) - 1) / 2, ((sv + 1) * Float(height) - 1) / 2)
    }
}
