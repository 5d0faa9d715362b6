/// Reductions over a row of floats for the layers' statistics and gradients.
///
/// Each sums in 8 float lanes and adds the lanes up in double: the loop is vectorised, and
/// a lane holds at most a few thousand terms (a group's or a channel's pixels), so the
/// float accumulation costs no visible precision. The order of additions is fixed, so
/// results are reproducible.
enum LaneSums {
    /// `Σ x[i]`.
    @inline(__always)
    static func sum(_ x: UnsafePointer<Float>, _ count: Int) -> Double {
        var lanes = SIMD8<Float>(), i = 0
        let raw = UnsafeRawPointer(x)
        while i + 8 <= count { lanes += raw.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self); i += 8 }
        var result = total(lanes)
        while i < count { result += Double(x[i]); i += 1 }
        return result
    }

    /// `Σ (x[i] − m)²`.
    @inline(__always)
    static func sumOfSquares(_ x: UnsafePointer<Float>, about m: Float, _ count: Int) -> Double {
        var lanes = SIMD8<Float>(), i = 0
        let raw = UnsafeRawPointer(x), mean = SIMD8<Float>(repeating: m)
        while i + 8 <= count {
            let d = raw.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self) - mean
            lanes += d * d
            i += 8
        }
        var result = total(lanes)
        while i < count { let d = Double(x[i] - m); result += d * d; i += 1 }
        return result
    }

    /// `Σ y[i]·(x[i] − m)`.
    @inline(__always)
    static func sumOfProducts(_ y: UnsafePointer<Float>, _ x: UnsafePointer<Float>, about m: Float, _ count: Int) -> Double {
        var lanes = SIMD8<Float>(), i = 0
        let rawY = UnsafeRawPointer(y), rawX = UnsafeRawPointer(x), mean = SIMD8<Float>(repeating: m)
        while i + 8 <= count {
            lanes += rawY.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self)
                * (rawX.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self) - mean)
            i += 8
        }
        var result = total(lanes)
        while i < count { result += Double(y[i]) * Double(x[i] - m); i += 1 }
        return result
    }

    /// The leaky-ReLU-gated gradient `d[i] = dy[i]` where `x[i]·a + b > 0`, else
    /// `slope·dy[i]`, written to `d`, with `Σ d[i]` and `Σ d[i]·(x[i] − m)` summed as ``sum``
    /// and ``sumOfProducts`` would sum them (the same lanes, the same order): GroupNorm's
    /// fused backward in one pass.
    @inline(__always)
    static func gatedSums(
        _ dy: UnsafePointer<Float>, _ x: UnsafePointer<Float>, scale a: Float, shift b: Float, slope: Float, about m: Float,
        into d: UnsafeMutablePointer<Float>, _ count: Int
    ) -> (sum: Double, sumOfProducts: Double) {
        var sums = SIMD8<Float>(), products = SIMD8<Float>(), i = 0
        let rawY = UnsafeRawPointer(dy), rawX = UnsafeRawPointer(x), out = UnsafeMutableRawPointer(d)
        let va = SIMD8<Float>(repeating: a), vb = SIMD8<Float>(repeating: b), vs = SIMD8<Float>(repeating: slope)
        let mean = SIMD8<Float>(repeating: m)
        while i + 8 <= count {
            let xv = rawX.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self)
            let g = rawY.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self)
            let gated = g.replacing(with: vs * g, where: xv * va + vb .<= 0)
            out.storeBytes(of: gated, toByteOffset: i * 4, as: SIMD8<Float>.self)
            sums += gated
            products += gated * (xv - mean)
            i += 8
        }
        var sum = total(sums), sumOfProducts = total(products)
        while i < count {
            let gated = x[i] * a + b > 0 ? dy[i] : slope * dy[i]
            d[i] = gated
            sum += Double(gated)
            sumOfProducts += Double(gated) * Double(x[i] - m)
            i += 1
        }
        return (sum, sumOfProducts)
    }

    /// The lanes added up, in lane order.
    @inline(__always)
    static func total(_ lanes: SIMD8<Float>) -> Double {
        var sum = 0.0
        for lane in 0..<8 { sum += Double(lanes[lane]) }
        return sum
    }
}
