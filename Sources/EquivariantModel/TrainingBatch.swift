import Tensors

/// One batch of training pairs.
public struct TrainingBatch {
    /// x, [N, 3, R, R].
    public var frames: Tensor
    /// x' = T^x(x), [N, 3, R, R].
    public var nextFrames: Tensor
    /// The content motions T^x as [N, 6] (row-major 2×3), needed by the `given` variant only.
    public var motions: Tensor?
    /// Optional x'': a frame of the same shot as x at a distant time, [N, 3, R, R]. When
    /// present, the scene loss draws x' over h(x'') instead of h(x) (see ``Trainer``).
    public var distantFrames: Tensor?

    /// Creates a batch.
    public init(frames: Tensor, nextFrames: Tensor, motions: Tensor? = nil, distantFrames: Tensor? = nil) {
        self.frames = frames
        self.nextFrames = nextFrames
        self.motions = motions
        self.distantFrames = distantFrames
    }

    /// Samples `range` of the batch (a data-parallel shard).
    public func samples(_ range: Range<Int>) -> TrainingBatch {
        TrainingBatch(frames: frames.batches(range), nextFrames: nextFrames.batches(range), motions: motions?.batches(range),
                      distantFrames: distantFrames?.batches(range))
    }
}
