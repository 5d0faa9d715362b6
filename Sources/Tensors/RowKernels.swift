/// Short row moves for im2col and col2im, inlined and vectorised by hand.
///
/// The rows of a convolution's column matrix are as short as the feature map is wide (8 to
/// 128 floats). A stride-2 window gathers every other float: 8 at a time here instead of
/// one by one.
enum RowKernels {
    /// `destination[i] = source[i·stride]` for `i < count` (any stride ≥ 1).
    ///
    /// Stride 1 is one `memmove`; stride 2 moves 8 floats at a time; it reads nothing
    /// past `source[(count − 1)·stride]`.
    @inline(__always)
    static func gather(from source: UnsafePointer<Float>, stride: Int, into destination: UnsafeMutablePointer<Float>, count: Int) {
        if stride == 1 {
            // libc's copy (AVX-512 where the CPU has it) beat an inlined 8-wide loop here.
            destination.update(from: source, count: count)
            return
        }
        var i = 0
        let raw = UnsafeRawPointer(source), out = UnsafeMutableRawPointer(destination)
        if stride == 2 {
            // 16 floats in, the 8 at even offsets out; the last one read is 2·(i+7)+1 ≤ 2·(count−1).
            while i + 8 < count {
                let pair = raw.loadUnaligned(fromByteOffset: 2 * i * 4, as: SIMD16<Float>.self)
                out.storeBytes(of: pair.evenHalf, toByteOffset: i * 4, as: SIMD8<Float>.self)
                i += 8
            }
        }
        while i < count {
            destination[i] = source[i * stride]
            i += 1
        }
    }

    /// `even[i] = source[2i]` for `i < evenCount` and `odd[i] = source[2i + 1]` for
    /// `i < oddCount`: one pass that splits a row into its two stride-2 phases, 8 pairs at a
    /// time. It reads nothing past the last element it moves.
    @inline(__always)
    static func deinterleave(
        _ source: UnsafePointer<Float>, even: UnsafeMutablePointer<Float>, evenCount: Int, odd: UnsafeMutablePointer<Float>, oddCount: Int
    ) {
        var i = 0
        let raw = UnsafeRawPointer(source), evenOut = UnsafeMutableRawPointer(even), oddOut = UnsafeMutableRawPointer(odd)
        // The last float read is 2·(i+7)+1, an odd element below oddCount.
        while i + 8 <= min(evenCount, oddCount) {
            let pairs = raw.loadUnaligned(fromByteOffset: 2 * i * 4, as: SIMD16<Float>.self)
            evenOut.storeBytes(of: pairs.evenHalf, toByteOffset: i * 4, as: SIMD8<Float>.self)
            oddOut.storeBytes(of: pairs.oddHalf, toByteOffset: i * 4, as: SIMD8<Float>.self)
            i += 8
        }
        for j in i..<evenCount { even[j] = source[2 * j] }
        for j in i..<oddCount { odd[j] = source[2 * j + 1] }
    }

    /// `destination[i·stride] += source[i]` for `i < count` (any stride ≥ 1).
    ///
    /// For strides 1 and 2 it adds 8 floats at a time; it touches nothing past
    /// `destination[(count − 1)·stride]`.
    @inline(__always)
    static func scatterAdd(_ source: UnsafePointer<Float>, into destination: UnsafeMutablePointer<Float>, stride: Int, count: Int) {
        var i = 0
        let raw = UnsafeRawPointer(source), out = UnsafeMutableRawPointer(destination)
        if stride == 1 {
            while i + 8 <= count {
                let sum = out.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self)
                    + raw.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self)
                out.storeBytes(of: sum, toByteOffset: i * 4, as: SIMD8<Float>.self)
                i += 8
            }
        } else if stride == 2 {
            // The odd slots between get + 0; the last one touched is 2·(i+7)+1 ≤ 2·(count−1).
            while i + 8 < count {
                var spread = SIMD16<Float>()
                spread.evenHalf = raw.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self)
                let sum = out.loadUnaligned(fromByteOffset: 2 * i * 4, as: SIMD16<Float>.self) + spread
                out.storeBytes(of: sum, toByteOffset: 2 * i * 4, as: SIMD16<Float>.self)
                i += 8
            }
        }
        while i < count {
            destination[i * stride] += source[i]
            i += 1
        }
    }
}
