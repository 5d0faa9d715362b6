import CFFmpeg
import CMalloc
import COpenBLAS

/// Process-wide settings, for executables only: the `eqr` command and the test runners.
/// The libraries (`libequivariant.so`, the frei0r plugins) never link this module, so loaded
/// into ffmpeg, Kdenlive or Shotcut they cannot change their host's malloc policy, OpenBLAS
/// threads or FFmpeg log level (a test checks that the shared objects do not even import
/// `mallopt`, `openblas_set_num_threads` or `av_log_set_level`).
public enum ProcessSettings {
    /// How much FFmpeg itself prints on standard error.
    public enum FFmpegLogLevel: Sendable {
        /// Print nothing.
        case quiet
        /// Only errors FFmpeg cannot recover from.
        case fatal
        /// Errors (including recoverable ones such as a corrupt packet).
        case error
        /// Errors and warnings (FFmpeg's own default is `.info`).
        case warning
        /// Informational messages as the `ffmpeg` tool prints them.
        case info
        /// Everything, for debugging.
        case debug

        var ffmpegValue: Int32 {
            switch self {
            case .quiet: return AV_LOG_QUIET
            case .fatal: return AV_LOG_FATAL
            case .error: return AV_LOG_ERROR
            case .warning: return AV_LOG_WARNING
            case .info: return AV_LOG_INFO
            case .debug: return AV_LOG_DEBUG
            }
        }
    }

    /// The `eqr` executable's settings, applied once at start-up before any numeric work:
    ///
    /// - OpenBLAS runs single-threaded; the layers split work across `Parallel.workerCount`
    ///   workers themselves (OpenBLAS's own threads spin after each call and compete with the
    ///   non-GEMM loops for the cores).
    /// - glibc's malloc keeps large blocks in the heap instead of mapping and unmapping them:
    ///   training batches are tens of MB, and a fresh mapping is page-faulted in (and zeroed by
    ///   the kernel) on every layer call otherwise (the 3→32 layer at 128×128 took 31 ms
    ///   instead of 11).
    /// - FFmpeg prints errors only (its informational lines would drown the tool's own).
    public static func applyForTools() {
        blasThreadCount = 1
        _ = mallopt(M_MMAP_THRESHOLD, 1 << 30)
        _ = mallopt(M_TRIM_THRESHOLD, Int32.max)
        setFFmpegLogLevel(.error)
    }

    /// Sets how much FFmpeg prints on standard error (like `ffmpeg -loglevel`).
    public static func setFFmpegLogLevel(_ level: FFmpegLogLevel) {
        av_log_set_level(level.ffmpegValue)
    }

    /// The number of threads OpenBLAS uses for each call.
    public static var blasThreadCount: Int {
        get { Int(openblas_get_num_threads()) }
        set { openblas_set_num_threads(Int32(max(1, newValue))) }
    }
}
