/// How a caller's 8-bit pixels are laid out.
public enum PixelLayout: Sendable, Equatable {
    /// Four bytes per pixel: red, green, blue, alpha.
    case rgba8
    /// Three bytes per pixel: red, green, blue.
    case rgb8
    /// Planar YUV 4:2:0 (I420, BT.601 limited range, as encoders take it): the luma plane
    /// (`stride` bytes a row, `height` rows), then U and V at half size each way (rounded up),
    /// `(stride + 1) / 2` bytes a row. An output layout: the pipeline renders straight into
    /// what an H.264 encoder takes, without a full-size RGB → YUV conversion.
    case yuv420p

    /// Bytes per pixel of the first plane (all of a packed layout).
    public var bytesPerPixel: Int {
        switch self {
        case .rgba8: return 4
        case .rgb8: return 3
        case .yuv420p: return 1
        }
    }

    /// Bytes of a `width`×`height` image in this layout without row padding.
    public func byteCount(width: Int, height: Int) -> Int {
        guard self == .yuv420p else { return width * height * bytesPerPixel }
        return width * height + 2 * ((width + 1) / 2) * ((height + 1) / 2)
    }
}
