import CFFmpeg
import CMalloc
import COpenBLAS
import Foundation
import Tensors
#if canImport(Glibc)
import Glibc
#endif

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

extension ProcessSettings {
    /// How the running process came by its OpenBLAS kernel.
    public enum BLASKernelChoice: Equatable, Sendable {
        /// OpenBLAS's own detection, which fits this CPU (or nothing better is known).
        case detected
        /// `OPENBLAS_CORETYPE` was set by whoever started the program; never overridden.
        case setByCaller(String)
        /// OpenBLAS detected `detected`, a slower kernel than the CPU supports, and `eqr`
        /// restarted itself with `OPENBLAS_CORETYPE` set to the better one.
        case selected(detected: String)
        /// The better kernel failed the self-check; OpenBLAS's own choice is back.
        case selectionFailed(tried: String)
    }

    /// Set by ``selectBLASKernel()``.
    nonisolated(unsafe) public private(set) static var blasKernelChoice = BLASKernelChoice.detected

    /// Environment variables of the restart (internal to `eqr`). `EQR_BLAS_ASSUME_KERNEL`
    /// makes the selection treat OpenBLAS's choice as that kernel, so tests can exercise the
    /// restart on any machine.
    static let restartedFrom = "EQR_BLAS_RESTARTED_FROM", failedKernel = "EQR_BLAS_SELECTION_FAILED", assumedKernel = "EQR_BLAS_ASSUME_KERNEL"

    /// For the `eqr` executable, first thing in `main`: when OpenBLAS chose a kernel slower
    /// than this CPU supports and `OPENBLAS_CORETYPE` is not set, restarts the program once
    /// with it set to the better kernel (OpenBLAS reads it only when it loads); the restarted
    /// process checks a small product against a plain loop and, if it disagrees, restarts once
    /// more with OpenBLAS's own choice and a warning. A value already set is never changed.
    public static func selectBLASKernel() {
        let environment = ProcessInfo.processInfo.environment
        if let detected = environment[restartedFrom] {
            unsetenv(restartedFrom)
            if BLASKernel.selfCheck() {
                blasKernelChoice = .selected(detected: detected)
                return
            }
            let tried = environment["OPENBLAS_CORETYPE"] ?? "?"
            unsetenv("OPENBLAS_CORETYPE")
            setenv(failedKernel, tried, 1)
            restart()
            // The restart failed: keep the kernel that failed the check rather than stop.
            FileHandle.standardError.write(Data("eqr: warning: OpenBLAS's \(tried) kernel failed its self-check and eqr could not restart without it\n".utf8))
            return
        }
        if let tried = environment[failedKernel] {
            unsetenv(failedKernel)
            blasKernelChoice = .selectionFailed(tried: tried)
            FileHandle.standardError.write(Data("eqr: warning: OpenBLAS's \(tried) kernel gave wrong products on this CPU; using the kernel OpenBLAS chose (\(BLASKernel.coreName)), which is slower\n".utf8))
            return
        }
        if let set = environment["OPENBLAS_CORETYPE"] {
            blasKernelChoice = .setByCaller(set)
            return
        }
        let detected = environment[assumedKernel] ?? BLASKernel.coreName
        guard let better = BLASKernel.betterCoreType(kernel: detected, cpu: BLASKernel.vectorClass(ofFlags: BLASKernel.cpuFlags)) else { return }
        setenv("OPENBLAS_CORETYPE", better, 1)
        setenv(restartedFrom, detected, 1)
        restart()
        unsetenv("OPENBLAS_CORETYPE")
        unsetenv(restartedFrom)
        FileHandle.standardError.write(Data("eqr: warning: OpenBLAS chose its slow \(detected) kernel and eqr could not restart with OPENBLAS_CORETYPE=\(better) (\(String(cString: strerror(errno)))); set it yourself\n".utf8))
    }

    /// Replaces the process with a fresh copy of itself (same arguments, current
    /// environment); returns only if that fails.
    private static func restart() {
        _ = execv("/proc/self/exe", CommandLine.unsafeArgv)
    }

    /// One line for `--version`, `eqr info` and `eqr bench kernels`: the kernel, how it was
    /// chosen, and the CPU's vector instruction sets.
    public static var blasKernelSummary: String {
        let kernel = BLASKernel.coreName
        let how: String
        switch blasKernelChoice {
        case .detected: how = "detected by OpenBLAS"
        case .setByCaller(let value): how = "OPENBLAS_CORETYPE=\(value) from the environment"
        case .selected(let detected): how = "selected by eqr; OpenBLAS had detected \(detected)"
        case .selectionFailed(let tried): how = "OpenBLAS's choice; \(tried) failed eqr's self-check"
        }
        return "OpenBLAS kernel \(kernel) (\(how)); CPU: \(BLASKernel.shownFlags(BLASKernel.cpuFlags))"
    }
}
