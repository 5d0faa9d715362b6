import Tensors

/// Motions the trainer draws itself, for the label-free equivariance of a learned T^z: the
/// frame x is moved by a drawn motion A into x̃, and the predictor must find A from (x, x̃)
/// (First Order Motion Model's and Jakab et al.'s equivariance). Nothing about the data's own
/// motion is read, so training with it stays label-free.
///
/// Each step's motions follow from the step number alone, so a resumed run draws the same ones.
public enum DrawnMotion {
    /// The largest rotation, in radians.
    public static let maximumAngle: Float = 0.15
    /// The largest relative change of scale along each axis.
    public static let maximumScaleChange: Float = 0.12
    /// The largest shear.
    public static let maximumShear: Float = 0.05
    /// The largest translation along each axis (normalised coordinates).
    public static let maximumTranslation: Float = 0.2

    /// What a drawn motion moves.
    public enum Region: String, CaseIterable, Codable, Sendable {
        /// The whole frame.
        case frame
        /// A soft elliptical patch of the frame, pasted moved over the frame itself: like a
        /// character over a still background, only part of the picture moves, so the
        /// predictor learns to find what moved rather than the frame's global shift.
        case patch

        /// The names, for help texts and messages.
        public static var nameList: String { allCases.map(\.rawValue).joined(separator: ", ") }
    }

    /// Soft elliptical masks [count, 1, size, size] in [0, 1] for step `step`: centres within
    /// ±0.4, radii 0.2–0.45 (normalised coordinates), edges 0.08 wide.
    public static func patchMasks(count: Int, size: Int, step: Int, seed: UInt64 = 0) -> Tensor {
        var g = SeededGenerator(seed: seed ^ 0x7061_7463_68 ^ UInt64(truncatingIfNeeded: step) &* 0xD1B5_4A32_D192_ED03)
        var masks = Tensor(shape: [count, 1, size, size])
        masks.withUnsafeMutablePointer { m in
            for n in 0..<count {
                let cx = Float.random(in: -0.4...0.4, using: &g), cy = Float.random(in: -0.4...0.4, using: &g)
                let rx = Float.random(in: 0.2...0.45, using: &g), ry = Float.random(in: 0.2...0.45, using: &g)
                for y in 0..<size {
                    let v = (Float(2 * y + 1) / Float(size) - 1 - cy) / ry
                    for x in 0..<size {
                        let u = (Float(2 * x + 1) / Float(size) - 1 - cx) / rx
                        // Distance outside the ellipse in units of its radius, roughly.
                        let outside = ((u * u + v * v).squareRoot() - 1) * min(rx, ry)
                        m[(n * size + y) * size + x] = min(max(0.5 - outside / 0.08, 0), 1)
                    }
                }
            }
        }
        return masks
    }

    /// `count` motions for training step `step` (0-based), uniformly within the bounds above.
    public static func motions(count: Int, step: Int, seed: UInt64 = 0) -> [Affine2D] {
        var g = SeededGenerator(seed: seed ^ 0x6d6f_7469_6f6e ^ UInt64(truncatingIfNeeded: step) &* 0x9E37_79B9_7F4A_7C15)
        func uniform(_ bound: Float) -> Float { Float.random(in: -bound...bound, using: &g) }
        return (0..<count).map { _ in
            Affine2D(angle: uniform(maximumAngle), scaleX: 1 + uniform(maximumScaleChange), scaleY: 1 + uniform(maximumScaleChange),
                     shear: uniform(maximumShear), translationX: uniform(maximumTranslation), translationY: uniform(maximumTranslation))
        }
    }
}
