import Foundation

/// The files a user names (inputs, backgrounds, motion templates, keyframes) must be regular
/// files to be read more than once, or at all: a FIFO nobody writes to blocks its reader for
/// ever, and a device such as `/dev/zero` never ends.
public enum RegularFile {
    /// What `path` is when it is not a regular file ("FIFO", "character device", "block
    /// device", "socket" or "folder"); nil for a regular file or a path that does not exist
    /// (its read reports that).
    public static func otherKind(_ path: String) -> String? {
        guard let type = (try? FileManager.default.attributesOfItem(atPath: path))?[.type] as? FileAttributeType else { return nil }
        switch type {
        case .typeRegular: return nil
        case .typeDirectory: return "folder"
        case .typeCharacterSpecial: return "character device"
        case .typeBlockSpecial: return "block device"
        case .typeSocket: return "socket"
        default: return "FIFO"  // Foundation on Linux reports a FIFO as unknown
        }
    }

    /// A stream that can be read only once (a FIFO, a character device or a socket)?
    public static func isReadOnce(_ path: String) -> Bool {
        ["FIFO", "character device", "socket"].contains(otherKind(path))
    }

    /// Why `path` cannot be read as a file, or nil for a regular file or a missing path.
    static func problem(_ path: String) -> String? {
        otherKind(path).map { "is not a regular file but a \($0)" }
    }
}
