import CMalloc
import COpenBLAS

/// Process-wide settings the numeric code relies on, applied once before the first tensor
/// or product.
///
/// - OpenBLAS runs single-threaded; the layers split work across `Parallel.workerCount`
///   workers themselves (see `BLAS`).
/// - glibc's malloc keeps large blocks in the heap instead of mapping and unmapping them:
///   batch tensors are tens of MB, and a fresh mapping is page-faulted in (and zeroed by
///   the kernel) on every layer call otherwise.
public enum ComputeEnvironment {
    /// Touch to make sure the settings are applied (cheap after the first time).
    public static let configured: Void = {
        openblas_set_num_threads(1)
        _ = mallopt(M_MMAP_THRESHOLD, 1 << 30)
        _ = mallopt(M_TRIM_THRESHOLD, Int32.max)
    }()
}
