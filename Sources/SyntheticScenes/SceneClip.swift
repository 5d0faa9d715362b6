import Tensors

/// A rendered clip: one character walking over one static background, frame by frame.
public struct SceneClip: Equatable, Sendable {
    /// The frames, each `[3, H, W]` in [0, 1], at consecutive walk times.
    public var frames: [Tensor]
    /// The character's placement A_t in each frame (a motion from its canonical pose).
    public var poses: [Affine2D]
    /// The walk parameters behind each pose (angle, scales, shear, translation).
    public var parameters: [AffineWalk.Parameters]
    /// The clean background, `[3, H, W]`.
    public var plate: Tensor
    /// The character's index in the generator's character bank.
    public var characterIndex: Int
    /// The background's index in the generator's background bank.
    public var backgroundIndex: Int
    /// The walk time of the first frame.
    public var startTime: Int
    /// The seed of the walk.
    public var walkSeed: UInt64
}
