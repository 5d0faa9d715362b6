import Tensors

/// One training pair from a synthetic scene, with its exact ground truth.
///
/// Image tensors are `[3, H, W]`, layers `[4, H, W]` (RGB, alpha; not premultiplied); poses
/// and motions are motions in normalised coordinates (see `Affine2D`).
public struct SceneSample: Equatable, Sendable {
    /// The frame x at time t.
    public var frame: Tensor
    /// The frame x' at time t + k.
    public var nextFrame: Tensor
    /// T^x: the motion carrying the character from x to x', `nextPose·pose⁻¹`.
    public var motion: Affine2D
    /// The character's placement A_t (from its canonical pose) in x.
    public var pose: Affine2D
    /// The character's placement A_{t+k} in x'.
    public var nextPose: Affine2D
    /// The clean background of both frames.
    public var plate: Tensor
    /// The character layer at `pose`: x = alpha·RGB + (1 − alpha)·plate.
    public var characterLayer: Tensor
    /// The character layer at `nextPose`.
    public var nextCharacterLayer: Tensor
    /// The background's index in the generator's background bank.
    public var backgroundIndex: Int
    /// The character's index in the generator's character bank.
    public var characterIndex: Int
    /// The walk time t of `frame`, in frames.
    public var time: Int
}
