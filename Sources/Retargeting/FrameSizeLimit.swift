import EquivariantModel

/// The largest frame the effects take, checked before any full-resolution buffer is made.
///
/// The full-resolution composite keeps the frame, its plate, the new background, the output
/// and the matte's guided-filter planes as floats: about 200 bytes per pixel (peak RSS of
/// `eqr -effect swap` with the default model: 0.56 GB at 1920×1080, 1.78 GB at 3840×2160).
/// A 16000×12000 still as the input took 23 GB and was killed by the kernel; at the limit,
/// 8192×4320 (DCI 8K, so 8K UHD fits), it needs about 7 GB. A larger input can be scaled
/// down first (`-vf scale=…` before the frei0r filter, or `eqr -vf:0 scale=…`).
public enum FrameSizeLimit {
    /// Most pixels in one frame: 8192 × 4320.
    public static let maximumPixels = 8192 * 4320
    /// Most pixels on one side (also libswscale's own limit).
    public static let maximumSide = 16384

    /// Whether a `width`×`height` frame is within the limits (and not empty).
    public static func allows(width: Int, height: Int) -> Bool {
        width > 0 && height > 0 && width <= maximumSide && height <= maximumSide && width * height <= maximumPixels
    }

    /// Throws ``ModelError/invalidInput(_:)`` naming the size and the limits unless a
    /// `width`×`height` frame is within them.
    public static func check(width: Int, height: Int) throws {
        guard allows(width: width, height: height) else {
            throw ModelError.invalidInput(
                "a \(width)x\(height) frame is outside what the effects take: at most \(maximumSide) pixels a side and \(maximumPixels) pixels in all (8192x4320); scale it down first (eqr: -vf:0 scale=W:H)")
        }
    }
}
