import Tensors

/// Composes the character layer over a new background at the video's own resolution.
///
/// A frame of a static camera is `x = α·F + (1 − α)·P`: the character F over the plate P
/// with the matte α. The character layer, premultiplied, is `α·F = x − (1 − α)·P`, so its
/// pixels come from the full-resolution frame itself, soft edges included, with the old
/// background taken out.
/// - In place (swap): `α·F + (1 − α)·B = x + (1 − α)·(B − P)`.
/// - Moved by an affine (transform, transfer): the layer and its matte are resampled once
///   (bilinear, transparent outside the frame) and laid over B.
public enum LayerCompositor {
    /// The character of `frame` (matte `alpha`, plate `plate`) over `background`, in place.
    public static func swap(frame: PlanarImage, alpha: PlanarMask, plate: PlanarImage, background: PlanarImage) -> PlanarImage {
        checkSizes(frame, alpha, plate, background)
        let n = frame.planeSize
        // Written once into fresh storage (no copy of the frame first), in 8 parts of each
        // channel so both cores get the same share.
        let parts = n >= 1 << 14 ? 8 : 1
        let values = [Float](unsafeUninitializedCapacity: 3 * n) { o, count in
            frame.values.withUnsafeBufferPointer { f in
                plate.values.withUnsafeBufferPointer { p in
                    background.values.withUnsafeBufferPointer { b in
                        alpha.values.withUnsafeBufferPointer { a in
                            let o = o
                            Parallel.forEach(3 * parts) { task in
                                let k = task / parts, part = task % parts
                                for i in (n * part / parts)..<(n * (part + 1) / parts) {
                                    let j = k * n + i
                                    o[j] = min(max(f[j] + (1 - a[i]) * (b[j] - p[j]), 0), 1)
                                }
                            }
                        }
                    }
                }
            }
            count = 3 * n
        }
        return PlanarImage(width: frame.width, height: frame.height, values: values)
    }

    /// The character of `frame` moved by `sampling` (normalised coordinates, output point →
    /// source point, the convention of θ) over `background`.
    public static func moved(frame: PlanarImage, alpha: PlanarMask, plate: PlanarImage, background: PlanarImage, sampling: Affine2D) -> PlanarImage {
        checkSizes(frame, alpha, plate, background)
        let width = frame.width, height = frame.height, n = frame.planeSize
        // The premultiplied layer α·F = x − (1 − α)·P, within [0, α].
        var layer = [Float](repeating: 0, count: 3 * n)
        for k in 0..<3 {
            for i in 0..<n {
                let j = k * n + i, a = alpha.values[i]
                layer[j] = min(max(frame.values[j] - (1 - a) * plate.values[j], 0), a)
            }
        }
        var out = background
        let e = sampling.elements
        out.values.withUnsafeMutableBufferPointer { o in
            for y in 0..<height {
                for x in 0..<width {
                    let (_, _, fx, fy) = SamplingGrid.map(e, x: x, y: y, width: width, height: height)
                    let x0 = Int(fx.rounded(.down)), y0 = Int(fy.rounded(.down))
                    let wx = fx - Float(x0), wy = fy - Float(y0)
                    var movedAlpha: Float = 0
                    var movedLayer: (Float, Float, Float) = (0, 0, 0)
                    for (dx, dy, w) in [(0, 0, (1 - wx) * (1 - wy)), (1, 0, wx * (1 - wy)), (0, 1, (1 - wx) * wy), (1, 1, wx * wy)] {
                        let sx = x0 + dx, sy = y0 + dy
                        guard w > 0, sx >= 0, sx < width, sy >= 0, sy < height else { continue }
                        let i = sy * width + sx
                        movedAlpha += w * alpha.values[i]
                        movedLayer.0 += w * layer[i]
                        movedLayer.1 += w * layer[n + i]
                        movedLayer.2 += w * layer[2 * n + i]
                    }
                    let i = y * width + x
                    o[i] = min(max(movedLayer.0 + (1 - movedAlpha) * o[i], 0), 1)
                    o[n + i] = min(max(movedLayer.1 + (1 - movedAlpha) * o[n + i], 0), 1)
                    o[2 * n + i] = min(max(movedLayer.2 + (1 - movedAlpha) * o[2 * n + i], 0), 1)
                }
            }
        }
        return out
    }

    private static func checkSizes(_ frame: PlanarImage, _ alpha: PlanarMask, _ plate: PlanarImage, _ background: PlanarImage) {
        precondition(alpha.width == frame.width && alpha.height == frame.height
                     && plate.width == frame.width && plate.height == frame.height
                     && background.width == frame.width && background.height == frame.height,
                     "LayerCompositor: frame \(frame.width)x\(frame.height), matte \(alpha.width)x\(alpha.height), plate \(plate.width)x\(plate.height), background \(background.width)x\(background.height)")
    }
}
