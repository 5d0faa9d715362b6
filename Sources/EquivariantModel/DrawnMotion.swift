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
