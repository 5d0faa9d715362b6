import Tensors

/// A batch of scene samples stacked as NCHW tensors, ready for training.
public struct SceneBatch: Equatable, Sendable {
    /// Frames x, `[N, 3, H, W]`.
    public var frames: Tensor
    /// Frames x', `[N, 3, H, W]`.
    public var nextFrames: Tensor
    /// The motions T^x (x → x') as `[N, 6]`, row-major `[a, b, tx, c, d, ty]` each.
    public var motions: Tensor
    /// The poses A_t as `[N, 6]`.
    public var poses: Tensor
    /// The poses A_{t+k} as `[N, 6]`.
    public var nextPoses: Tensor
    /// Clean background plates, `[N, 3, H, W]`.
    public var plates: Tensor
    /// Character layers at the poses A_t, `[N, 4, H, W]` (RGB, alpha).
    public var characterLayers: Tensor
    /// Character layers at the poses A_{t+k}, `[N, 4, H, W]`.
    public var nextCharacterLayers: Tensor
    /// Background index of each sample.
    public var backgroundIndices: [Int]
    /// Character index of each sample.
    public var characterIndices: [Int]
    /// Walk time t of each sample.
    public var times: [Int]
    /// With `distantFrames: true`: each sample's scene at a random other time of its walk
    /// (same character and background, another pose; or the background alone, when the
    /// batch was drawn with empty distant frames), `[N, 3, H, W]`; nil otherwise.
    public var distantFrames: Tensor? = nil

    /// The number of samples N.
    public var count: Int { backgroundIndices.count }

    /// Sample `index` of the batch, unstacked.
    ///
    /// - Precondition: `0 <= index < count`.
    public func sample(at index: Int) -> SceneSample {
        precondition(index >= 0 && index < count, "SceneBatch.sample: index \(index) outside 0..<\(count)")
        func item(_ t: Tensor) -> Tensor { t.batches(index..<(index + 1)).reshaped(to: Array(t.shape.dropFirst())) }
        func transform(_ t: Tensor) -> Affine2D { Affine2D(Array(t.scalars[(6 * index)..<(6 * index + 6)])) }
        return SceneSample(
            frame: item(frames), nextFrame: item(nextFrames), motion: transform(motions),
            pose: transform(poses), nextPose: transform(nextPoses), plate: item(plates),
            characterLayer: item(characterLayers), nextCharacterLayer: item(nextCharacterLayers),
            backgroundIndex: backgroundIndices[index], characterIndex: characterIndices[index], time: times[index])
    }
}
