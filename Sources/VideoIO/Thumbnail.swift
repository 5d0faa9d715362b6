/// A small RGB24 picture of a decoded frame, made by ``VideoReader`` from the decoded
/// picture in its own pixel format in one resampling (libswscale, bicubic), as `ffmpeg -vf
/// scale=W:H` makes it; see ``VideoReader/makeThumbnails(size:)``.
///
/// Resampling the full-size RGB frame instead gives other values: its rounding and chroma
/// upsampling moved them by 1.3 levels on average and 10 at the 99th percentile on
/// `vtest.avi` (768×576 to 320×240).
public struct Thumbnail: Equatable, Sendable {
    /// Width in pixels.
    public let width: Int
    /// Height in pixels.
    public let height: Int
    /// Packed RGB24 pixels, row-major, no row padding.
    public let rgb8: [UInt8]

    /// A thumbnail from packed RGB24 bytes.
    /// - Precondition: `rgb8.count == 3 * width * height`.
    public init(width: Int, height: Int, rgb8: [UInt8]) {
        precondition(width > 0 && height > 0 && rgb8.count == 3 * width * height, "Thumbnail: \(rgb8.count) bytes for \(width)x\(height)")
        self.width = width
        self.height = height
        self.rgb8 = rgb8
    }
}
