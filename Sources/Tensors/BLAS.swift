import COpenBLAS

/// Matrix products on OpenBLAS, the only place the project calls BLAS from.
///
/// All matrices are row-major float32. Pointers stay internal to the library modules;
/// nothing of CBLAS appears in the public API.
///
/// Threading policy: the layers split their work (samples, row blocks) across
/// `Parallel.workerCount` workers, each issuing its own GEMMs. The library never changes
/// OpenBLAS's process-wide settings (a host application owns them); the `eqr` executable
/// runs OpenBLAS single-threaded for itself, because OpenBLAS's own threads spin for a while
/// after each call and then compete with the non-GEMM loops (im2col, col2im, sampling).
/// Executables set OpenBLAS's threads through `ProcessSettings`, e.g. to measure raw sgemm.
public enum BLAS {

    /// Whether a GEMM operand is used as stored or transposed.
    public enum Transpose: Sendable {
        /// Use the matrix as stored.
        case none
        /// Use the transpose of the stored matrix.
        case transposed

        var cblas: CBLAS_TRANSPOSE { self == .none ? CblasNoTrans : CblasTrans }
    }

    /// The number of threads OpenBLAS uses for each call (a process-wide setting that only
    /// executables change, through `ProcessSettings`).
    public static var threadCount: Int { Int(openblas_get_num_threads()) }

    /// The most multiply-adds (m·n·k) of one product that OpenBLAS 0.3 always runs on the
    /// calling thread, whatever its thread count: 65536 × `GEMM_MULTITHREAD_THRESHOLD` (4 in
    /// Debian's build).
    public static let callingThreadProduct = 65536 * 4

    /// `C = alpha · op(A) · op(B) + beta · C`, with `op(A)` of size m×k, `op(B)` k×n and
    /// C m×n; `lda`, `ldb`, `ldc` are the row strides of the stored matrices.
    ///
    /// With a `maximumProduct` (e.g. ``callingThreadProduct``) the product is issued in
    /// pieces of at most that many multiply-adds, split along n (the columns of C), so that
    /// OpenBLAS runs every piece on the calling thread and the caller's own workers can share
    /// the cores. Each element of C is one dot product over k either way.
    @inlinable
    public static func gemm(
        _ transposeA: Transpose, _ transposeB: Transpose,
        m: Int, n: Int, k: Int,
        alpha: Float = 1, a: UnsafePointer<Float>, lda: Int,
        b: UnsafePointer<Float>, ldb: Int,
        beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int, maximumProduct: Int = .max
    ) {
        guard m > 0, n > 0 else { return }
        let columns = max(1, maximumProduct / max(1, m * k))
        var first = 0
        while first < n {
            let count = min(columns, n - first)
            cblasGemm(transposeA, transposeB, m, count, k, alpha, a, lda, b + (transposeB == .none ? first : first * ldb), ldb, beta, c + first, ldc)
            first += count
        }
    }

    @usableFromInline
    static func cblasGemm(
        _ ta: Transpose, _ tb: Transpose, _ m: Int, _ n: Int, _ k: Int, _ alpha: Float,
        _ a: UnsafePointer<Float>, _ lda: Int, _ b: UnsafePointer<Float>, _ ldb: Int,
        _ beta: Float, _ c: UnsafeMutablePointer<Float>, _ ldc: Int
    ) {
        cblas_sgemm(
            CblasRowMajor, ta.cblas, tb.cblas, Int32(m), Int32(n), Int32(k), alpha,
            a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }

    /// The product of two row-major matrices held in rank-2 tensors, `op(a) · op(b)`.
    public static func matmul(
        _ a: Tensor, _ b: Tensor, transposeA: Transpose = .none, transposeB: Transpose = .none
    ) -> Tensor {
        precondition(a.rank == 2 && b.rank == 2, "BLAS.matmul: needs rank-2 tensors, got \(a.shape) and \(b.shape)")
        let (m, k) = transposeA == .none ? (a.shape[0], a.shape[1]) : (a.shape[1], a.shape[0])
        let (kb, n) = transposeB == .none ? (b.shape[0], b.shape[1]) : (b.shape[1], b.shape[0])
        precondition(k == kb, "BLAS.matmul: inner extents differ, \(a.shape)\(transposeA == .none ? "" : "ᵀ") · \(b.shape)\(transposeB == .none ? "" : "ᵀ")")
        var c = Tensor(shape: [m, n])
        c.withUnsafeMutablePointer { cp in
            a.withUnsafePointer { ap in
                b.withUnsafePointer { bp in
                    gemm(transposeA, transposeB, m: m, n: n, k: k, a: ap, lda: a.shape[1], b: bp, ldb: b.shape[1], c: cp, ldc: n)
                }
            }
        }
        return c
    }
}
