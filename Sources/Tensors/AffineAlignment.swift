/// Lucas–Kanade alignment of two grey images under an affine sampling matrix θ (normalised
/// coordinates, output point → source point, the convention of T^z): θ is moved, by damped
/// Gauss–Newton steps with a robust (Huber) cost, until the source's weighted pixels moved
/// by θ match the target. The weight plane says which source pixels take part (a character's
/// matte, or where a frame pair differs); it moves with them.
///
/// One instance is one pyramid level; callers run a coarse level first and start the fine
/// one where it ended. Nothing here reads a label: only the two images and the weight.
public struct AffineAlignment {
    /// The level's size in pixels.
    public let width: Int, height: Int
    var sourceGrey: [Float], sourceAlpha: [Float], targetGrey: [Float]
    var gradientU: [Float], gradientV: [Float]

    /// The level of `width`×`height` from grey planes and a weight plane in [0, 1], all
    /// `fullWidth`×`fullHeight` (shrunk by area averaging when the level is smaller).
    public init(sourceGrey fullSource: [Float], weight: [Float], targetGrey fullTarget: [Float], fullWidth: Int, fullHeight: Int, width: Int, height: Int) {
        precondition(fullSource.count == fullWidth * fullHeight && weight.count == fullSource.count && fullTarget.count == fullSource.count,
                     "AffineAlignment: plane sizes differ")
        self.width = width
        self.height = height
        sourceGrey = Self.resample(fullSource, fullWidth, fullHeight, width, height)
        targetGrey = Self.resample(fullTarget, fullWidth, fullHeight, width, height)
        sourceAlpha = Self.resample(weight, fullWidth, fullHeight, width, height)
        gradientU = [Float](repeating: 0, count: width * height)
        gradientV = gradientU
        // Central differences, converted from pixels to normalised coordinates
        // (x = ((u + 1)·W − 1) / 2, so ∂/∂u = (W / 2)·∂/∂x).
        for y in 0..<height {
            for x in 0..<width {
                let i = y * width + x
                let left = sourceGrey[y * width + max(x - 1, 0)], right = sourceGrey[y * width + min(x + 1, width - 1)]
                let up = sourceGrey[max(y - 1, 0) * width + x], down = sourceGrey[min(y + 1, height - 1) * width + x]
                gradientU[i] = (right - left) / 2 * Float(width) / 2
                gradientV[i] = (down - up) / 2 * Float(height) / 2
            }
        }
    }

    /// The grey plane (the mean of the three colour planes) of a planar RGB image of
    /// `planeSize` pixels per plane.
    public static func grey(planarRGB rgb: [Float], planeSize plane: Int) -> [Float] {
        precondition(rgb.count >= 3 * plane, "AffineAlignment.grey: needs three planes")
        return (0..<plane).map { (rgb[$0] + rgb[plane + $0] + rgb[2 * plane + $0]) / 3 }
    }

    /// Area-average resampling of one plane (each output pixel the mean of the input
    /// pixels it covers, at least one; meant for shrinking).
    public static func resample(_ plane: [Float], _ w: Int, _ h: Int, _ newWidth: Int, _ newHeight: Int) -> [Float] {
        if w == newWidth && h == newHeight { return plane }
        var out = [Float](repeating: 0, count: newWidth * newHeight)
        let sx = Float(w) / Float(newWidth), sy = Float(h) / Float(newHeight)
        for y in 0..<newHeight {
            let y0 = Int(Float(y) * sy), y1 = max(y0 + 1, min(h, Int(Float(y + 1) * sy)))
            for x in 0..<newWidth {
                let x0 = Int(Float(x) * sx), x1 = max(x0 + 1, min(w, Int(Float(x + 1) * sx)))
                var sum: Float = 0
                for yy in y0..<min(y1, h) { for xx in x0..<min(x1, w) { sum += plane[yy * w + xx] } }
                out[y * newWidth + x] = sum / Float((min(y1, h) - y0) * (min(x1, w) - x0))
            }
        }
        return out
    }

    /// Bilinear sample of a plane at pixel position (fx, fy); zero outside.
    func sample(_ plane: [Float], _ fx: Float, _ fy: Float) -> Float {
        let x0 = Int(fx.rounded(.down)), y0 = Int(fy.rounded(.down))
        let wx = fx - Float(x0), wy = fy - Float(y0)
        var value: Float = 0
        for (dx, dy, w) in [(0, 0, (1 - wx) * (1 - wy)), (1, 0, wx * (1 - wy)), (0, 1, (1 - wx) * wy), (1, 1, wx * wy)] {
            let x = x0 + dx, y = y0 + dy
            if w > 0, x >= 0, x < width, y >= 0, y < height { value += w * plane[y * width + x] }
        }
        return value
    }

    /// Residuals are down-weighted beyond this (Huber), so occlusions and a changing
    /// shape do not dominate.
    static let huber: Float = 0.1

