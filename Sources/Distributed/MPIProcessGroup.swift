import CMPI
import EquivariantModel
import Foundation

/// The processes of an MPI job (`MPI_COMM_WORLD`), started by a launcher such as Open MPI's
/// `mpirun` (or `srun` under Slurm): rank, size and the few collectives `eqr` needs.
///
/// MPI is initialised only when a launcher started this process, so every program still
/// runs alone, exactly as without MPI. MPI is called from the thread that created the group
/// (`MPI_THREAD_FUNNELED`); compute threads never call it. MPI's default error handler
/// stays in place: a failed collective ends the whole job, as does a rank that exits with a
/// non-zero status or is killed (`mpirun` then stops the others).
public final class MPIProcessGroup: ProcessGroup {
    /// This process's rank in the job.
    public let rank: Int
    /// Processes in the job.
    public let size: Int
    private var finished = false

    /// The environment variables by which launchers tell a process the job's size, in the
    /// order they are read: Open MPI's `mpirun`, then PMI-based launchers (MPICH, Slurm).
    static let sizeVariables = ["OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_SIZE"]

    /// The job's size as the launcher announced it in `environment`, or nil when no MPI
    /// launcher started this process.
    public static func launchedJobSize(environment: [String: String] = ProcessInfo.processInfo.environment) -> Int? {
        announced(sizeVariables, in: environment, atLeast: 1)
    }

    /// The variables that tell a process its rank, in the same launchers' order.
    static let rankVariables = ["OMPI_COMM_WORLD_RANK", "PMI_RANK", "PMIX_RANK"]

    /// This process's rank as the launcher announced it in `environment`, or nil when no MPI
    /// launcher started it (read before MPI is initialised, e.g. to let one process report an
    /// error every process finds).
    public static func launchedRank(environment: [String: String] = ProcessInfo.processInfo.environment) -> Int? {
        announced(rankVariables, in: environment, atLeast: 0)
    }

    /// The first of `variables` set in `environment` to an integer of at least `minimum`.
    private static func announced(_ variables: [String], in environment: [String: String], atLeast minimum: Int) -> Int? {
        for name in variables { if let value = environment[name], let number = Int(value), number >= minimum { return number } }
        return nil
    }

    /// The job this process belongs to, with MPI initialised; nil when no launcher started
    /// it (``launchedJobSize(environment:)``), so that a plain run never touches MPI.
    public static func joinLaunchedJob() throws -> MPIProcessGroup? {
        guard launchedJobSize() != nil else { return nil }
        return try MPIProcessGroup()
    }

    private init() throws {
        var initialised: Int32 = 0
        MPI_Initialized(&initialised)
        guard initialised == 0 else { throw MPIError("MPI is already initialised in this process") }
        var provided: Int32 = 0
        try Self.check(MPI_Init_thread(nil, nil, eqr_mpi_thread_funneled(), &provided), "MPI_Init_thread")
        guard provided >= eqr_mpi_thread_funneled() else {
            MPI_Finalize()
            throw MPIError("this MPI library does not support calls from the main thread of a threaded process (MPI_THREAD_FUNNELED)")
        }
        var rank: Int32 = 0, size: Int32 = 0
        try Self.check(MPI_Comm_rank(eqr_mpi_comm_world(), &rank), "MPI_Comm_rank")
        try Self.check(MPI_Comm_size(eqr_mpi_comm_world(), &size), "MPI_Comm_size")
        self.rank = Int(rank)
        self.size = Int(size)
    }

    /// Ends this process's part in the job (`MPI_Finalize`, after a barrier); the group is
    /// unusable after it. Called at most once; also on deinitialisation.
    public func finish() {
        guard !finished else { return }
        finished = true
        MPI_Finalize()
    }

    deinit { finish() }

    /// Every element of `values` summed over all ranks, on every rank (`MPI_Allreduce`).
    public func sumAcrossProcesses(_ values: inout [Float]) throws {
        try values.withUnsafeMutableBufferPointer { buffer in
            for start in stride(from: 0, to: buffer.count, by: Self.chunk) {
                let count = min(Self.chunk, buffer.count - start)
                try Self.check(MPI_Allreduce(eqr_mpi_in_place(), buffer.baseAddress! + start, Int32(count), eqr_mpi_float(), eqr_mpi_sum(), eqr_mpi_comm_world()),
                               "MPI_Allreduce")
            }
        }
    }

    /// `bytes` as rank `root` has them, on every rank (`MPI_Bcast`); every rank must pass
    /// an array of the root's length (broadcast the length first when it differs).
    public func broadcast(_ bytes: inout [UInt8], from root: Int) throws {
        try bytes.withUnsafeMutableBufferPointer { buffer in
            for start in stride(from: 0, to: buffer.count, by: Self.chunk) {
                let count = min(Self.chunk, buffer.count - start)
                try Self.check(MPI_Bcast(buffer.baseAddress! + start, Int32(count), eqr_mpi_byte(), Int32(root), eqr_mpi_comm_world()), "MPI_Bcast")
            }
        }
    }

    /// `value` as rank `root` has it, on every rank.
    public func broadcast(_ value: Int, from root: Int) throws -> Int {
        var v = Int64(value)
        try Self.check(MPI_Bcast(&v, 1, eqr_mpi_int64(), Int32(root), eqr_mpi_comm_world()), "MPI_Bcast")
        return Int(v)
    }

    /// Returns once every rank has called it (`MPI_Barrier`).
    public func barrier() throws {
        try Self.check(MPI_Barrier(eqr_mpi_comm_world()), "MPI_Barrier")
    }

    /// Elements per MPI call (counts are 32-bit in MPI's C API).
    private static let chunk = 1 << 28

    private static func check(_ status: Int32, _ call: String) throws {
        guard status == eqr_mpi_success() else { throw MPIError("\(call) failed with MPI error \(status)") }
    }
}

/// A failed MPI call.
public struct MPIError: Error, CustomStringConvertible {
    /// What failed.
    public let description: String
    init(_ description: String) { self.description = description }
}
