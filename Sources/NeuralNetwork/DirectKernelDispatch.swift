import CCPUID
import Tensors
import VectorKernels
import VectorKernels512

/// When `Conv2D` runs a product with the direct kernels of `VectorKernels` (AVX2) or
/// `VectorKernels512` (AVX-512) instead of OpenBLAS, and how it lays the call out.
///
/// A product is *thin* when one side has at most ``maximumThinChannels`` channels (the RGB
/// input and output layers, the coverage head, the RGB output layer's flipped-kernel input
/// gradient). OpenBLAS runs those at 15–50 % of its sgemm. The 8-lane AVX2 kernels beat
/// OpenBLAS's AVX2 kernels but not its AVX-512 ones; the 16-lane AVX-512 kernels beat both
/// on the output layer's forward pass and on every backward pass (`eqr bench kernels
/// --thin-kernels …`, README). So by default (``Conv2D/ThinKernels/automatic``) the AVX-512
/// kernels run wherever the CPU has AVX-512, the AVX2 ones where it has only AVX2 and FMA and
/// OpenBLAS's kernel is below AVX-512. Thin products also need a stride-1 window (one phase);
/// anything else keeps the GEMMs.
///
/// The other (*deep*) products run the AVX-512 kernels by default
/// (``Conv2D/DeepKernels/automatic``) where the CPU has AVX-512 and OpenBLAS's kernel is
/// narrower (an AVX2 kernel set through `OPENBLAS_CORETYPE`, or the generic one of a CPU that
/// OpenBLAS 0.3.21 misdetects, which a library inside a host cannot restart away from): there
/// they ran the 64→64 and 64→32 layers' forward passes 1.6–1.8× faster than OpenBLAS's AVX2
/// kernel, while OpenBLAS's own AVX-512 kernel beats them by 20–25 % (`eqr bench kernels
/// --deep-kernels …`, README). The window offsets include the stride phases, so a deep
/// stride-2 layer runs them too.
enum DirectKernelDispatch {
    /// The widest direct kernels this process may run (CPUID and XGETBV, read once):
    /// AVX-512 where the CPU and the OS support AVX-512 F, BW, DQ and VL, AVX2 where they
    /// support AVX2 and FMA; else none. Not `/proc/cpuinfo`: under an emulator (Valgrind
    /// hides AVX-512) it lists instructions the process cannot run.
    static let widestSupported: Conv2D.DirectKernels? =
        eqr_cpu_runs_avx512() != 0 ? .avx512 : eqr_cpu_runs_avx2_fma() != 0 ? .avx2 : nil

    /// The vector class of OpenBLAS's kernel in this process (AVX-512 when unknown).
    private static let blasClass = BLASKernel.vectorClass(ofKernel: BLASKernel.coreName) ?? .avx512

    /// The direct kernels ``Conv2D/ThinKernels/automatic`` runs: the widest this CPU has,
    /// except where OpenBLAS's kernel is an AVX-512 one (or unknown) and only the AVX2 ones
    /// exist, which OpenBLAS then beats.
    static let automaticChoice: Conv2D.DirectKernels? = {
        guard let widest = widestSupported else { return nil }
        return blasClass < .avx512 || widest == .avx512 ? widest : nil
    }()

    /// The direct kernels ``Conv2D/DeepKernels/automatic`` runs: the AVX-512 ones where the
    /// CPU has them and OpenBLAS's kernel is narrower; else none (OpenBLAS).
    static let automaticDeepChoice: Conv2D.DirectKernels? =
        widestSupported == .avx512 && blasClass < .avx512 ? .avx512 : nil

    /// The most channels on the thin side of a product the direct kernels take.
    static let maximumThinChannels = 4

    /// `y = [outputs, extendedCount(rows)]` (overwritten) from planes made by
    /// `windows.pad` for `rows` output rows, with weights in their stored order
    /// `[outputs, channels·kh·kw]`: what `Conv2D.convolve` computes with GEMMs.
    static func convolve(_ kernels: Conv2D.DirectKernels, _ windows: ShiftedWindows, planes: UnsafePointer<Float>, rows: Int,
                         weight: UnsafePointer<Float>, outputs: Int, into y: UnsafeMutablePointer<Float>) {
        let extended = windows.extendedCount(rows: rows)
        withWindowOffsets(windows, rows: rows) { offsets in
            convolve(kernels, source: planes, offsets: UnsafeBufferPointer(offsets), weight: weight, outputs: outputs, into: y,
                     outputStride: extended, count: extended)
        }
    }

    /// `y[o·outputStride + j] = Σ_d weight[o·depth + d] · source[offsets[d] + j]` for `o` in
    /// `0..<outputs`, `j` in `0..<count`, `depth = offsets.count` (overwriting `y`): the
    /// direct kernels on any layout of shifted rows.
    static func convolve(_ kernels: Conv2D.DirectKernels, source: UnsafePointer<Float>, offsets: UnsafeBufferPointer<Int>,
                         weight: UnsafePointer<Float>, outputs: Int, into y: UnsafeMutablePointer<Float>, outputStride: Int, count: Int) {
        switch kernels {
        case .avx2:
            VectorKernels.DirectConvolution.convolve(source: source, sourceOffsets: offsets.baseAddress!, depth: offsets.count, weight: weight,
                                                     outputs: outputs, into: y, outputStride: outputStride, count: count)
        case .avx512:
            VectorKernels512.DirectConvolution.convolve(source: source, sourceOffsets: offsets.baseAddress!, depth: offsets.count, weight: weight,
                                                        outputs: outputs, into: y, outputStride: outputStride, count: count)
        }
    }

    /// Adds the weight gradient for an output gradient laid out on the extended rows
    /// (`[outputs, extendedCount(rows)]`, zeros in the extended columns) to `weightGradient`,
    /// in the stored order `[outputs, channels·kh·kw]`.
    static func accumulateWeightGradient(_ kernels: Conv2D.DirectKernels, _ windows: ShiftedWindows, planes: UnsafePointer<Float>, rows: Int,
                                         outputGradient: UnsafePointer<Float>, outputs: Int,
                                         into weightGradient: UnsafeMutablePointer<Float>) {
        let extended = windows.extendedCount(rows: rows)
        withWindowOffsets(windows, rows: rows) { offsets in
            switch kernels {
            case .avx2:
                VectorKernels.DirectConvolution.accumulateWeightGradient(
                    outputGradient: outputGradient, outputs: outputs, outputStride: extended, source: planes,
                    sourceOffsets: offsets.baseAddress!, depth: offsets.count, count: extended, into: weightGradient)
            case .avx512:
                VectorKernels512.DirectConvolution.accumulateWeightGradient(
                    outputGradient: outputGradient, outputs: outputs, outputStride: extended, source: planes,
                    sourceOffsets: offsets.baseAddress!, depth: offsets.count, count: extended, into: weightGradient)
            }
        }
    }

    /// The plane offset of every window element `d = c·kh·kw + ky·kw + kx` (its stride phase's
    /// plane included).
    private static func withWindowOffsets(_ windows: ShiftedWindows, rows: Int, _ body: (UnsafeMutableBufferPointer<Int>) -> Void) {
        let g = windows.geometry, kw = g.kernelWidth, kk = g.kernelHeight * kw, stride = windows.planeStride(rows: rows)
        withUnsafeTemporaryAllocation(of: Int.self, capacity: g.channels * kk) { offsets in
            for c in 0..<g.channels {
                for s in 0..<kk { offsets[c * kk + s] = c * stride + windows.offset(ky: s / kw, kx: s % kw, rows: rows) }
            }
            body(offsets)
        }
    }
}
