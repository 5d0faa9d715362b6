import Tensors

extension SafeTensors {
    /// The number of NaN or infinite elements in each tensor that has any.
    public static func nonFiniteCounts(in tensors: [String: Tensor]) -> [String: Int] {
        var counts: [String: Int] = [:]
        for (name, tensor) in tensors where !tensor.isFinite {
            counts[name] = tensor.scalars.reduce(0) { $0 + ($1.isFinite ? 0 : 1) }
        }
        return counts
    }

    /// Throws if any tensor holds NaN or infinite values. The format allows them, so
    /// `decode`/`read` accept them; call this after loading a checkpoint that must be finite.
    ///
    /// - Throws: `SafeTensorsError.nonFiniteValues` for the first such tensor in sorted-name order.
    public static func checkFinite(_ tensors: [String: Tensor]) throws {
        let counts = nonFiniteCounts(in: tensors)
        if let name = counts.keys.sorted(by: utf8Precedes).first {
            throw SafeTensorsError.nonFiniteValues(tensor: name, count: counts[name]!)
        }
    }
}
