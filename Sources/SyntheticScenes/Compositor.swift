import Tensors

/// Placing character layers and compositing them over plates.
///
/// A character layer at pose A is the canonical layer moved by A, i.e. warped by
/// `BilinearSampler` with the sampling matrix θ = A⁻¹ (bilinear, zero padding; RGB and
/// alpha warped together) — the forward pass of NeuralNetwork's `SpatialTransformer`, bit
/// for bit (checked by a test). A frame is `alpha·RGB + (1 − alpha)·plate`, so wherever the
/// warped alpha is exactly 0 the frame equals the plate bit for bit.
public enum Compositor {
    /// The sampling matrices `[N, 6]` (θ = A⁻¹) that move content by each motion.
    ///
    /// - Precondition: every motion is invertible.
    public static func samplingMatrices(for motions: [Affine2D]) -> Tensor {
        do { return try Affine2D.samplingMatrices(for: motions) } catch { preconditionFailure("Compositor: \(error)") }
    }

    /// Moves the content of each map `[N, C, H, W]` by its motion (`motions.count == N`).
    ///
    /// - Precondition: the shapes agree and every motion is invertible.
    public static func move(_ maps: Tensor, by motions: [Affine2D]) -> Tensor {
        precondition(maps.rank == 4 && maps.shape[0] == motions.count,
                     "Compositor.move: expects [N, C, H, W] maps with N = \(motions.count) motions, got \(maps.shape)")
        if motions.isEmpty { return maps }
        return BilinearSampler.warp(maps, theta: samplingMatrices(for: motions))
    }

    /// Composites layers `[N, 4, H, W]` (RGB, alpha) over plates `[N, 3, H, W]`:
    /// `alpha·RGB + (1 − alpha)·plate`, as `[N, 3, H, W]`.
    ///
    /// - Precondition: the shapes agree.
    public static func composite(layers: Tensor, over plates: Tensor) -> Tensor {
        precondition(layers.rank == 4 && layers.shape[1] == 4,
                     "Compositor.composite: layers must be [N, 4, H, W], got \(layers.shape)")
        precondition(plates.shape == [layers.shape[0], 3, layers.shape[2], layers.shape[3]],
                     "Compositor.composite: plates \(plates.shape) do not match layers \(layers.shape)")
        let n = layers.shape[0], plane = layers.shape[2] * layers.shape[3]
        var frames = Tensor(shape: plates.shape)
        frames.withUnsafeMutablePointer { out in
            layers.withUnsafePointer { layer in
                plates.withUnsafePointer { plate in
                    for sample in 0..<n {
                        let l = layer + sample * 4 * plane, alpha = l + 3 * plane
                        for c in 0..<3 {
                            let o = out + (sample * 3 + c) * plane, p = plate + (sample * 3 + c) * plane, rgb = l + c * plane
                            for k in 0..<plane { o[k] = alpha[k] * rgb[k] + (1 - alpha[k]) * p[k] }
                        }
                    }
                }
            }
        }
        return frames
    }
}
