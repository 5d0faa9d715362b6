import Foundation

/// The files a user names (backgrounds, motion templates, keyframes) must be regular files: a
/// FIFO nobody writes to blocks its reader for ever, and a device such as `/dev/zero` never
/// ends.
enum RegularFile {
    /// Why `path` cannot be read as a file ("is a FIFO, device, socket or folder"), or nil for
    /// a regular file or a path that does not exist (its read reports that).
    static func problem(_ path: String) -> String? {
        guard let type = (try? FileManager.default.attributesOfItem(atPath: path))?[.type] as? FileAttributeType,
              type != .typeRegular else { return nil }
        return "is not a regular file (a FIFO, device, socket or folder)"
    }
}
