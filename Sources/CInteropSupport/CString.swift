/// A NUL-terminated copy of a Swift string that C callers may read until it is released
/// (or forever, for a library's static strings). The one way the C library and the frei0r
/// plugins hand text to C.
public final class CString {
    /// The characters.
    public let pointer: UnsafeMutablePointer<CChar>

    /// Copies `text`.
    public init(_ text: String) {
        let bytes = Array(text.utf8CString)
        pointer = .allocate(capacity: bytes.count)
        pointer.initialize(from: bytes, count: bytes.count)
    }

    deinit { pointer.deallocate() }

    /// The characters as a read-only C pointer.
    public var constant: UnsafePointer<CChar> { UnsafePointer(pointer) }
}
