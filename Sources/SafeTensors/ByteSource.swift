/// Random access to the bytes of a file or buffer.
protocol ByteSource {
    /// The total length in bytes.
    var byteCount: Int { get }
    /// The bytes in `range` (fewer if the source ends early).
    func bytes(in range: Range<Int>) throws -> [UInt8]
    /// `count` little-endian float32 values starting at byte `offset`.
    func floats(at offset: Int, count: Int) throws -> [Float]
}

/// Fixes the byte order of floats copied from little-endian storage.
func fromLittleEndian(_ values: inout [Float]) {
    #if _endian(big)
    for i in values.indices { values[i] = Float(bitPattern: UInt32(littleEndian: values[i].bitPattern)) }
    #endif
}
