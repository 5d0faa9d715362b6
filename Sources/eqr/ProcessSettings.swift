import CMalloc
import COpenBLAS

/// Settings the `eqr` executable makes for its own process before any numeric work. They
/// are process-wide, so they live here and never in the libraries (`libequivariant.so`
/// and the frei0r plugins must leave their host application's memory policy and OpenBLAS
/// threads alone).
///
/// - OpenBLAS runs single-threaded; the layers split work across `Parallel.workerCount`
///   workers themselves (see `BLAS`).
/// - glibc's malloc keeps large blocks in the heap instead of mapping and unmapping them:
///   training batches are tens of MB, and a fresh mapping is page-faulted in (and zeroed by
///   the kernel) on every layer call otherwise (the 3→32 layer at 128×128 took 31 ms
///   instead of 11).
enum ProcessSettings {
    /// Applies the settings; call once at start-up.
    static func apply() {
        openblas_set_num_threads(1)
        _ = mallopt(M_MMAP_THRESHOLD, 1 << 30)
        _ = mallopt(M_TRIM_THRESHOLD, Int32.max)
    }
}
