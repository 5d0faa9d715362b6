import Tensors

/// Refines an estimated motion of the character between two frames by aligning its pixels:
/// the sampling matrix θ (normalised coordinates, output point → source point) is moved,
/// by damped Gauss–Newton steps on a coarse-to-fine pyramid, until frame t's character
/// (its matte) moved by θ matches frame t + 1, the Lucas–Kanade way.
///
/// The model estimates θ at its own resolution, from features; a composite moves the
/// character's real pixels at the video's resolution, where every error of θ shows as a
/// misplaced edge. Nothing here reads a label: only the two frames and the first one's matte.
public enum MotionRefinement {
    /// The longer side of the finest pyramid level, in pixels.
    public static let workingSide = 128

    /// θ refined so that `source`'s character (where `matte` is set) moved by θ matches
    /// `target` (same size as `source`). Returns `theta` unchanged when the matte covers too
    /// few pixels to align, or when the alignment runs away from it (a change of more than
    /// 0.5 in any entry): the model's estimate is then the better guess.
    public static func refine(_ theta: Affine2D, from source: PlanarImage, matte: PlanarMask, to target: PlanarImage) -> Affine2D {
        precondition(source.width == target.width && source.height == target.height && matte.width == source.width && matte.height == source.height,
                     "MotionRefinement: frame and matte sizes differ")
        let scale = min(1, Float(workingSide) / Float(max(source.width, source.height)))
        let sourceGrey = Level.grey(source), targetGrey = Level.grey(target)
        let fine = Level(sourceGrey: sourceGrey, matte: matte, targetGrey: targetGrey,
                         width: max(8, Int((Float(source.width) * scale).rounded())), height: max(8, Int((Float(source.height) * scale).rounded())))
        let coarse = Level(sourceGrey: sourceGrey, matte: matte, targetGrey: targetGrey, width: max(8, fine.width / 2), height: max(8, fine.height / 2))
        var e = theta.elements
        for level in [coarse, fine] {
            guard let refined = level.align(e) else { return theta }
            e = refined
        }
        guard zip(e, theta.elements).allSatisfy({ abs($0 - $1) <= 0.5 && $0.isFinite }) else { return theta }
        return Affine2D(e)
    }

    /// `template` with each step t → t+1 aligned on the clip it came from: `nextFrame` gives
    /// the clip's frames in order, each with its character's matte and the index of its shot
    /// (nil at the end). A step across a cut, or past the last frame given, stays as it is.
    public static func refine(_ template: MotionTemplate,
                              frames nextFrame: () throws -> (image: PlanarImage, matte: PlanarMask, shot: Int)?) rethrows -> MotionTemplate {
        var refined = template
        guard var previous = try nextFrame() else { return refined }
        for t in refined.steps.indices {
            guard let current = try nextFrame() else { break }
            if current.shot == previous.shot && current.image.width == previous.image.width && current.image.height == previous.image.height {
                refined.steps[t] = refine(Affine2D(refined.steps[t]), from: previous.image, matte: previous.matte, to: current.image).elements
            }
            previous = current
        }
        return refined
    }

    /// One pyramid level: grey frames, the source's matte and its gradients in normalised units.
    struct Level {
        let width: Int, height: Int
        var sourceGrey: [Float], sourceAlpha: [Float], targetGrey: [Float]
        var gradientU: [Float], gradientV: [Float]

        /// The level of `width`×`height` from the frames' grey planes and the matte (all at
        /// the matte's size).
        init(sourceGrey fullSource: [Float], matte: PlanarMask, targetGrey fullTarget: [Float], width: Int, height: Int) {
            self.width = width
            self.height = height
            sourceGrey = Self.resample(fullSource, matte.width, matte.height, width, height)
            targetGrey = Self.resample(fullTarget, matte.width, matte.height, width, height)
            sourceAlpha = Self.resample(matte.values, matte.width, matte.height, width, height)
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

        static func grey(_ image: PlanarImage) -> [Float] {
            let n = image.planeSize
            return (0..<n).map { (image.values[$0] + image.values[n + $0] + image.values[2 * n + $0]) / 3 }
        }

        /// Area-average resampling of one plane (each output pixel the mean of the input
        /// pixels it covers, at least one; meant for shrinking).
        static func resample(_ plane: [Float], _ w: Int, _ h: Int, _ newWidth: Int, _ newHeight: Int) -> [Float] {
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

        /// Damped Gauss–Newton (Levenberg–Marquardt) from `start`; nil when the matte covers
        /// fewer than 16 pixels of this level.
        func align(_ start: [Float]) -> [Float]? {
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
}
