import NeuralNetwork
import Tensors

/// What f or h emits for a batch of frames: the feature maps z at R/s (the note's features)
/// and, for a two-level model (``ModelConfiguration/fineLevel``), a second map at the frame's
/// own size R that carries the detail the coarse maps cannot.
///
/// Both levels are warped by the same θ_z (normalised coordinates make one θ exact at every
/// size), added level by level (`T^z(f(x)) + h(x)`), and g and the coverage head read both.
public struct FeatureMaps: Equatable, Sendable {
    /// The feature maps at R/s: [N, C', R/s, R/s].
    public var coarse: Tensor
    /// The full-resolution level of a two-level model, [N, B, R, R]; nil for one level.
    public var fine: Tensor?

    /// Feature maps from their levels (both with the same batch size).
    public init(coarse: Tensor, fine: Tensor? = nil) {
        precondition(fine == nil || fine!.shape[0] == coarse.shape[0], "FeatureMaps: levels of \(coarse.shape) and \(fine!.shape) differ in batch size")
        self.coarse = coarse
        self.fine = fine
    }

    /// The levels, coarse first.
    public var levels: [Tensor] { [coarse] + (fine.map { [$0] } ?? []) }

    /// Feature maps from levels listed coarse first (as ``levels`` lists them).
    init(levels: [Tensor]) {
        precondition(levels.count == 1 || levels.count == 2, "FeatureMaps: \(levels.count) levels")
        self.init(coarse: levels[0], fine: levels.count == 2 ? levels[1] : nil)
    }

    /// Frames in the batch.
    public var batchSize: Int { coarse.shape[0] }

    /// Scalars over all levels.
    public var count: Int { levels.reduce(0) { $0 + $1.count } }

    /// Every scalar, the coarse level first: the flat layout of the C ABI's feature buffers.
    public var scalars: [Float] { levels.flatMap(\.scalars) }

    /// Feature maps shaped like `shapes` (coarse first) filled from a flat buffer in the
    /// layout of ``scalars``.
    public init(shapes: [[Int]], scalars: [Float]) {
        var offset = 0
        let levels = shapes.map { shape -> Tensor in
            let count = shape.reduce(1, *)
            defer { offset += count }
            return Tensor(shape: shape, scalars: Array(scalars[offset..<(offset + count)]))
        }
        precondition(offset == scalars.count, "FeatureMaps: \(scalars.count) scalars for shapes \(shapes)")
        self.init(levels: levels)
    }

    /// Samples `range` of the batch, at every level.
    public func batches(_ range: Range<Int>) -> FeatureMaps { FeatureMaps(levels: levels.map { $0.batches(range) }) }

    /// Batches stacked, level by level (all with the same levels).
    public static func concatenatingBatches(_ parts: [FeatureMaps]) -> FeatureMaps {
        precondition(!parts.isEmpty && parts.allSatisfy { ($0.fine == nil) == (parts[0].fine == nil) }, "FeatureMaps: parts differ in levels")
        return FeatureMaps(levels: parts[0].levels.indices.map { level in .concatenatingBatches(parts.map { $0.levels[level] }) })
    }

    /// Level by level sums (both with the same levels).
    public static func + (lhs: FeatureMaps, rhs: FeatureMaps) -> FeatureMaps { lhs.combined(with: rhs, by: +) }

    /// Level by level differences (both with the same levels).
    public static func - (lhs: FeatureMaps, rhs: FeatureMaps) -> FeatureMaps { lhs.combined(with: rhs, by: -) }

    /// `operation` applied level by level to maps with the same levels.
    private func combined(with other: FeatureMaps, by operation: (Tensor, Tensor) -> Tensor) -> FeatureMaps {
        precondition((fine == nil) == (other.fine == nil), "FeatureMaps: one-level and two-level maps combined")
        return FeatureMaps(levels: zip(levels, other.levels).map(operation))
    }

    /// Adds level by level.
    public static func += (lhs: inout FeatureMaps, rhs: FeatureMaps) { lhs = lhs + rhs }

    /// Every level scaled.
    public static func * (lhs: FeatureMaps, scale: Float) -> FeatureMaps { FeatureMaps(levels: lhs.levels.map { $0 * scale }) }

    /// Zeros shaped like these maps.
    public var zeros: FeatureMaps { FeatureMaps(levels: levels.map { Tensor(shape: $0.shape, repeating: 0) }) }
}

extension FeatureMaps {
    /// `Σ_levels mean((p − t)²)` and its gradient with respect to p (the target's is its negative).
    static func meanSquaredError(_ prediction: FeatureMaps, _ target: FeatureMaps) -> (value: Float, gradient: FeatureMaps) {
        let terms = zip(prediction.levels, target.levels).map { Loss.meanSquaredError($0, $1) }
        return (terms.reduce(0) { $0 + $1.value }, FeatureMaps(levels: terms.map(\.gradient)))
    }
}
