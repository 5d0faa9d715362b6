import Tensors

/// A checksum of a checkpoint's tensors, kept in its metadata (`checksum`), so a file whose
/// weights were damaged on disk or in transfer (a flipped bit leaves a valid safetensors
/// file) is refused at load instead of rendering garbage.
///
/// FNV-1a (64-bit) over every tensor in name order: the name's UTF-8 bytes, then each
/// element's 32-bit pattern as one word. Written as `fnv1a64:` and 16 hex digits. Files
/// written before the checksum existed have none and load as before.
enum CheckpointChecksum {
    /// The metadata value for these tensors.
    static func value(of tensors: [String: Tensor]) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        let prime: UInt64 = 0x0000_0100_0000_01b3
        for name in tensors.keys.sorted() {
            for byte in name.utf8 { hash = (hash ^ UInt64(byte)) &* prime }
            let tensor = tensors[name]!
            tensor.withUnsafePointer { values in
                for i in 0..<tensor.count { hash = (hash ^ UInt64(values[i].bitPattern)) &* prime }
            }
        }
        let hex = String(hash, radix: 16)
        return "fnv1a64:" + String(repeating: "0", count: 16 - hex.count) + hex
    }
}
