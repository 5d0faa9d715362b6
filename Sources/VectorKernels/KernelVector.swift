/// The vector `DirectConvolution.swift` computes with in this module: 8 floats (AVX2 + FMA).
typealias Vector = SIMD8<Float>

/// Vector registers the instruction set has (ymm0–ymm15).
let vectorRegisters = 16

extension DirectConvolution {
    /// The sum of a vector's lanes, in a fixed order.
    @inline(__always)
    static func lanesSum(_ v: Vector) -> Float {
        let h = v.lowHalf + v.highHalf
        return (h[0] + h[2]) + (h[1] + h[3])
    }
}
