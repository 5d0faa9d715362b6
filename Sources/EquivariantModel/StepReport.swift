/// The losses and diagnostics of one training step.
public struct StepReport: Equatable, Codable, Sendable {
    /// Step number after this update (1-based).
    public var step: Int
    /// Weighted sum that was minimised.
    public var total: Float
    /// L_s, next-frame prediction MSE.
    public var scene: Float
    /// Reconstruction MSE.
    public var reconstruction: Float
    /// L_c, equivariance MSE.
    public var character: Float
    /// L_b, invariance MSE.
    public var background: Float
    /// Mean |f(x)|: falls towards 0 when f collapses.
    public var characterFeatureMagnitude: Float
    /// Mean |h(x)|.
    public var backgroundFeatureMagnitude: Float
    /// Mean |θ_z − θ_x| for batches that carry the true motion (how far T^z is from T^x).
    public var transformError: Float?
    /// Global L2 norm of the gradient before clipping.
    public var gradientNorm: Float?
    /// Mean coverage α over the prediction and reconstruction (layered renderer only).
    public var coverageMean: Float?
    /// Mean |θ_z(x, A·x) − θ(A)| over the trainer's drawn motions (when that term is on).
    public var drawnMotionError: Float?
}
