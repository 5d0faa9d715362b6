/// A dense float32 tensor in row-major (C) order.
///
/// Image batches use the **NCHW** layout: `[batch, channels, height, width]`. NCHW makes a
/// convolution one im2col + GEMM per sample whose result is already the output's
/// `[channels, height × width]` block, so no transpose follows the GEMM, and every channel
/// plane is contiguous for the spatial transformer and the resampling layers.
///
/// Storage is a Swift array, so copies are cheap until written (copy-on-write).
public struct Tensor: Equatable, Sendable {
    /// The extent of each axis, outermost first.
    public private(set) var shape: [Int]
    /// The elements in row-major order; `scalars.count == shape.reduce(1, *)`.
    public var scalars: [Float]

    /// Creates a tensor of the given shape filled with `value`.
    public init(shape: [Int], repeating value: Float = 0) {
        precondition(shape.allSatisfy { $0 >= 0 }, "Tensor: negative extent in shape \(shape)")
        self.shape = shape
        self.scalars = [Float](repeating: value, count: shape.reduce(1, *))
    }

    /// Creates a tensor whose elements are undefined until written: for an output that the
    /// caller overwrites in full, so no pass of zeros goes before the real one.
    public init(uninitializedShape shape: [Int]) {
        precondition(shape.allSatisfy { $0 >= 0 }, "Tensor: negative extent in shape \(shape)")
        let count = shape.reduce(1, *)
        self.shape = shape
        self.scalars = [Float](unsafeUninitializedCapacity: count) { _, initialized in initialized = count }
    }

    /// Creates a tensor from a shape and its row-major elements.
    public init(shape: [Int], scalars: [Float]) {
        precondition(shape.allSatisfy { $0 >= 0 }, "Tensor: negative extent in shape \(shape)")
        precondition(
            shape.reduce(1, *) == scalars.count,
            "Tensor: shape \(shape) holds \(shape.reduce(1, *)) elements but \(scalars.count) were given")
        self.shape = shape
        self.scalars = scalars
    }

    /// Creates a tensor whose elements are drawn uniformly from `range`.
    public init(shape: [Int], uniformIn range: ClosedRange<Float>, generator: inout SeededGenerator) {
        let count = shape.reduce(1, *)
        var values = [Float](repeating: 0, count: count)
        for i in 0..<count { values[i] = generator.nextFloat(in: range) }
        self.init(shape: shape, scalars: values)
    }

    /// The number of elements.
    public var count: Int { scalars.count }

    /// The number of axes.
    public var rank: Int { shape.count }

    /// The same elements under another shape with the same element count.
    public func reshaped(to newShape: [Int]) -> Tensor {
        precondition(
            newShape.reduce(1, *) == count,
            "Tensor.reshaped: cannot view shape \(shape) (\(count) elements) as \(newShape)")
        return Tensor(shape: newShape, scalars: scalars)
    }

    /// Calls `body` with a pointer to the elements.
    @inlinable
    public func withUnsafePointer<R>(_ body: (UnsafePointer<Float>) throws -> R) rethrows -> R {
        try scalars.withUnsafeBufferPointer { try body($0.baseAddress!) }
    }

    /// Calls `body` with a mutable pointer to the elements.
    @inlinable
    public mutating func withUnsafeMutablePointer<R>(_ body: (UnsafeMutablePointer<Float>) throws -> R) rethrows -> R {
        try scalars.withUnsafeMutableBufferPointer { try body($0.baseAddress!) }
    }
}

// MARK: - Arithmetic

extension Tensor {
    /// Element-wise sum of two tensors of the same shape.
    public static func + (lhs: Tensor, rhs: Tensor) -> Tensor {
        precondition(lhs.shape == rhs.shape, "Tensor +: shapes \(lhs.shape) and \(rhs.shape) differ")
        var result = Tensor(uninitializedShape: lhs.shape)
        result.withUnsafeMutablePointer { r in
            lhs.withUnsafePointer { a in
                rhs.withUnsafePointer { b in
                    Parallel.forEachChunk(of: lhs.count) { range in for i in range { r[i] = a[i] + b[i] } }
                }
            }
        }
        return result
    }

