import EquivariantModel
import Foundation
import Tensors

/// Models loaded by the plugin, one per path, shared by every instance. `f0r_init` and
/// `f0r_deinit` run once per filter instance in FFmpeg, so they are reference-counted:
/// the cache is emptied when the last user deinitialises.
enum SharedModels {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var users = 0
    nonisolated(unsafe) private static var models: [String: EquivariantModel] = [:]

    /// Counts one more user (f0r_init).
    static func retain() { lock.withLock { users += 1 } }

    /// Counts one user less (f0r_deinit); the last one empties the cache.
    static func release() {
        lock.withLock {
            users = max(0, users - 1)
            if users == 0 { models.removeAll() }
        }
    }

    /// The model at `path`, loaded once.
    static func model(at path: String) throws -> EquivariantModel {
        try lock.withLock {
            if let model = models[path] { return model }
            let model = try Checkpoint.load(contentsOf: URL(fileURLWithPath: path)).model
            models[path] = model
            // Inside ffmpeg or an editor the plugin cannot pick OpenBLAS's kernel: it says how, once.
            BLASKernel.reportAdviceOnce { FileHandle.standardError.write(Data("equivariant (frei0r): warning: \($0)\n".utf8)) }
            return model
        }
    }
}
