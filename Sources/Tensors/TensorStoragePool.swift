import Foundation

/// Element arrays of finished intermediate tensors, kept for the next tensor of the same
/// size. Inference on one frame allocates and frees a few MB of layer outputs; without
/// reuse, glibc returns that memory to the kernel after each frame (the heap top is trimmed)
/// and the next frame page-faults it back in: the frei0r plugin spent as much time in the
/// kernel as in the model. The library may not change malloc's policy of its host process,
/// so it keeps its own buffers instead.
///
/// Only `Sequential` inference (no tape) gives arrays back, once a layer's output has been
/// consumed by the next layer; ``Tensor/init(shape:repeating:)`` takes them. The pool is
/// bounded (``maximumBytes``), thread-safe, and never changes results: a reused array is
/// filled like a new one, and copy-on-write keeps a still-shared array intact.
public enum TensorStoragePool {
    /// The most the pool keeps, in bytes.
    public static let maximumBytes = 64 << 20
    /// The most arrays kept of one size.
    public static let maximumPerSize = 8

    private static let lock = NSLock()
    nonisolated(unsafe) private static var idle: [Int: [[Float]]] = [:]
    nonisolated(unsafe) private static var bytes = 0

    /// An idle array of exactly `count` elements (contents undefined), or nil.
    static func take(count: Int) -> [Float]? {
        guard count >= minimumCount else { return nil }
        return lock.withLock {
            guard var arrays = idle[count], let array = arrays.popLast() else { return nil }
            idle[count] = arrays
            bytes -= count * MemoryLayout<Float>.stride
            return array
        }
    }

    /// Keeps the elements of a tensor that is no longer needed, when there is room.
    public static func recycle(_ tensor: consuming Tensor) {
        let count = tensor.count
        guard count >= minimumCount else { return }
        let array = tensor.scalars
        lock.withLock {
            let size = count * MemoryLayout<Float>.stride
            guard bytes + size <= maximumBytes, idle[count, default: []].count < maximumPerSize else { return }
            idle[count, default: []].append(array)
            bytes += size
        }
    }

    /// Arrays smaller than this are cheap to allocate and stay out of the pool (16 KB).
    static let minimumCount = 4096

    /// Bytes held now (for tests and diagnostics).
    public static var heldBytes: Int { lock.withLock { bytes } }
}
