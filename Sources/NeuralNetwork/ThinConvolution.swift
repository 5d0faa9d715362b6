import Tensors
import VectorKernels

/// When `Conv2D` runs a product with the direct kernels of `VectorKernels` instead of
/// OpenBLAS, and how it lays the call out.
///
/// A product is *thin* when one side has at most ``maximumThinChannels`` channels (the RGB
/// input and output layers, the coverage head, the RGB output layer's flipped-kernel input
/// gradient). With its AVX2 kernels OpenBLAS runs those at 15–50 % of its sgemm, and the
/// direct kernels (8 lanes, AVX2 + FMA) beat it; with its AVX-512 kernels OpenBLAS runs
/// them faster than the direct kernels do. So by default (``Conv2D/ThinKernels/automatic``)
/// they run where the CPU has AVX2 and FMA and OpenBLAS's kernel is not an AVX-512 one. They
/// also need a stride-1 window (one phase); anything else keeps the GEMMs.
enum ThinConvolution {
    /// Whether this CPU has AVX2 and FMA (from `/proc/cpuinfo`, read once).
    static let cpuSupported = BLASKernel.vectorClass(ofFlags: BLASKernel.cpuFlags) >= .avx2

    /// Whether the direct kernels are the faster choice here: the CPU has them and OpenBLAS
    /// runs a kernel of a known class below AVX-512 (an unknown kernel keeps OpenBLAS).
    static let fasterThanBLAS = cpuSupported && (BLASKernel.vectorClass(ofKernel: BLASKernel.coreName) ?? .avx512) < .avx512

    /// The most channels on the thin side of a product the direct kernels take.
    static let maximumThinChannels = 4

    /// Whether a convolution over `windows` into `outputs` channels is thin and stride 1.
    static func applies(_ windows: ShiftedWindows, outputs: Int) -> Bool {
        windows.phases == 1 && min(windows.geometry.channels, outputs) <= maximumThinChannels
    }

    /// `y = [outputs, extendedCount(rows)]` (overwritten) from planes made by
    /// `windows.pad` for `rows` output rows, with weights in their stored order
    /// `[outputs, channels·kh·kw]`: what `Conv2D.convolve` computes with GEMMs.
    static func convolve(_ windows: ShiftedWindows, planes: UnsafePointer<Float>, rows: Int, weight: UnsafePointer<Float>,
                         outputs: Int, into y: UnsafeMutablePointer<Float>) {
        let extended = windows.extendedCount(rows: rows)
        withWindowOffsets(windows, rows: rows) { offsets in
            DirectConvolution.convolve(source: planes, sourceOffsets: offsets.baseAddress!, depth: offsets.count, weight: weight,
                                       outputs: outputs, into: y, outputStride: extended, count: extended)
        }
    }

    /// Adds the weight gradient for an output gradient laid out on the extended rows
    /// (`[outputs, extendedCount(rows)]`, zeros in the extended columns) to `weightGradient`,
    /// in the stored order `[outputs, channels·kh·kw]`.
    static func accumulateWeightGradient(_ windows: ShiftedWindows, planes: UnsafePointer<Float>, rows: Int,
                                         outputGradient: UnsafePointer<Float>, outputs: Int,
                                         into weightGradient: UnsafeMutablePointer<Float>) {
        let extended = windows.extendedCount(rows: rows)
        withWindowOffsets(windows, rows: rows) { offsets in
            DirectConvolution.accumulateWeightGradient(
                outputGradient: outputGradient, outputs: outputs, outputStride: extended, source: planes,
                sourceOffsets: offsets.baseAddress!, depth: offsets.count, count: extended, into: weightGradient)
        }
    }

    /// The plane offset of every window element `d = c·kh·kw + ky·kw + kx` (stride 1).
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
