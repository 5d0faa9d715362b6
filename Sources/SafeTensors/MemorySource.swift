/// A `ByteSource` over bytes already in memory.
struct MemorySource: ByteSource {
    let storage: [UInt8]

    var byteCount: Int { storage.count }

    func bytes(in range: Range<Int>) throws -> [UInt8] {
        Array(storage[range.clamped(to: 0..<storage.count)])
    }

    func floats(at offset: Int, count: Int) throws -> [Float] {
        let byteCount = count * 4
        guard offset >= 0, offset <= storage.count - byteCount else {
            throw SafeTensorsError.truncatedData(declared: offset + byteCount, available: storage.count)
        }
        var values = [Float](repeating: 0, count: count)
        values.withUnsafeMutableBytes { destination in
            storage.withUnsafeBytes { source in
                destination.copyMemory(from: UnsafeRawBufferPointer(rebasing: source[offset..<(offset + byteCount)]))
            }
        }
        fromLittleEndian(&values)
        return values
    }
}
