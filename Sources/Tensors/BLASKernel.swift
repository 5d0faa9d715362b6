import COpenBLAS
import Foundation

/// Which OpenBLAS kernel runs the matrix products, and whether a faster one fits this CPU.
///
/// Debian 12's OpenBLAS 0.3.21 (built for many CPUs, `DYNAMIC_ARCH`) picks its kernel when it
/// loads. On some CPUs it does not recognise (e.g. Sapphire Rapids-class Xeons) it falls back
/// to `Prescott`, an SSE3 kernel that runs sgemm about 4× slower than `SkylakeX` on the same
/// AVX-512 core; `OPENBLAS_CORETYPE` overrides the choice, but only before the library loads.
/// This type only reads: it never changes the process's settings.
public enum BLASKernel {
    /// The kernel OpenBLAS chose (`openblas_get_corename()`), e.g. `Haswell`, `SkylakeX`.
    public static var coreName: String {
        guard let name = openblas_get_corename() else { return "unknown" }
        return String(cString: name)
    }

    /// OpenBLAS's build configuration (`openblas_get_config()`), e.g. `OpenBLAS 0.3.21 DYNAMIC_ARCH …`.
    public static var configuration: String {
        guard let text = openblas_get_config() else { return "unknown" }
        return String(cString: text).trimmingCharacters(in: .whitespaces)
    }

    /// The vector instruction sets that matter for sgemm kernels.
    public enum VectorClass: Int, Comparable, Sendable {
        /// SSE only.
        case sse = 0
        /// AVX without AVX2 / FMA.
        case avx = 1
        /// AVX2 and FMA.
        case avx2 = 2
        /// AVX-512 F, BW, DQ and VL.
        case avx512 = 3

        public static func < (a: VectorClass, b: VectorClass) -> Bool { a.rawValue < b.rawValue }
    }

    /// The class of a CPU from its feature flags (as in `/proc/cpuinfo`).
    public static func vectorClass(ofFlags flags: Set<String>) -> VectorClass {
        if ["avx512f", "avx512bw", "avx512dq", "avx512vl"].allSatisfy(flags.contains) { return .avx512 }
        if flags.contains("avx2") && flags.contains("fma") { return .avx2 }
        if flags.contains("avx") { return .avx }
        return .sse
    }

    /// The class of an OpenBLAS x86-64 kernel by its core name; nil for names this table
    /// does not know (then nothing is advised).
    public static func vectorClass(ofKernel name: String) -> VectorClass? {
        switch name.lowercased() {
        case "skylakex", "cooperlake", "sapphirerapids": return .avx512
        case "haswell", "zen", "excavator": return .avx2
        case "sandybridge", "bulldozer", "piledriver", "steamroller": return .avx
        case "prescott", "core2", "penryn", "dunnington", "nehalem", "atom", "athlon", "opteron", "opteron_sse3", "barcelona", "bobcat", "katmai", "coppermine", "northwood", "banias":
            return .sse
        default: return nil
        }
    }

    /// The `OPENBLAS_CORETYPE` value that fits a CPU of `cpu` class better than `kernel`, or
    /// nil when the kernel already fits (or is unknown): `SkylakeX` for AVX-512, `Haswell`
    /// for AVX2 + FMA, `Sandybridge` for AVX.
    public static func betterCoreType(kernel: String, cpu: VectorClass) -> String? {
        guard let current = vectorClass(ofKernel: kernel), current < cpu else { return nil }
        switch cpu {
        case .avx512: return "SkylakeX"
        case .avx2: return "Haswell"
        case .avx: return "Sandybridge"
        case .sse: return nil
        }
    }

    /// This machine's CPU feature flags (`/proc/cpuinfo`'s first `flags` line; empty where
    /// there is none).
    public static var cpuFlags: Set<String> {
        guard let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
              let line = text.split(separator: "\n").first(where: { $0.hasPrefix("flags") }),
              let colon = line.firstIndex(of: ":") else { return [] }
        return Set(line[line.index(after: colon)...].split(separator: " ").map(String.init))
    }

    /// The flags shown to users: the vector sets that decide the kernel.
    public static func shownFlags(_ flags: Set<String>) -> String {
        let shown = ["sse3", "avx", "avx2", "fma", "avx512f", "avx512bw", "avx512dq", "avx512vl", "avx512_bf16", "avx512_fp16", "amx_tile"].filter(flags.contains)
        return shown.isEmpty ? "none of SSE3/AVX/AVX2/AVX-512" : shown.joined(separator: " ")
    }

    /// When OpenBLAS runs a slower kernel than this CPU supports and `OPENBLAS_CORETYPE` is
    /// not set, one sentence with the remedy; else nil.
    public static func advice(environment: [String: String] = ProcessInfo.processInfo.environment, kernel: String? = nil,
                              flags: Set<String> = cpuFlags) -> String? {
        // `EQR_BLAS_ASSUME_KERNEL` (a test hook, as for eqr's restart) stands in for OpenBLAS's choice.
        let kernel = kernel ?? environment["EQR_BLAS_ASSUME_KERNEL"] ?? coreName
        guard environment["OPENBLAS_CORETYPE"] == nil else { return nil }
        guard let better = betterCoreType(kernel: kernel, cpu: vectorClass(ofFlags: flags)) else { return nil }
        return "OpenBLAS chose its \(kernel) kernel on a CPU that supports \(better)'s instructions; matrix products run several times slower. Start the program with OPENBLAS_CORETYPE=\(better) in its environment."
    }

    /// Whether sgemm agrees with a plain triple loop on a small product (a kernel forced by
    /// `OPENBLAS_CORETYPE` that this CPU cannot run would not).
    public static func selfCheck() -> Bool {
        let m = 37, n = 29, k = 53
        var g = SeededGenerator(seed: 11)
        let a = (0..<(m * k)).map { _ in Float.random(in: -1...1, using: &g) }
        let b = (0..<(k * n)).map { _ in Float.random(in: -1...1, using: &g) }
        var c = [Float](repeating: 0, count: m * n)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(m), Int32(n), Int32(k), 1, a, Int32(k), b, Int32(n), 0, &c, Int32(n))
        for i in 0..<m {
            for j in 0..<n {
                var sum = 0.0
                for p in 0..<k { sum += Double(a[i * k + p]) * Double(b[p * n + j]) }
                guard abs(Double(c[i * n + j]) - sum) <= 1e-3 * max(1, abs(sum)) else { return false }
            }
        }
        return true
    }

    private static let reportLock = NSLock()
    nonisolated(unsafe) private static var reported = false

    /// Hands ``advice(environment:)`` to `write` the first time it is called in a process
    /// (when there is advice): the libraries' one warning with the remedy, since inside a
    /// host process they cannot choose OpenBLAS's kernel themselves.
    public static func reportAdviceOnce(_ write: (String) -> Void) {
        reportLock.lock()
        defer { reportLock.unlock() }
        guard !reported else { return }
        reported = true
        if let advice = advice() { write(advice) }
    }
}
