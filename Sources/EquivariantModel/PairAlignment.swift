import Tensors

/// θ_z of the `aligned` output: the character's motion between two frames found by aligning
/// the frames themselves, with no learned parameter and no label.
///
/// Over a still background, what moves is where a frame pair differs. The source pixels
/// there — the character, plus the strip it uncovers — are aligned onto the next frame by
/// robust Lucas–Kanade (``AffineAlignment``, coarse to fine, from the identity); the
/// uncovered strip disagrees with the motion and the Huber cost discounts it. A pair that
/// hardly differs, or an alignment that runs away, gives the identity.
public enum PairAlignment {
    /// A pixel takes part when a colour channel changes by more than this (on the 0–1 scale,
    /// averaged over its 3×3 neighbourhood, so single noisy pixels do not).
    public static let differenceThreshold: Float = 0.03

    /// The sampling matrices θ [N, 6] (output point → source point) that move each frame of
    /// `frames` [N, 3, H, W] onto the same sample of `nextFrames`.
    public static func theta(frames: Tensor, nextFrames: Tensor) -> Tensor {
        precondition(frames.shape == nextFrames.shape && frames.shape.count == 4 && frames.shape[1] == 3,
                     "PairAlignment: needs two [N, 3, H, W] batches of the same shape, got \(frames.shape) and \(nextFrames.shape)")
        let n = frames.shape[0], height = frames.shape[2], width = frames.shape[3], plane = width * height
        let identity = Affine2D.identity.elements
        var theta = [Float](repeating: 0, count: n * 6)
        let x = frames.scalars, next = nextFrames.scalars
        theta.withUnsafeMutableBufferPointer { out in
            let out = out
            Parallel.forEach(n) { s in
                let first = Array(x[(s * 3 * plane)..<((s + 1) * 3 * plane)]), second = Array(next[(s * 3 * plane)..<((s + 1) * 3 * plane)])
                let weight = support(first, second, width: width, height: height)
                let aligned = AffineAlignment.coarseToFine(
                    from: [identity], sourceGrey: AffineAlignment.grey(planarRGB: first, planeSize: plane), weight: weight, targetGrey: AffineAlignment.grey(planarRGB: second, planeSize: plane),
                    fullWidth: width, fullHeight: height, width: width, height: height) ?? identity
                for k in 0..<6 { out[s * 6 + k] = aligned[k] }
            }
        }
        return Tensor(shape: [n, 6], scalars: theta)
    }

    /// 1 where the pair differs (the largest channel change, averaged over 3×3, above
    /// ``differenceThreshold``), grown by one pixel; else 0. Planar RGB in, one plane out.
    static func support(_ a: [Float], _ b: [Float], width: Int, height: Int) -> [Float] {
        let plane = width * height
        var change = [Float](repeating: 0, count: plane)
        for i in 0..<plane {
            change[i] = max(abs(a[i] - b[i]), abs(a[plane + i] - b[plane + i]), abs(a[2 * plane + i] - b[2 * plane + i]))
        }
        func neighbourhood(_ x: Int, _ y: Int, _ body: (Int) -> Void) {
            for yy in max(y - 1, 0)...min(y + 1, height - 1) { for xx in max(x - 1, 0)...min(x + 1, width - 1) { body(yy * width + xx) } }
        }
        var moving = [Bool](repeating: false, count: plane)
        for y in 0..<height {
            for x in 0..<width {
                var sum: Float = 0, count = 0
                neighbourhood(x, y) { sum += change[$0]; count += 1 }
                moving[y * width + x] = sum / Float(count) > differenceThreshold
            }
        }
        var weight = [Float](repeating: 0, count: plane)
        for y in 0..<height {
            for x in 0..<width {
                var any = false
                neighbourhood(x, y) { any = any || moving[$0] }
                weight[y * width + x] = any ? 1 : 0
            }
        }
        return weight
    }
}
