// MARK: - Channel (second-axis) joins and splits for NCHW tensors

extension Tensor {
    /// Joins NCHW tensors along the channel axis; batch and spatial extents must agree.
    public static func concatenatingChannels(_ parts: [Tensor]) -> Tensor {
        precondition(!parts.isEmpty, "Tensor.concatenatingChannels: no tensors given")
        let first = parts[0].shape
        precondition(first.count >= 2, "Tensor.concatenatingChannels: needs [N, C, ...] tensors, got \(first)")
        for part in parts {
            precondition(
                part.rank == first.count && part.shape[0] == first[0] && Array(part.shape.dropFirst(2)) == Array(first.dropFirst(2)),
                "Tensor.concatenatingChannels: shape \(part.shape) does not match \(first) outside the channel axis")
        }
        let batch = first[0], plane = first.dropFirst(2).reduce(1, *)
        let channels = parts.reduce(0) { $0 + $1.shape[1] }
        var result = Tensor(shape: [batch, channels] + first.dropFirst(2))
        result.withUnsafeMutablePointer { out in
            for n in 0..<batch {
                var offset = n * channels * plane
                for part in parts {
                    let size = part.shape[1] * plane
                    part.withUnsafePointer { (out + offset).update(from: $0 + n * size, count: size) }
                    offset += size
                }
            }
        }
        return result
    }

    /// Splits an NCHW tensor along the channel axis into parts of the given channel counts.
    public func splittingChannels(_ counts: [Int]) -> [Tensor] {
        precondition(rank >= 2 && counts.reduce(0, +) == shape[1],
                     "Tensor.splittingChannels: counts \(counts) do not add up to the \(rank >= 2 ? shape[1] : 0) channels of \(shape)")
        let batch = shape[0], plane = shape.dropFirst(2).reduce(1, *), channels = shape[1]
        var first = 0
        return counts.map { count in
            var part = Tensor(shape: [batch, count] + shape.dropFirst(2))
            part.withUnsafeMutablePointer { out in
                withUnsafePointer { x in
                    for n in 0..<batch {
                        (out + n * count * plane).update(from: x + (n * channels + first) * plane, count: count * plane)
                    }
                }
            }
            first += count
            return part
        }
    }
}
