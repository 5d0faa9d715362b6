/// The vector `DirectConvolution.swift` (the same file as `VectorKernels`', linked) computes
/// with in this module: 16 floats (AVX-512).
typealias Vector = SIMD16<Float>

/// Vector registers the instruction set has (zmm0–zmm31).
let vectorRegisters = 32

extension DirectConvolution {
    /// The sum of a vector's lanes, in a fixed order.
    @inline(__always)
    static func lanesSum(_ v: Vector) -> Float {
        let h = v.lowHalf + v.highHalf, q = h.lowHalf + h.highHalf
        return (q[0] + q[2]) + (q[1] + q[3])
    }
}
