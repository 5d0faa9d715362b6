/// Bilinear ×2 upsampling of one plane and its adjoint, with the pixel-centre convention
/// (PyTorch `align_corners=False`), written out for the fixed taps of a factor of 2.
///
/// Along an axis, output `2j` reads inputs `j − 1, j` with weights ¼, ¾ and output `2j + 1`
/// reads `j, j + 1` with ¾, ¼ (indices clamped to the edge). The 2-D map is that 1-D map on
/// rows, then on columns, so both directions are two short passes of fixed-weight sums with
/// no index tables.
enum BilinearDoubling {
    /// `t[0 ..< 2w]` = the doubled row `x[0 ..< w]`.
    @inline(__always)
    static func doubleRow(_ x: UnsafePointer<Float>, width w: Int, into t: UnsafeMutablePointer<Float>) {
        if w == 1 {
            t[0] = x[0]; t[1] = x[0]
            return
        }
        t[0] = x[0]
        t[1] = 0.75 * x[0] + 0.25 * x[1]
        var j = 1
        while j < w - 1 {
            t[2 * j] = 0.25 * x[j - 1] + 0.75 * x[j]
            t[2 * j + 1] = 0.75 * x[j] + 0.25 * x[j + 1]
            j += 1
        }
        t[2 * w - 2] = 0.25 * x[w - 2] + 0.75 * x[w - 1]
        t[2 * w - 1] = x[w - 1]
    }

    /// `y [2h, 2w]` = the plane `x [h, w]` doubled. Each input row is doubled into the odd
    /// output row below it; the even rows are then mixed from their two neighbours, and the
    /// odd rows in place, top down (each reads only itself and the next odd row, not yet
    /// rewritten).
    static func forward(_ x: UnsafePointer<Float>, height h: Int, width w: Int, into y: UnsafeMutablePointer<Float>) {
        let ow = 2 * w
        for i in 0..<h { doubleRow(x + i * w, width: w, into: y + (2 * i + 1) * ow) }
        y.update(from: y + ow, count: ow)
        for i in 1..<max(1, h) {
            let above = y + (2 * i - 1) * ow, below = y + (2 * i + 1) * ow, row = y + 2 * i * ow
            for j in 0..<ow { row[j] = 0.25 * above[j] + 0.75 * below[j] }
        }
        for i in 0..<(h - 1) {
            let row = y + (2 * i + 1) * ow, below = y + (2 * i + 3) * ow
            for j in 0..<ow { row[j] = 0.75 * row[j] + 0.25 * below[j] }
        }
    }

    /// `dx [h, w]` = the adjoint of `forward` applied to `dy [2h, 2w]`: each input pixel
    /// gets the weighted gradients of the outputs it fed. Row by row: the vertical adjoint into
    /// one row of 2w, then the horizontal adjoint of that row.
    static func backward(_ dy: UnsafePointer<Float>, height h: Int, width w: Int, into dx: UnsafeMutablePointer<Float>) {
        let ow = 2 * w
        withUnsafeTemporaryAllocation(of: Float.self, capacity: ow) { buffer in
            let t = buffer.baseAddress!
            for i in 0..<h {
                let even = dy + 2 * i * ow, odd = even + ow
                // Output rows 2i, 2i+1 fed row i with ¾; row 2i−1 (or row 0's clamp) and row
                // 2i+2 (or the last row's clamp) with ¼.
                let before = i >= 1 ? dy + (2 * i - 1) * ow : dy
                let after = i + 1 < h ? dy + (2 * i + 2) * ow : dy + (2 * h - 1) * ow
                for j in 0..<ow { t[j] = 0.75 * (even[j] + odd[j]) + 0.25 * (before[j] + after[j]) }
                let d = dx + i * w
                for j in 0..<w {
                    let left = j >= 1 ? t[2 * j - 1] : t[0], right = j + 1 < w ? t[2 * j + 2] : t[2 * w - 1]
                    d[j] = 0.75 * (t[2 * j] + t[2 * j + 1]) + 0.25 * (left + right)
                }
            }
        }
    }
}
