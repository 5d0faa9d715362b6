import Dispatch

/// Work split across the machine's cores for the loops that are not GEMMs (im2col,
/// resampling, normalisation). Each index is handled exactly once and writes only its own
/// outputs, so results do not depend on scheduling.
public enum Parallel {
    /// How many workers the loops use; 1 runs everything on the calling thread.
    nonisolated(unsafe) public static var workerCount: Int = {
        var cpus = 1
        #if os(Linux)
        cpus = Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))
        #endif
        return max(1, cpus)
    }()

    /// How many workers may issue GEMMs at once: all of them when OpenBLAS runs
    /// single-threaded (as the `eqr` executable sets it), else one, and OpenBLAS's own threads
    /// split each product. A library loaded into a host leaves OpenBLAS's thread count as the
    /// host has it, and concurrent multi-threaded GEMMs from several workers contend for the
    /// same cores (the frei0r plugin ran 27 % slower that way).
    public static var gemmWorkerCount: Int { BLAS.threadCount > 1 ? 1 : workerCount }

    /// Runs `body(i)` for every `i` in `0..<count`, spread over `workers` threads (default
    /// `workerCount`) in contiguous chunks.
    @inlinable
    public static func forEach(_ count: Int, workers limit: Int? = nil, _ body: (Int) -> Void) {
        let workers = min(limit ?? workerCount, count)
        if workers <= 1 {
            for i in 0..<count { body(i) }
            return
        }
        withoutActuallyEscaping(body) { body in
            DispatchQueue.concurrentPerform(iterations: workers) { worker in
                let start = count * worker / workers
                let end = count * (worker + 1) / workers
                for i in start..<end { body(i) }
            }
        }
    }
}

#if canImport(Glibc)
import Glibc
#endif
