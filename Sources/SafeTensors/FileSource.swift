import Foundation

/// A `ByteSource` that reads a regular file on demand, so a header can be checked before any
/// tensor data is read.
final class FileSource: ByteSource {
    let handle: FileHandle
    let path: String
    let byteCount: Int

    init(url: URL) throws {
        path = url.path
        do {
            let attributes = try FileManager.default.attributesOfItem(atPath: path)
            guard attributes[.type] as? FileAttributeType == .typeRegular else {
                throw SafeTensorsError.readFailed(path: path, reason: "not a regular file")
            }
            handle = try FileHandle(forReadingFrom: url)
            let size = try handle.seekToEnd()
            guard size <= UInt64(Int.max) else {
                try? handle.close()
                throw SafeTensorsError.readFailed(path: path, reason: "the file is too large")
            }
            byteCount = Int(size)
        } catch let error as SafeTensorsError {
            throw error
        } catch {
            throw SafeTensorsError.readFailed(path: path, reason: Self.reason(error))
        }
    }

    func close() { try? handle.close() }

    func bytes(in range: Range<Int>) throws -> [UInt8] {
        var result: [UInt8] = []
        result.reserveCapacity(range.count)
        try readChunks(at: range.lowerBound, count: range.count) { result.append(contentsOf: $0) }
        return result
    }

    func floats(at offset: Int, count: Int) throws -> [Float] {
        var values = [Float](repeating: 0, count: count)
        var filled = 0
        try values.withUnsafeMutableBytes { destination in
            try readChunks(at: offset, count: count * 4) { chunk in
                chunk.withUnsafeBytes { source in
                    UnsafeMutableRawBufferPointer(rebasing: destination[filled..<(filled + source.count)])
                        .copyMemory(from: source)
                }
                filled += chunk.count
            }
        }
        guard filled == count * 4 else {
            throw SafeTensorsError.truncatedData(declared: offset + count * 4, available: offset + filled)
        }
        fromLittleEndian(&values)
        return values
    }

    /// Reads up to `count` bytes from `offset` in chunks of at most 16 MiB, stopping early at
    /// the end of the file.
    private func readChunks(at offset: Int, count: Int, _ body: (Data) -> Void) throws {
        do {
            try handle.seek(toOffset: UInt64(offset))
            var remaining = count
            while remaining > 0 {
                guard let chunk = try handle.read(upToCount: min(remaining, 1 << 24)), !chunk.isEmpty else { return }
                body(chunk.count <= remaining ? chunk : chunk.prefix(remaining))
                remaining -= min(chunk.count, remaining)
            }
        } catch {
            throw SafeTensorsError.readFailed(path: path, reason: Self.reason(error))
        }
    }

    private static func reason(_ error: Error) -> String {
        (error as NSError).localizedDescription
    }
}
