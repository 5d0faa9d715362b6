/// The processes of one data-parallel job (for example the ranks of an MPI job), as the
/// trainer needs them: who this process is and a collective sum. Every process of the
/// group must make the same calls in the same order; a call returns once all have made it.
public protocol ProcessGroup: AnyObject {
    /// This process's index, 0..<``size``; process 0 writes checkpoints and logs.
    var rank: Int { get }
    /// How many processes the job has.
    var size: Int { get }
    /// Replaces `values` by their element-wise sum over all processes (every process passes
    /// an array of the same length and gets the same sums back).
    func sumAcrossProcesses(_ values: inout [Float]) throws
}

/// This process's share of one step's global batch in a data-parallel run: samples
/// `offset ..< offset + count` of a batch of `globalSize`.
public struct BatchShard {
    /// The job the step is shared with.
    public let group: ProcessGroup
    /// The first sample of the global batch that this process trains on.
    public let offset: Int
    /// Samples of the global batch that this process trains on.
    public let count: Int
    /// Samples in the global batch.
    public let globalSize: Int

    /// Process `group.rank`'s equal share of a global batch of `globalSize` samples; throws
    /// unless the batch divides evenly among the processes.
    public init(group: ProcessGroup, globalSize: Int) throws {
        guard group.size > 0, globalSize % group.size == 0 else {
            throw ModelError.invalidConfiguration("a batch of \(globalSize) cannot be split evenly among \(group.size) processes; pass a batch size that is a multiple of \(group.size)")
        }
        self.group = group
        count = globalSize / group.size
        offset = group.rank * count
        self.globalSize = globalSize
    }

    /// The samples of the global batch this process trains on.
    public var range: Range<Int> { offset..<(offset + count) }
}
