import EquivariantModel

/// A source of training pairs. Batches are a pure function of the step number, so a run
/// resumed from a checkpoint sees exactly the batches the uninterrupted run would have.
public protocol TrainingData {
    /// The batch for step `step` (0-based), `size` pairs.
    func batch(step: Int, size: Int) throws -> TrainingBatch
    /// Pairs `samples` of the batch for step `step` (a data-parallel shard), equal to those
    /// pairs of ``batch(step:size:)``; by default cut from the whole batch.
    func batch(step: Int, size: Int, samples: Range<Int>) throws -> TrainingBatch
    /// Whether batches carry the true motion (needed by the `given` variant).
    var providesMotion: Bool { get }
    /// A one-line description for logs and checkpoint metadata.
    var summary: String { get }
}

extension TrainingData {
    /// Pairs `samples` of the whole batch.
    public func batch(step: Int, size: Int, samples: Range<Int>) throws -> TrainingBatch {
        try batch(step: step, size: size).samples(samples)
    }
}