    /// Element-wise difference of two tensors of the same shape.
    public static func - (lhs: Tensor, rhs: Tensor) -> Tensor {
        precondition(lhs.shape == rhs.shape, "Tensor -: shapes \(lhs.shape) and \(rhs.shape) differ")
        var result = Tensor(uninitializedShape: lhs.shape)
        result.withUnsafeMutablePointer { r in
            lhs.withUnsafePointer { a in
                rhs.withUnsafePointer { b in
                    Parallel.forEachChunk(of: lhs.count) { range in for i in range { r[i] = a[i] - b[i] } }
                }
            }
        }
        return result
    }

    /// Adds `rhs` element-wise into `lhs`; the shapes must match.
    public static func += (lhs: inout Tensor, rhs: Tensor) {
        precondition(lhs.shape == rhs.shape, "Tensor +=: shapes \(lhs.shape) and \(rhs.shape) differ")
        let n = lhs.count
        lhs.withUnsafeMutablePointer { a in
            rhs.withUnsafePointer { b in
                Parallel.forEachChunk(of: n) { range in for i in range { a[i] += b[i] } }
            }
        }
    }

    /// Every element multiplied by `scale`.
    public static func * (lhs: Tensor, scale: Float) -> Tensor {
        var result = Tensor(uninitializedShape: lhs.shape)
        result.withUnsafeMutablePointer { r in
            lhs.withUnsafePointer { a in
                Parallel.forEachChunk(of: lhs.count) { range in for i in range { r[i] = a[i] * scale } }
            }
        }
        return result
    }

    /// Sets every element to zero, keeping the shape.
    public mutating func zero() {
        let n = count
        withUnsafeMutablePointer { p in p.update(repeating: 0, count: n) }
    }

    /// The sum of all elements, accumulated in double precision.
    public func sum() -> Double {
        withUnsafePointer { p in
            var total = 0.0
            for i in 0..<count { total += Double(p[i]) }
            return total
        }
    }

    /// The mean of the absolute values, accumulated in double precision (0 for an empty tensor).
    public func meanAbsolute() -> Double {
        guard count > 0 else { return 0 }
        return withUnsafePointer { p in
            var total = 0.0
            for i in 0..<count { total += Double(abs(p[i])) }
            return total / Double(count)
        }
    }

    /// Whether every element is finite (no NaN, no infinity).
    public var isFinite: Bool { scalars.allSatisfy { $0.isFinite } }
}

// MARK: - Batches

extension Tensor {
    /// The extent of the first axis (the batch, for NCHW tensors).
    public var batchSize: Int { shape.first ?? 0 }

    /// Joins tensors along the first axis; all other extents must agree.
    public static func concatenatingBatches(_ parts: [Tensor]) -> Tensor {
        precondition(!parts.isEmpty, "Tensor.concatenatingBatches: no tensors given")
        let inner = Array(parts[0].shape.dropFirst())
        for part in parts {
            precondition(
                Array(part.shape.dropFirst()) == inner,
                "Tensor.concatenatingBatches: shape \(part.shape) does not match \(parts[0].shape) past the first axis")
        }
        var result = Tensor(uninitializedShape: [parts.reduce(0) { $0 + $1.batchSize }] + inner)
        result.withUnsafeMutablePointer { out in
            var offset = 0
            for part in parts {
                let n = part.count
                part.withUnsafePointer { source in
                    let destination = out + offset
                    Parallel.forEachChunk(of: n) { range in (destination + range.lowerBound).update(from: source + range.lowerBound, count: range.count) }
                }
                offset += n
            }
        }
        return result
    }

    /// The samples `range` of the first axis, as a new tensor.
    public func batches(_ range: Range<Int>) -> Tensor {
        precondition(
            range.lowerBound >= 0 && range.upperBound <= batchSize,
            "Tensor.batches: range \(range) outside batch of \(batchSize) in shape \(shape)")
        let stride = batchSize == 0 ? 0 : count / batchSize
        var result = Tensor(uninitializedShape: [range.count] + shape.dropFirst())
        let n = result.count
        if n == 0 { return result }
        result.withUnsafeMutablePointer { out in
            withUnsafePointer { x in
                let source = x + range.lowerBound * stride
                Parallel.forEachChunk(of: n) { chunk in (out + chunk.lowerBound).update(from: source + chunk.lowerBound, count: chunk.count) }
            }
        }
        return result
    }
}
