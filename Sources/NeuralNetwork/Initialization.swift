import Tensors

/// Deterministic weight initialisation.
public enum Initialization {
    /// He (Kaiming) uniform initialisation for a layer feeding a ReLU-like activation:
    /// uniform in ±√(6 / fanIn).
    public static func heUniform(shape: [Int], fanIn: Int, generator: inout SeededGenerator) -> Tensor {
        let bound = (6 / Float(max(fanIn, 1))).squareRoot()
        return Tensor(shape: shape, uniformIn: -bound...bound, generator: &generator)
    }
}
