/// A NUL-terminated copy of a Swift string that C callers may read until it is released
/// (or forever, for the library's static strings).
final class CString {
    /// The characters.
    let pointer: UnsafeMutablePointer<CChar>

    /// Copies `text`.
    init(_ text: String) {
        let bytes = Array(text.utf8CString)
        pointer = .allocate(capacity: bytes.count)
        pointer.initialize(from: bytes, count: bytes.count)
    }

    deinit { pointer.deallocate() }

    /// The characters as a read-only C pointer.
    var constant: UnsafePointer<CChar> { UnsafePointer(pointer) }
}
