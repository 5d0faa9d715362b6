/// Float buffers kept from frame to frame. Inside a host process (ffmpeg, an editor) the
/// allocator may hand large blocks back to the system after every frame, and touching fresh
/// pages again cost the frei0r plugin a third of its time; a pool owned by the pipeline keeps
/// them. Not thread-safe: one per pipeline.
public final class ScratchPool {
    private var free: [[Float]] = []

    /// An empty pool.
    public init() {}

    /// A buffer of `count` zeros, reusing a kept one when there is one.
    func take(_ count: Int) -> [Float] {
        // A kept buffer of this size, else one large enough, else any (it grows).
        guard let index = free.lastIndex(where: { $0.count == count }) ?? free.lastIndex(where: { $0.capacity >= count })
                ?? (free.isEmpty ? nil : free.count - 1) else { return [Float](repeating: 0, count: count) }
        var buffer = free.remove(at: index)
        // Resize by the difference only, then one memset (appending every element one by
        // one showed in profiles: the guided filter's box changes size every frame).
        if buffer.count > count {
            buffer.removeLast(buffer.count - count)
        } else if buffer.count < count {
            buffer.append(contentsOf: repeatElement(0, count: count - buffer.count))
        }
        buffer.withUnsafeMutableBufferPointer { $0.update(repeating: 0) }
        return buffer
    }

    /// Keeps `buffers` for later ``take(_:)`` calls.
    func give(_ buffers: [Float]...) {
        free.append(contentsOf: buffers)
    }
}
