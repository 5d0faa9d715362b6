import Foundation
import Tensors

extension SafeTensors {
    /// The tensors and metadata held in `bytes`, after validating every length, shape and
    /// offset (see the type's documentation).
    ///
    /// - Throws: a `SafeTensorsError` naming the first problem found.
    public static func decode(_ bytes: [UInt8]) throws -> (tensors: [String: Tensor], metadata: [String: String]) {
        try load(from: MemorySource(storage: bytes))
    }

    /// The tensors and metadata of the file at `url`, after validating every length, shape
    /// and offset (see the type's documentation). The header is read and checked first, so
    /// a hostile file is refused before any tensor memory is allocated.
    ///
    /// - Throws: `SafeTensorsError.readFailed` if the file cannot be read, otherwise a
    ///   `SafeTensorsError` naming the first problem found.
    public static func read(contentsOf url: URL) throws -> (tensors: [String: Tensor], metadata: [String: String]) {
        let source = try FileSource(url: url)
        defer { source.close() }
        return try load(from: source)
    }

    /// The validated header of `bytes`, without converting any tensor data.
    ///
    /// - Throws: a `SafeTensorsError` naming the first problem found.
    public static func decodeHeader(_ bytes: [UInt8]) throws -> Header {
        try parseHeader(from: MemorySource(storage: bytes))
    }

    /// The header of the file at `url` — metadata plus every tensor's shape and size — read
    /// without loading the data section. The entries are validated against the file's length
    /// exactly as `read(contentsOf:)` would, so a header that reads cleanly describes a file
    /// that loads (unless it changes in between).
    ///
    /// - Throws: `SafeTensorsError.readFailed` if the file cannot be read, otherwise a
    ///   `SafeTensorsError` naming the first problem found.
    public static func readHeader(contentsOf url: URL) throws -> Header {
        let source = try FileSource(url: url)
        defer { source.close() }
        return try parseHeader(from: source)
    }

    /// Reads and validates the header of `source`.
    private static func parseHeader(from source: some ByteSource) throws -> Header {
        let fileSize = source.byteCount
        guard fileSize >= 8 else { throw SafeTensorsError.fileTooShort(byteCount: fileSize) }
        let lengthBytes = try source.bytes(in: 0..<8)
        guard lengthBytes.count == 8 else { throw SafeTensorsError.fileTooShort(byteCount: lengthBytes.count) }
        var declared: UInt64 = 0
        for (index, byte) in lengthBytes.enumerated() { declared |= UInt64(byte) << (8 * UInt64(index)) }
        guard declared <= UInt64(maximumHeaderByteCount) else {
            throw SafeTensorsError.headerTooLarge(declared: declared, limit: maximumHeaderByteCount)
        }
        let headerByteCount = Int(declared)
        guard headerByteCount <= fileSize - 8 else {
            throw SafeTensorsError.truncatedHeader(declared: declared, available: fileSize - 8)
        }
        let json = try source.bytes(in: 8..<(8 + headerByteCount))
        guard json.count == headerByteCount else {
            throw SafeTensorsError.truncatedHeader(declared: declared, available: json.count)
        }
        if let offset = firstInvalidUTF8(in: json) { throw SafeTensorsError.headerNotUTF8(byteOffset: offset) }
        var parser = HeaderParser(bytes: json)
        let (metadata, rawEntries) = try parser.parse()
        let dataByteCount = fileSize - 8 - headerByteCount
        let entries = try validate(rawEntries, dataByteCount: dataByteCount)
        return Header(metadata: metadata, entries: entries, headerByteCount: headerByteCount, dataByteCount: dataByteCount)
    }

    /// Reads, validates and converts everything in `source`.
    private static func load(from source: some ByteSource) throws
        -> (tensors: [String: Tensor], metadata: [String: String])
    {
        let header = try parseHeader(from: source)
        let dataStart = 8 + header.headerByteCount
        var tensors: [String: Tensor] = [:]
        tensors.reserveCapacity(header.entries.count)
        for (name, entry) in header.entries {
            let scalars = try source.floats(at: dataStart + entry.dataOffsets.lowerBound, count: entry.byteCount / 4)
            tensors[name] = Tensor(shape: entry.shape, scalars: scalars)
        }
        return (tensors, header.metadata)
    }
}