    /// The normal equations of θ (6 entries) over the target pixels that the moved
    /// matte covers: `H`, `b` and the robust cost, with the matte weight's total.
    func normalEquations(_ e: [Float], withJacobian: Bool) -> (h: [Double], b: [Double], cost: Double, weight: Double) {
        var h = [Double](repeating: 0, count: 36), b = [Double](repeating: 0, count: 6)
        var cost = 0.0, total = 0.0
        for y in 0..<height {
            for x in 0..<width {
                let (u, v, fx, fy) = SamplingGrid.map(e, x: x, y: y, width: width, height: height)
                let alpha = sample(sourceAlpha, fx, fy)
                guard alpha > 0.05 else { continue }
                let r = sample(sourceGrey, fx, fy) - targetGrey[y * width + x]
                let robust: Float = abs(r) <= Self.huber ? 1 : Self.huber / abs(r)
                cost += Double(alpha) * Double(abs(r) <= Self.huber ? r * r / 2 : Self.huber * (abs(r) - Self.huber / 2))
                total += Double(alpha)
                guard withJacobian else { continue }
                let gu = sample(gradientU, fx, fy), gv = sample(gradientV, fx, fy)
                let j: [Float] = [gu * u, gu * v, gu, gv * u, gv * v, gv]
                let w = Double(alpha * robust)
                for a in 0..<6 {
                    b[a] += w * Double(j[a] * r)
                    for c in a..<6 { h[a * 6 + c] += w * Double(j[a] * j[c]) }
                }
            }
        }
        for a in 0..<6 { for c in 0..<a { h[a * 6 + c] = h[c * 6 + a] } }
        return (h, b, cost, total)
    }

    /// θ aligned coarse to fine from each of `starts`: on a level of half the side (at least
    /// 8 pixels), then on one of `width`×`height`; of the alignments that did not run away
    /// from their start (an entry moving by more than `maximumChange`, or not finite), the one
    /// whose weighted pixels match best. Nil when none is left (or the weight covers too few
    /// pixels): the first start is then the better guess.
    public static func coarseToFine(from starts: [[Float]], sourceGrey: [Float], weight: [Float], targetGrey: [Float],
                                    fullWidth: Int, fullHeight: Int, width: Int, height: Int, maximumChange: Float = 0.5) -> [Float]? {
        let fine = AffineAlignment(sourceGrey: sourceGrey, weight: weight, targetGrey: targetGrey, fullWidth: fullWidth, fullHeight: fullHeight,
                                   width: max(8, width), height: max(8, height))
        let coarse = AffineAlignment(sourceGrey: sourceGrey, weight: weight, targetGrey: targetGrey, fullWidth: fullWidth, fullHeight: fullHeight,
                                     width: max(8, fine.width / 2), height: max(8, fine.height / 2))
        var best: (elements: [Float], cost: Double)?
        for start in starts {
            guard let coarseAligned = coarse.align(start), let e = fine.align(coarseAligned),
                  zip(e, start).allSatisfy({ abs($0 - $1) <= maximumChange && $0.isFinite }) else { continue }
            let cost = fine.meanCost(e)
            if best == nil || cost < best!.cost { best = (e, cost) }
        }
        return best?.elements
    }

    /// The mean robust cost of θ over the weighted pixels it moves onto this level (infinite
    /// when it moves none).
    public func meanCost(_ e: [Float]) -> Double {
        let r = normalEquations(e, withJacobian: false)
        return r.weight > 0 ? r.cost / r.weight : .infinity
    }

    /// θ (six entries) after damped Gauss–Newton (Levenberg–Marquardt) steps from `start`;
    /// nil when the weight covers fewer than 16 pixels of this level.
    public func align(_ start: [Float]) -> [Float]? {
        var e = start
        var lambda = 1e-3
        var current = normalEquations(e, withJacobian: true)
        guard current.weight >= 16 else { return nil }
        for _ in 0..<20 {
            var damped = current.h
            for a in 0..<6 { damped[a * 6 + a] += lambda * max(damped[a * 6 + a], 1e-9) + 1e-9 }
            guard let step = Self.solve(damped, current.b.map { -$0 }) else { break }
            let candidate = zip(e, step).map { $0 + Float($1) }
            let trial = normalEquations(candidate, withJacobian: false)
            // Compare mean costs: the moved matte covers a different area at each θ.
            if trial.weight >= 16 && trial.cost / trial.weight < current.cost / current.weight {
                e = candidate
                current = normalEquations(e, withJacobian: true)
                lambda = max(lambda / 3, 1e-6)
                if step.map(abs).max()! < 1e-4 { break }
            } else {
                lambda *= 4
                if lambda > 1e4 { break }
            }
        }
        return e
    }

    /// Solves the 6×6 system by Gaussian elimination with partial pivoting; nil if singular.
    static func solve(_ matrix: [Double], _ rhs: [Double]) -> [Double]? {
        var a = matrix, b = rhs
        let n = 6
        for col in 0..<n {
            let pivot = (col..<n).max { abs(a[$0 * n + col]) < abs(a[$1 * n + col]) }!
            guard abs(a[pivot * n + col]) > 1e-12 else { return nil }
            if pivot != col {
                for k in 0..<n { a.swapAt(col * n + k, pivot * n + k) }
                b.swapAt(col, pivot)
            }
            for row in (col + 1)..<n {
                let f = a[row * n + col] / a[col * n + col]
                guard f != 0 else { continue }
                for k in col..<n { a[row * n + k] -= f * a[col * n + k] }
                b[row] -= f * b[col]
            }
        }
        var x = [Double](repeating: 0, count: n)
        for row in stride(from: n - 1, through: 0, by: -1) {
            var s = b[row]
            for k in (row + 1)..<n { s -= a[row * n + k] * x[k] }
            x[row] = s / a[row * n + row]
        }
        return x
    }
}
