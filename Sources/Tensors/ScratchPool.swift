import Foundation

/// Reusable float buffers for temporary work (im2col columns and the like).
///
/// Large temporary arrays allocated per call are returned to the kernel by `free` and
/// page-faulted back in on the next call; keeping a few buffers alive avoids that cost on
/// every layer call. Thread-safe: each caller gets a buffer nobody else is using.
public enum ScratchPool {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var idle: [(pointer: UnsafeMutablePointer<Float>, capacity: Int)] = []

    /// Calls `body` with a buffer of at least `count` floats (contents undefined), then
    /// keeps the buffer for later calls.
    public static func withBuffer<R>(count: Int, _ body: (UnsafeMutablePointer<Float>) throws -> R) rethrows -> R {
        let buffer = acquire(count: max(count, 1))
        defer { release(buffer) }
        return try body(buffer.pointer)
    }

    private static func acquire(count: Int) -> (pointer: UnsafeMutablePointer<Float>, capacity: Int) {
        lock.lock()
        defer { lock.unlock() }
        // Take the smallest idle buffer that is large enough, else grow the largest one.
        if let index = idle.indices.filter({ idle[$0].capacity >= count }).min(by: { idle[$0].capacity < idle[$1].capacity }) {
            return idle.remove(at: index)
        }
        if let largest = idle.indices.max(by: { idle[$0].capacity < idle[$1].capacity }) {
            idle.remove(at: largest).pointer.deallocate()
        }
        return (UnsafeMutablePointer<Float>.allocate(capacity: count), count)
    }

    private static func release(_ buffer: (pointer: UnsafeMutablePointer<Float>, capacity: Int)) {
        lock.lock()
        defer { lock.unlock() }
        idle.append(buffer)
    }
}
