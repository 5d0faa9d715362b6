import Tensors

/// Reconstruction losses: each returns the scalar loss and its gradient with respect to the
/// prediction (the target is treated as a constant; negate for its gradient).
public enum Loss {
    /// Mean squared error `mean((p − t)²)`; gradient `2(p − t)/count`.
    public static func meanSquaredError(_ prediction: Tensor, _ target: Tensor) -> (value: Float, gradient: Tensor) {
        elementwise("meanSquaredError", prediction, target) { d in (d * d, 2 * d) }
    }

    /// Mean absolute error `mean(|p − t|)`; gradient `sign(p − t)/count` (0 where equal).
    public static func l1(_ prediction: Tensor, _ target: Tensor) -> (value: Float, gradient: Tensor) {
        elementwise("l1", prediction, target) { d in (abs(d), d > 0 ? 1 : (d < 0 ? -1 : 0)) }
    }

    /// `mean(φ(p − t))` with `φ` returning (value, derivative) of one difference.
    private static func elementwise(
        _ name: String, _ prediction: Tensor, _ target: Tensor, _ phi: (Float) -> (Float, Float)
    ) -> (value: Float, gradient: Tensor) {
        precondition(prediction.shape == target.shape,
                     "Loss.\(name): prediction \(prediction.shape) and target \(target.shape) differ in shape")
        precondition(prediction.count > 0, "Loss.\(name): empty tensors")
        let scale = 1 / Float(prediction.count)
        var gradient = Tensor(shape: prediction.shape)
        var total = 0.0
        gradient.withUnsafeMutablePointer { g in
            prediction.withUnsafePointer { p in
                target.withUnsafePointer { t in
                    for i in 0..<prediction.count {
                        let (value, derivative) = phi(p[i] - t[i])
                        total += Double(value)
                        g[i] = derivative * scale
                    }
                }
            }
        }
        return (Float(total / Double(prediction.count)), gradient)
    }
}
