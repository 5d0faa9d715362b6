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

    /// How many workers may issue whole GEMMs at once: all of them when OpenBLAS runs
    /// single-threaded (as the `eqr` executable sets it), else one, and OpenBLAS's own threads
    /// split each product. A library loaded into a host leaves OpenBLAS's thread count as the
    /// host has it, and concurrent multi-threaded GEMMs from several workers contend for the
    /// same cores (the frei0r plugin ran 27 % slower that way). Products issued in pieces of
    /// at most ``BLAS/callingThreadProduct`` (every convolution's forward pass) run on every
    /// worker instead.
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

extension Parallel {
    /// Elements per chunk below which element-wise work stays on one thread (the hand-off
    /// costs more than the loop).
    public static let elementwiseChunk = 1 << 15

    /// Runs `body` over `0..<count` cut into contiguous ranges, one per worker when the
    /// count is large (at least ``elementwiseChunk`` elements each), else as one range on
    /// the calling thread. For element-wise work, whose result does not depend on the split.
    @inlinable
    public static func forEachChunk(of count: Int, _ body: (Range<Int>) -> Void) {
        let chunks = min(workerCount, count / elementwiseChunk)
        if chunks <= 1 {
            if count > 0 { body(0..<count) }
            return
        }
        forEach(chunks, workers: chunks) { chunk in body((count * chunk / chunks)..<(count * (chunk + 1) / chunks)) }
    }
}

#if canImport(Glibc)
import Glibc
#endif
