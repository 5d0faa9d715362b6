/// The libswscale resampling algorithm used when frames are resized (the `flags` of
/// libavfilter's `scale` filter).
public enum ScaleAlgorithm: String, Sendable, CaseIterable {
    /// Nearest neighbour: fastest, blocky.
    case nearest = "neighbor"
    /// Bilinear.
    case bilinear
    /// Bicubic (FFmpeg's default for `scale`).
    case bicubic
    /// Area averaging: the best choice for strong downscaling (e.g. 640×480 → 128×128).
    case area
    /// Lanczos: sharpest, slowest.
    case lanczos
}
