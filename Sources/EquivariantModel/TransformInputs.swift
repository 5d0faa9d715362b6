import Tensors

/// What a T^z variant may read to produce θ_z for a batch of pairs (x → x'). Each variant
/// takes what it needs and ignores the rest.
public struct TransformInputs {
    /// x, [N, 3, R, R].
    public var frames: Tensor
    /// x', [N, 3, R, R].
    public var nextFrames: Tensor
    /// f(x), [N, C', R/4, R/4], for variants that read it (see
    /// ``TransformVariant/readsCharacterFeatures``).
    public var characterFeatures: Tensor?
    /// f(x'), [N, C', R/4, R/4], likewise.
    public var nextCharacterFeatures: Tensor?
    /// θ_x, the sampling matrices of the known pixel motions [N, 6], when the data has them.
    public var knownTheta: Tensor?

    /// Bundles the inputs.
    public init(frames: Tensor, nextFrames: Tensor, characterFeatures: Tensor? = nil, nextCharacterFeatures: Tensor? = nil, knownTheta: Tensor? = nil) {
        self.frames = frames
        self.nextFrames = nextFrames
        self.characterFeatures = characterFeatures
        self.nextCharacterFeatures = nextCharacterFeatures
        self.knownTheta = knownTheta
    }
}
