import Foundation

#if canImport(Glibc)
import Glibc
#endif

// MARK: - Errors

/// Why a safetensors file could not be read or written.
///
/// Every case names what is wrong and, in its `description`, what to do next. Reading never
/// crashes and never allocates more than a small multiple of the file's size: every length,
/// shape and offset in a file is checked before it is used.
public enum SafeTensorsError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The file has fewer than the 8 bytes of the header-length field.
    case fileTooShort(byteCount: Int)
    /// The header-length field exceeds `SafeTensors.maximumHeaderByteCount`.
    case headerTooLarge(declared: UInt64, limit: Int)
    /// The header-length field points past the end of the file.
    case truncatedHeader(declared: UInt64, available: Int)
    /// The JSON header contains bytes that are not UTF-8 (`byteOffset` counts from the header's start).
    case headerNotUTF8(byteOffset: Int)
    /// The JSON header does not parse (`byteOffset` counts from the header's start).
    case malformedJSON(byteOffset: Int, reason: String)
    /// The JSON header is valid JSON but not an object.
    case headerNotObject(found: String)
    /// A key occurs twice in the same JSON object (`context` names the object).
    case duplicateKey(String, context: String)
    /// `__metadata__` is not an object.
    case metadataNotObject(found: String)
    /// A `__metadata__` value is not a string.
    case metadataValueNotString(key: String, found: String)
    /// A tensor's header entry is not an object.
    case entryNotObject(tensor: String, found: String)
    /// A tensor's header entry lacks `dtype`, `shape` or `data_offsets`.
    case missingField(tensor: String, field: String)
    /// A tensor's header field has the wrong JSON type.
    case wrongFieldType(tensor: String, field: String, expected: String, found: String)
    /// A tensor's element type is not `F32` (the only type this reader converts).
    case unsupportedDType(tensor: String, dtype: String)
    /// An integer in a tensor's header entry does not fit in `Int`.
    case numberOutOfRange(tensor: String, field: String, literal: String)
    /// A tensor's shape has more than `SafeTensors.maximumRank` axes.
    case rankTooLarge(tensor: String, limit: Int)
    /// A tensor's shape has a negative extent.
    case negativeExtent(tensor: String, shape: [Int])
    /// A tensor's element count or byte count overflows `Int`.
    case shapeOverflow(tensor: String, shape: [Int])
    /// A tensor's `data_offsets` are negative or reversed.
    case invalidOffsets(tensor: String, begin: Int, end: Int)
    /// A tensor's byte range does not hold exactly `shape × 4` bytes.
    case sizeMismatch(tensor: String, shape: [Int], expectedByteCount: Int, foundByteCount: Int)
    /// The data section is shorter than the header's offsets require.
    case truncatedData(declared: Int, available: Int)
    /// Two tensors' byte ranges overlap (or a zero-size tensor sits inside another's range).
    case overlappingTensors(String, String)
    /// Bytes `begin..<end` of the data section belong to no tensor.
    case gapInData(begin: Int, end: Int)
    /// The data section continues past the last tensor's bytes.
    case trailingData(coveredByteCount: Int, available: Int)
    /// A tensor holds NaN or infinite values (reported only by `SafeTensors.checkFinite`).
    case nonFiniteValues(tensor: String, count: Int)
    /// A tensor to encode is named `__metadata__`, which the format reserves.
    case reservedName(String)
    /// A tensor to encode holds a different number of scalars than its shape describes.
    case inconsistentTensor(name: String, shape: [Int], scalarCount: Int)
    /// The file could not be opened or read.
    case readFailed(path: String, reason: String)
    /// The file could not be written; an existing file at `path` is unchanged.
    case writeFailed(path: String, reason: String)

    /// A sentence saying what is wrong and what to do about it.
    public var description: String {
        switch self {
        case let .fileTooShort(byteCount):
            return "not a safetensors file: it is \(byteCount) bytes long, shorter than the 8-byte header-length field; "
                + "the file is empty or was cut short — write it again"
        case let .headerTooLarge(declared, limit):
            return "not a safetensors file: the header-length field says \(declared) bytes, more than the \(limit)-byte limit; "
                + "the file is probably of another format or corrupt"
        case let .truncatedHeader(declared, available):
            return "file is truncated: the header-length field says \(declared) bytes of JSON header, but only \(available) bytes follow it; "
                + "the file was cut short (or is not a safetensors file) — write or copy it again"
        case let .headerNotUTF8(offset):
            return "the JSON header is not valid UTF-8 (bad byte at header offset \(offset), file offset \(offset + 8)); "
                + "the file is corrupt — write it again"
        case let .malformedJSON(offset, reason):
            return "the header is not valid JSON at header offset \(offset) (file offset \(offset + 8)): \(reason); "
                + "the file is corrupt or was written by a broken writer"
        case let .headerNotObject(found):
            return "the JSON header must be an object mapping tensor names to entries, but it is \(found); "
                + "the file is not a safetensors file"
        case let .duplicateKey(key, context):
            return "the key \(Self.quoted(key)) occurs more than once in \(context); the file is ambiguous and is refused — "
                + "write it again with unique names"
        case let .metadataNotObject(found):
            return "\"__metadata__\" must be an object of string values, but it is \(found); fix the writer or drop the metadata"
        case let .metadataValueNotString(key, found):
            return "\"__metadata__\" value for \(Self.quoted(key)) must be a string, but it is \(found); "
                + "the format stores only string metadata — encode numbers as strings"
        case let .entryNotObject(tensor, found):
            return "the header entry for tensor \(Self.quoted(tensor)) must be an object with dtype, shape and data_offsets, "
                + "but it is \(found); the file is corrupt"
        case let .missingField(tensor, field):
            return "tensor \(Self.quoted(tensor)) has no \"\(field)\" in its header entry; the file is corrupt or incomplete"
        case let .wrongFieldType(tensor, field, expected, found):
            return "tensor \(Self.quoted(tensor)): \"\(field)\" must be \(expected), but it is \(found); the file is corrupt"
        case let .unsupportedDType(tensor, dtype):
            return "tensor \(Self.quoted(tensor)) has dtype \(Self.quoted(dtype)); only \"F32\" is supported "
                + "(F16/BF16 and other types are not read yet) — convert the checkpoint to float32 before loading"
        case let .numberOutOfRange(tensor, field, literal):
            return "tensor \(Self.quoted(tensor)): the number \(Self.truncated(literal, to: 40)) in \"\(field)\" is too large; "
                + "the file is corrupt"
        case let .rankTooLarge(tensor, limit):
            return "tensor \(Self.quoted(tensor)) has more than \(limit) axes in its shape; the file is corrupt"
        case let .negativeExtent(tensor, shape):
            return "tensor \(Self.quoted(tensor)) has a negative extent in its shape \(shape); the file is corrupt"
        case let .shapeOverflow(tensor, shape):
            return "tensor \(Self.quoted(tensor)) has shape \(shape), whose size in bytes overflows a 64-bit integer; "
                + "the file is corrupt"
        case let .invalidOffsets(tensor, begin, end):
            return "tensor \(Self.quoted(tensor)) has data_offsets [\(begin), \(end)]; offsets must be non-negative with "
                + "begin ≤ end — the file is corrupt"
        case let .sizeMismatch(tensor, shape, expected, found):
            return "tensor \(Self.quoted(tensor)) has shape \(shape), which needs \(expected) bytes of F32 data, but its "
                + "data_offsets span \(found) bytes; the file is corrupt"
        case let .truncatedData(declared, available):
            return "file is truncated: header says \(declared) bytes of data, found \(available); "
                + "the file was cut short while writing or copying — write or copy it again"
        case let .overlappingTensors(first, second):
            return "the data of tensors \(Self.quoted(first)) and \(Self.quoted(second)) overlap; the format requires "
                + "disjoint byte ranges — the file is corrupt or crafted"
        case let .gapInData(begin, end):
            return "bytes \(begin)..<\(end) of the data section belong to no tensor; the format requires the tensors "
                + "to cover the data exactly — the file is corrupt or crafted"
        case let .trailingData(covered, available):
            return "the tensors cover \(covered) bytes of data but the file holds \(available); the extra "
                + "\(available - covered) bytes belong to no tensor — the file is corrupt or has data appended"
        case let .nonFiniteValues(tensor, count):
            return "tensor \(Self.quoted(tensor)) holds \(count) NaN or infinite value\(count == 1 ? "" : "s"); "
                + "the checkpoint was probably saved after training diverged — use an earlier checkpoint"
        case let .reservedName(name):
            return "cannot save a tensor named \(Self.quoted(name)): the format reserves that key for metadata — rename the tensor"
        case let .inconsistentTensor(name, shape, count):
            return "cannot save tensor \(Self.quoted(name)): its shape \(shape) describes \(shape.reduce(1, *)) elements "
                + "but it holds \(count) scalars — fix the code that built it"
        case let .readFailed(path, reason):
            return "cannot read \(path): \(reason); check the path and its permissions"
        case let .writeFailed(path, reason):
            return "cannot write \(path): \(reason); any existing file there is unchanged — check that the directory "
                + "exists, is writable and has free space"
        }
    }

    /// `text` in double quotes, shortened to at most 200 characters.
    private static func quoted(_ text: String) -> String { "\"" + truncated(text, to: 200) + "\"" }

    /// `text`, shortened to at most `limit` characters with an ellipsis.
    private static func truncated(_ text: String, to limit: Int) -> String {
        text.count <= limit ? text : String(text.prefix(limit)) + "…"
    }
}

// MARK: - Public interface

/// Reads and writes the `safetensors` checkpoint format, float32 tensors only.
///
/// A file is an 8-byte little-endian unsigned header length `N`, then `N` bytes of UTF-8
/// JSON, then the data section:
///
/// ```text
/// {"__metadata__":{"key":"value",...},
///  "<name>":{"dtype":"F32","shape":[d0,d1,...],"data_offsets":[begin,end]}, ...}
/// ```
///
/// Offsets are relative to the start of the data section; the data is the tensors' raw
/// little-endian float32 elements in row-major order.
///
/// **Writing** is deterministic: `__metadata__` first, keys sorted by their UTF-8 bytes,
/// no whitespace, tensors laid out contiguously in sorted-name order, and the header padded
/// with spaces so the data starts at a multiple of 8 bytes. Equal inputs give identical
/// bytes.
///
/// **Reading** treats the file as hostile. It refuses, with a specific `SafeTensorsError`:
/// a header length beyond the file or `maximumHeaderByteCount`; a header that is not UTF-8,
/// not JSON, not an object, or nested deeper than `maximumNestingDepth`; duplicate keys;
/// non-string metadata; entries missing `dtype`, `shape` or `data_offsets` or with the wrong
/// JSON types; any dtype but `F32`; shapes with more than `maximumRank` axes, negative
/// extents or overflowing sizes; offsets that are negative, reversed, do not span
/// `shape × 4` bytes, run past the data, overlap, leave gaps, or leave trailing bytes.
/// Unknown fields inside a tensor entry are ignored (skipped without being stored). Keys are
/// compared as Swift strings, so two spellings that are canonically equivalent in Unicode
/// (say, precomposed and decomposed "é") count as duplicates.
///
/// **Non-finite values** (NaN, ±infinity) are valid float32 data and are read and written
/// bit-exactly. To refuse them, call `checkFinite(_:)` on the decoded tensors (or
/// `nonFiniteCounts(in:)` to list them).
public enum SafeTensors {
    /// The largest JSON header accepted (100 MiB, the reference implementation's limit).
    public static let maximumHeaderByteCount = 100 << 20
    /// The most axes a tensor's shape may have.
    public static let maximumRank = 64
    /// How deeply JSON arrays and objects may nest inside unknown fields.
    public static let maximumNestingDepth = 64

    /// One tensor's header entry: its element type, shape and byte range.
    public struct Entry: Equatable, Sendable {
        /// The element type as written in the file (always `"F32"` for an entry that was read).
        public var dtype: String
        /// The extent of each axis, outermost first.
        public var shape: [Int]
        /// The tensor's bytes within the data section.
        public var dataOffsets: Range<Int>

        /// The number of bytes of data (`shape.reduce(1, *) * 4` for F32).
        public var byteCount: Int { dataOffsets.count }

        /// The number of elements.
        public var elementCount: Int { shape.reduce(1, *) }

        /// Creates an entry.
        public init(dtype: String, shape: [Int], dataOffsets: Range<Int>) {
            self.dtype = dtype
            self.shape = shape
            self.dataOffsets = dataOffsets
        }
    }

    /// A file's header: its metadata and the name, shape and size of every tensor, fully
    /// validated against the file's length.
    public struct Header: Equatable, Sendable {
        /// The `__metadata__` strings (empty when the file has none).
        public var metadata: [String: String]
        /// Every tensor's entry, by name.
        public var entries: [String: Entry]
        /// The length of the JSON header in bytes (the value of the 8-byte length field).
        public var headerByteCount: Int
        /// The length of the data section in bytes.
        public var dataByteCount: Int

        /// Creates a header description.
        public init(metadata: [String: String], entries: [String: Entry], headerByteCount: Int, dataByteCount: Int) {
            self.metadata = metadata
            self.entries = entries
            self.headerByteCount = headerByteCount
            self.dataByteCount = dataByteCount
        }
    }

    /// The safetensors bytes for `tensors` and `metadata` (see the type's documentation
    /// for the exact layout). Equal inputs give identical bytes.
    ///
    /// - Throws: `SafeTensorsError.reservedName` for a tensor named `__metadata__`,
    ///   `.inconsistentTensor` for a tensor whose scalar count disagrees with its shape,
    ///   `.shapeOverflow` if the data size overflows, and `.headerTooLarge` if the header
    ///   would exceed `maximumHeaderByteCount` (no reader would accept it).
    public static func encode(_ tensors: [String: Tensor], metadata: [String: String]) throws -> [UInt8] {
        let names = tensors.keys.sorted(by: utf8Precedes)
        var json: [UInt8] = []
        json.append(contentsOf: Array("{\"__metadata__\":{".utf8))
        for (index, key) in metadata.keys.sorted(by: utf8Precedes).enumerated() {
            if index > 0 { json.append(UInt8(ascii: ",")) }
            appendJSONString(key, to: &json)
            json.append(UInt8(ascii: ":"))
            appendJSONString(metadata[key]!, to: &json)
        }
        json.append(UInt8(ascii: "}"))

        var dataByteCount = 0
        for name in names {
            let tensor = tensors[name]!
            if name == "__metadata__" { throw SafeTensorsError.reservedName(name) }
            var elements = 1
            for extent in tensor.shape {
                let (product, overflow) = elements.multipliedReportingOverflow(by: extent)
                if overflow || extent < 0 { throw SafeTensorsError.shapeOverflow(tensor: name, shape: tensor.shape) }
                elements = product
            }
            guard elements == tensor.scalars.count else {
                throw SafeTensorsError.inconsistentTensor(name: name, shape: tensor.shape, scalarCount: tensor.scalars.count)
            }
            let (byteCount, overflow1) = elements.multipliedReportingOverflow(by: 4)
            let (end, overflow2) = dataByteCount.addingReportingOverflow(byteCount)
            if overflow1 || overflow2 { throw SafeTensorsError.shapeOverflow(tensor: name, shape: tensor.shape) }
            json.append(UInt8(ascii: ","))
            appendJSONString(name, to: &json)
            let shapeText = tensor.shape.map(String.init).joined(separator: ",")
            json.append(contentsOf: Array(":{\"dtype\":\"F32\",\"shape\":[\(shapeText)],\"data_offsets\":[\(dataByteCount),\(end)]}".utf8))
            dataByteCount = end
        }
        json.append(UInt8(ascii: "}"))
        while json.count % 8 != 0 { json.append(UInt8(ascii: " ")) }
        guard json.count <= maximumHeaderByteCount else {
            throw SafeTensorsError.headerTooLarge(declared: UInt64(json.count), limit: maximumHeaderByteCount)
        }

        var output: [UInt8] = []
        output.reserveCapacity(8 + json.count + dataByteCount)
        var length = UInt64(json.count).littleEndian
        withUnsafeBytes(of: &length) { output.append(contentsOf: $0) }
        output.append(contentsOf: json)
        for name in names {
            let scalars = tensors[name]!.scalars
            #if _endian(little)
            scalars.withUnsafeBytes { output.append(contentsOf: $0) }
            #else
            for value in scalars {
                var bits = value.bitPattern.littleEndian
                withUnsafeBytes(of: &bits) { output.append(contentsOf: $0) }
            }
            #endif
        }
        return output
    }

    /// Writes `tensors` and `metadata` to `url` atomically.
    ///
    /// The bytes go to a temporary file in the destination's directory, which is flushed to
    /// disk (`fsync`) and then renamed over `url`; the directory is then flushed too. On any
    /// failure the temporary file is removed and an existing file at `url` is left exactly as
    /// it was. If `url` is a symbolic link, the link itself is replaced; the new file gets
    /// default permissions (0644 less the umask), not those of the file it replaces.
    ///
    /// - Throws: the errors of `encode(_:metadata:)`, or `SafeTensorsError.writeFailed`.
    public static func write(_ tensors: [String: Tensor], metadata: [String: String], to url: URL) throws {
        let bytes = try encode(tensors, metadata: metadata)
        let destination = url.standardizedFileURL
        let directory = destination.deletingLastPathComponent()
        let temporary = directory.appendingPathComponent(".safetensors-\(UUID().uuidString).tmp")
        var created = false
        do {
            guard FileManager.default.createFile(atPath: temporary.path, contents: nil) else {
                throw SafeTensorsError.writeFailed(
                    path: destination.path,
                    reason: "cannot create a temporary file in \(directory.path)")
            }
            created = true
            let handle = try FileHandle(forWritingTo: temporary)
            do {
                let chunk = 1 << 24
                var offset = 0
                while offset < bytes.count {
                    let end = min(offset + chunk, bytes.count)
                    try handle.write(contentsOf: bytes[offset..<end])
                    offset = end
                }
                try handle.synchronize()
            } catch {
                try? handle.close()
                throw error
            }
            try handle.close()
            guard rename(temporary.path, destination.path) == 0 else {
                let reason = String(cString: strerror(errno))
                throw SafeTensorsError.writeFailed(
                    path: destination.path, reason: "cannot rename the temporary file over it (\(reason))")
            }
            created = false
        } catch {
            if created { try? FileManager.default.removeItem(at: temporary) }
            if let error = error as? SafeTensorsError { throw error }
            throw SafeTensorsError.writeFailed(path: destination.path, reason: "\(error)")
        }
        // Make the rename itself durable; the data is already safe, so this is best effort.
        if let handle = try? FileHandle(forReadingFrom: directory) {
            try? handle.synchronize()
            try? handle.close()
        }
    }

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

    /// The number of NaN or infinite elements in each tensor that has any.
    public static func nonFiniteCounts(in tensors: [String: Tensor]) -> [String: Int] {
        var counts: [String: Int] = [:]
        for (name, tensor) in tensors where !tensor.isFinite {
            counts[name] = tensor.scalars.reduce(0) { $0 + ($1.isFinite ? 0 : 1) }
        }
        return counts
    }

    /// Throws if any tensor holds NaN or infinite values. The format allows them, so
    /// `decode`/`read` accept them; call this after loading a checkpoint that must be finite.
    ///
    /// - Throws: `SafeTensorsError.nonFiniteValues` for the first such tensor in sorted-name order.
    public static func checkFinite(_ tensors: [String: Tensor]) throws {
        let counts = nonFiniteCounts(in: tensors)
        if let name = counts.keys.sorted(by: utf8Precedes).first {
            throw SafeTensorsError.nonFiniteValues(tensor: name, count: counts[name]!)
        }
    }
}

// MARK: - Loading

extension SafeTensors {
    /// Orders strings by their UTF-8 bytes (stable across platforms and normalization-agnostic).
    fileprivate static func utf8Precedes(_ a: String, _ b: String) -> Bool {
        a.utf8.lexicographicallyPrecedes(b.utf8)
    }

    /// Appends `text` as a JSON string literal.
    fileprivate static func appendJSONString(_ text: String, to json: inout [UInt8]) {
        let hex = Array("0123456789abcdef".utf8)
        json.append(UInt8(ascii: "\""))
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""): json.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\"")])
            case UInt8(ascii: "\\"): json.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\\")])
            case 0x0A: json.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "n")])
            case 0x0D: json.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "r")])
            case 0x09: json.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "t")])
            case 0..<0x20:
                json.append(contentsOf: Array("\\u00".utf8))
                json.append(hex[Int(byte >> 4)])
                json.append(hex[Int(byte & 0xF)])
            default: json.append(byte)
            }
        }
        json.append(UInt8(ascii: "\""))
    }

    /// Reads and validates the header of `source`.
    fileprivate static func parseHeader(from source: some ByteSource) throws -> Header {
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
    fileprivate static func load(from source: some ByteSource) throws
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

    /// Checks every entry and the way the entries tile the data section.
    private static func validate(_ raw: [RawEntry], dataByteCount: Int) throws -> [String: Entry] {
        var entries: [String: Entry] = [:]
        entries.reserveCapacity(raw.count)
        var ordered: [(name: String, range: Range<Int>)] = []
        ordered.reserveCapacity(raw.count)
        var declaredEnd = 0
        for item in raw {
            let name = item.name
            guard let dtype = item.dtype else { throw SafeTensorsError.missingField(tensor: name, field: "dtype") }
            guard let shape = item.shape else { throw SafeTensorsError.missingField(tensor: name, field: "shape") }
            guard let offsets = item.offsets else {
                throw SafeTensorsError.missingField(tensor: name, field: "data_offsets")
            }
            guard dtype == "F32" else { throw SafeTensorsError.unsupportedDType(tensor: name, dtype: dtype) }
            if shape.contains(where: { $0 < 0 }) { throw SafeTensorsError.negativeExtent(tensor: name, shape: shape) }
            var byteCount = 4
            for extent in shape {
                let (product, overflow) = byteCount.multipliedReportingOverflow(by: extent)
                if overflow { throw SafeTensorsError.shapeOverflow(tensor: name, shape: shape) }
                byteCount = product
            }
            let begin = offsets[0], end = offsets[1]
            guard begin >= 0, end >= begin else {
                throw SafeTensorsError.invalidOffsets(tensor: name, begin: begin, end: end)
            }
            guard end - begin == byteCount else {
                throw SafeTensorsError.sizeMismatch(
                    tensor: name, shape: shape, expectedByteCount: byteCount, foundByteCount: end - begin)
            }
            declaredEnd = max(declaredEnd, end)
            entries[name] = Entry(dtype: dtype, shape: shape, dataOffsets: begin..<end)
            ordered.append((name, begin..<end))
        }
        guard declaredEnd <= dataByteCount else {
            throw SafeTensorsError.truncatedData(declared: declaredEnd, available: dataByteCount)
        }
        ordered.sort {
            ($0.range.lowerBound, $0.range.upperBound) < ($1.range.lowerBound, $1.range.upperBound)
                || ($0.range == $1.range && utf8Precedes($0.name, $1.name))
        }
        var cursor = 0
        var previous: String?
        for item in ordered {
            if item.range.lowerBound > cursor {
                throw SafeTensorsError.gapInData(begin: cursor, end: item.range.lowerBound)
            }
            if item.range.lowerBound < cursor, let previous {
                throw SafeTensorsError.overlappingTensors(previous, item.name)
            }
            cursor = item.range.upperBound
            previous = item.name
        }
        guard cursor == dataByteCount else {
            throw SafeTensorsError.trailingData(coveredByteCount: cursor, available: dataByteCount)
        }
        return entries
    }

    /// The offset of the first byte that breaks UTF-8 (RFC 3629: no overlongs, surrogates or
    /// code points past U+10FFFF), or nil if `bytes` is valid.
    private static func firstInvalidUTF8(in bytes: [UInt8]) -> Int? {
        var index = 0
        let count = bytes.count
        while index < count {
            let lead = bytes[index]
            if lead < 0x80 { index += 1; continue }
            let length: Int
            var low: UInt8 = 0x80, high: UInt8 = 0xBF
            switch lead {
            case 0xC2...0xDF: length = 2
            case 0xE0: length = 3; low = 0xA0
            case 0xE1...0xEC, 0xEE...0xEF: length = 3
            case 0xED: length = 3; high = 0x9F
            case 0xF0: length = 4; low = 0x90
            case 0xF1...0xF3: length = 4
            case 0xF4: length = 4; high = 0x8F
            default: return index
            }
            guard index + length <= count else { return index }
            let second = bytes[index + 1]
            guard second >= low && second <= high else { return index + 1 }
            for k in 2..<max(length, 2) where !(0x80...0xBF).contains(bytes[index + k]) { return index + k }
            index += length
        }
        return nil
    }
}

// MARK: - Header parsing

/// One tensor entry as found in the JSON, before validation.
private struct RawEntry {
    var name: String
    var dtype: String?
    var shape: [Int]?
    var offsets: [Int]?
}

/// A strict JSON parser for the safetensors header that builds only what the format needs:
/// metadata strings and tensor entries. Unknown fields are skipped without being stored, and
/// nesting is bounded, so a hostile header costs no more than a small multiple of its size.
private struct HeaderParser {
    let bytes: [UInt8]
    var position = 0

    init(bytes: [UInt8]) { self.bytes = bytes }

    private static let quote = UInt8(ascii: "\""), backslash = UInt8(ascii: "\\"), colon = UInt8(ascii: ":")
    private static let comma = UInt8(ascii: ","), openBrace = UInt8(ascii: "{"), closeBrace = UInt8(ascii: "}")
    private static let openBracket = UInt8(ascii: "["), closeBracket = UInt8(ascii: "]"), minus = UInt8(ascii: "-")

    /// Parses the whole header.
    mutating func parse() throws -> (metadata: [String: String], entries: [RawEntry]) {
        skipWhitespace()
        guard peek() == Self.openBrace else {
            if peek() == nil { throw SafeTensorsError.headerNotObject(found: "empty") }
            throw typeError { .headerNotObject(found: $0) }
        }
        position += 1
        var metadata: [String: String] = [:]
        var entries: [RawEntry] = []
        var seen = Set<String>()
        try parseMembers(closing: Self.closeBrace, context: "the header") { parser, key in
            guard seen.insert(key).inserted else {
                throw SafeTensorsError.duplicateKey(key, context: "the header")
            }
            if key == "__metadata__" {
                metadata = try parser.parseMetadata()
            } else {
                entries.append(try parser.parseEntry(name: key))
            }
        }
        skipWhitespace()
        guard position == bytes.count else { throw malformed("unexpected content after the header object") }
        return (metadata, entries)
    }

    // MARK: Structure

    /// Parses `key: value` pairs up to `closing` (the opening brace already consumed),
    /// calling `member` positioned at each value.
    private mutating func parseMembers(
        closing: UInt8, context: String, _ member: (inout HeaderParser, String) throws -> Void
    ) throws {
        skipWhitespace()
        if peek() == closing { position += 1; return }
        while true {
            guard peek() == Self.quote else { throw malformed("expected a key in double quotes in \(context)") }
            let key = try parseString()
            skipWhitespace()
            guard peek() == Self.colon else { throw malformed("expected ':' after a key in \(context)") }
            position += 1
            skipWhitespace()
            try member(&self, key)
            skipWhitespace()
            switch peek() {
            case Self.comma: position += 1; skipWhitespace()
            case closing: position += 1; return
            default: throw malformed("expected ',' or '}' after a value in \(context)")
            }
        }
    }

    /// Parses the `__metadata__` object.
    private mutating func parseMetadata() throws -> [String: String] {
        guard peek() == Self.openBrace else { throw typeError { .metadataNotObject(found: $0) } }
        position += 1
        var metadata: [String: String] = [:]
        try parseMembers(closing: Self.closeBrace, context: "\"__metadata__\"") { parser, key in
            guard parser.peek() == Self.quote else {
                throw parser.typeError { .metadataValueNotString(key: key, found: $0) }
            }
            let value = try parser.parseString()
            guard metadata.updateValue(value, forKey: key) == nil else {
                throw SafeTensorsError.duplicateKey(key, context: "\"__metadata__\"")
            }
        }
        return metadata
    }

    /// Parses one tensor's entry object.
    private mutating func parseEntry(name: String) throws -> RawEntry {
        guard peek() == Self.openBrace else {
            throw typeError { .entryNotObject(tensor: name, found: $0) }
        }
        position += 1
        var entry = RawEntry(name: name)
        var seen = Set<String>()
        let context = "the entry of tensor \"\(name.prefix(200))\""
        try parseMembers(closing: Self.closeBrace, context: context) { parser, key in
            guard seen.insert(key).inserted else { throw SafeTensorsError.duplicateKey(key, context: context) }
            switch key {
            case "dtype":
                guard parser.peek() == Self.quote else {
                    throw parser.typeError {
                        .wrongFieldType(tensor: name, field: key, expected: "a string such as \"F32\"", found: $0)
                    }
                }
                entry.dtype = try parser.parseString()
            case "shape":
                entry.shape = try parser.parseIntegers(
                    tensor: name, field: key, expected: "an array of non-negative integers"
                ) { count in
                    count > SafeTensors.maximumRank
                        ? SafeTensorsError.rankTooLarge(tensor: name, limit: SafeTensors.maximumRank) : nil
                }
            case "data_offsets":
                let expected = "an array of two integers [begin, end]"
                let offsets = try parser.parseIntegers(tensor: name, field: key, expected: expected) { count in
                    count > 2
                        ? SafeTensorsError.wrongFieldType(
                            tensor: name, field: key, expected: expected, found: "an array of more than 2 elements")
                        : nil
                }
                guard offsets.count == 2 else {
                    throw SafeTensorsError.wrongFieldType(
                        tensor: name, field: key, expected: expected, found: "an array of \(offsets.count) element\(offsets.count == 1 ? "" : "s")")
                }
                entry.offsets = offsets
            default:
                try parser.skipValue(depth: 1)
            }
        }
        return entry
    }

    /// Parses an array of integers; `limit` is asked after each element whether the count is too large.
    private mutating func parseIntegers(
        tensor: String, field: String, expected: String, limit: (Int) -> SafeTensorsError?
    ) throws -> [Int] {
        guard peek() == Self.openBracket else {
            throw typeError { .wrongFieldType(tensor: tensor, field: field, expected: expected, found: $0) }
        }
        position += 1
        skipWhitespace()
        var values: [Int] = []
        if peek() == Self.closeBracket { position += 1; return values }
        while true {
            guard let byte = peek(), byte == Self.minus || (0x30...0x39).contains(byte) else {
                throw typeError {
                    .wrongFieldType(tensor: tensor, field: field, expected: expected, found: "an array holding \($0)")
                }
            }
            let (literal, isInteger) = try scanNumber()
            let text = String(decoding: literal, as: UTF8.self)
            guard isInteger else {
                throw SafeTensorsError.wrongFieldType(
                    tensor: tensor, field: field, expected: expected,
                    found: "an array holding the non-integer \(text.prefix(40))")
            }
            guard let value = Self.integer(literal) else {
                throw SafeTensorsError.numberOutOfRange(tensor: tensor, field: field, literal: String(text.prefix(41)))
            }
            values.append(value)
            if let error = limit(values.count) { throw error }
            skipWhitespace()
            switch peek() {
            case Self.comma: position += 1; skipWhitespace()
            case Self.closeBracket: position += 1; return values
            default: throw malformed("expected ',' or ']' in the \"\(field)\" array")
            }
        }
    }

    /// Skips any JSON value, checking its syntax; arrays and objects may nest `maximumNestingDepth` deep.
    private mutating func skipValue(depth: Int) throws {
        guard let byte = peek() else { throw malformed("expected a value, found the end of the header") }
        switch byte {
        case Self.openBrace, Self.openBracket:
            guard depth <= SafeTensors.maximumNestingDepth else {
                throw malformed("values nest deeper than \(SafeTensors.maximumNestingDepth) levels")
            }
            position += 1
            if byte == Self.openBrace {
                try parseMembers(closing: Self.closeBrace, context: "an object") { parser, _ in
                    try parser.skipValue(depth: depth + 1)
                }
            } else {
                skipWhitespace()
                if peek() == Self.closeBracket { position += 1; return }
                while true {
                    try skipValue(depth: depth + 1)
                    skipWhitespace()
                    switch peek() {
                    case Self.comma: position += 1; skipWhitespace()
                    case Self.closeBracket: position += 1; return
                    default: throw malformed("expected ',' or ']' in an array")
                    }
                }
            }
        case Self.quote: _ = try parseString()
        case Self.minus, 0x30...0x39: _ = try scanNumber()
        case UInt8(ascii: "t"): try expectLiteral("true")
        case UInt8(ascii: "f"): try expectLiteral("false")
        case UInt8(ascii: "n"): try expectLiteral("null")
        default: throw malformed("unexpected character \(Self.show(byte))")
        }
    }

    // MARK: Tokens

    /// Parses a string literal (positioned at its opening quote).
    private mutating func parseString() throws -> String {
        position += 1
        var buffer: [UInt8] = []
        while true {
            guard position < bytes.count else { throw malformed("unterminated string") }
            let byte = bytes[position]
            switch byte {
            case Self.quote:
                position += 1
                return String(decoding: buffer, as: UTF8.self)
            case Self.backslash:
                position += 1
                guard position < bytes.count else { throw malformed("unterminated escape sequence") }
                let escape = bytes[position]
                position += 1
                switch escape {
                case Self.quote, Self.backslash, UInt8(ascii: "/"): buffer.append(escape)
                case UInt8(ascii: "b"): buffer.append(0x08)
                case UInt8(ascii: "f"): buffer.append(0x0C)
                case UInt8(ascii: "n"): buffer.append(0x0A)
                case UInt8(ascii: "r"): buffer.append(0x0D)
                case UInt8(ascii: "t"): buffer.append(0x09)
                case UInt8(ascii: "u"):
                    var scalar = try parseHex4()
                    if (0xD800...0xDBFF).contains(scalar) {
                        guard position + 1 < bytes.count, bytes[position] == Self.backslash,
                            bytes[position + 1] == UInt8(ascii: "u")
                        else { throw malformed("unpaired UTF-16 surrogate in \\u escape") }
                        position += 2
                        let low = try parseHex4()
                        guard (0xDC00...0xDFFF).contains(low) else {
                            throw malformed("unpaired UTF-16 surrogate in \\u escape")
                        }
                        scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                    } else if (0xDC00...0xDFFF).contains(scalar) {
                        throw malformed("unpaired UTF-16 surrogate in \\u escape")
                    }
                    buffer.append(contentsOf: Array(String(Character(Unicode.Scalar(scalar)!)).utf8))
                default: throw malformed("invalid escape sequence \\\(Self.show(escape))")
                }
            case 0..<0x20:
                throw malformed("unescaped control character \(Self.show(byte)) in a string")
            default:
                buffer.append(byte)
                position += 1
            }
        }
    }

    /// Parses the four hex digits of a `\u` escape.
    private mutating func parseHex4() throws -> UInt32 {
        guard position + 4 <= bytes.count else { throw malformed("truncated \\u escape") }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let byte = bytes[position]
            let digit: UInt8
            switch byte {
            case 0x30...0x39: digit = byte - 0x30
            case 0x41...0x46: digit = byte - 0x41 + 10
            case 0x61...0x66: digit = byte - 0x61 + 10
            default: throw malformed("invalid hex digit \(Self.show(byte)) in \\u escape")
            }
            value = value << 4 | UInt32(digit)
            position += 1
        }
        return value
    }

    /// Scans a number per the JSON grammar; `isInteger` when it has no fraction or exponent.
    private mutating func scanNumber() throws -> (literal: ArraySlice<UInt8>, isInteger: Bool) {
        let start = position
        var isInteger = true
        if peek() == Self.minus { position += 1 }
        guard let first = peek(), (0x30...0x39).contains(first) else { throw malformed("invalid number") }
        if first == 0x30 {
            position += 1
            if let next = peek(), (0x30...0x39).contains(next) { throw malformed("number with a leading zero") }
        } else {
            skipDigits()
        }
        if peek() == UInt8(ascii: ".") {
            isInteger = false
            position += 1
            guard let digit = peek(), (0x30...0x39).contains(digit) else { throw malformed("invalid number") }
            skipDigits()
        }
        if peek() == UInt8(ascii: "e") || peek() == UInt8(ascii: "E") {
            isInteger = false
            position += 1
            if peek() == UInt8(ascii: "+") || peek() == Self.minus { position += 1 }
            guard let digit = peek(), (0x30...0x39).contains(digit) else { throw malformed("invalid number") }
            skipDigits()
        }
        return (bytes[start..<position], isInteger)
    }

    private mutating func skipDigits() {
        while let byte = peek(), (0x30...0x39).contains(byte) { position += 1 }
    }

    /// The value of an integer literal, or nil if it does not fit in `Int`.
    private static func integer(_ literal: ArraySlice<UInt8>) -> Int? {
        var digits = literal[...]
        let negative = digits.first == UInt8(ascii: "-")
        if negative { digits = digits.dropFirst() }
        var value = 0
        for byte in digits {
            let (scaled, o1) = value.multipliedReportingOverflow(by: 10)
            let (next, o2) = negative
                ? scaled.subtractingReportingOverflow(Int(byte - 0x30))
                : scaled.addingReportingOverflow(Int(byte - 0x30))
            if o1 || o2 { return nil }
            value = next
        }
        return value
    }

    private mutating func expectLiteral(_ word: String) throws {
        for expected in word.utf8 {
            guard peek() == expected else { throw malformed("invalid literal (expected \(word))") }
            position += 1
        }
    }

    // MARK: Helpers

    private func peek() -> UInt8? { position < bytes.count ? bytes[position] : nil }

    private mutating func skipWhitespace() {
        while let byte = peek(), byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 { position += 1 }
    }

    /// What kind of JSON value starts at the current position, or nil if none can start here.
    private func valueKind() -> String? {
        guard let byte = peek() else { return nil }
        switch byte {
        case Self.openBrace: return "an object"
        case Self.openBracket: return "an array"
        case Self.quote: return "a string"
        case Self.minus, 0x30...0x39: return "a number"
        case UInt8(ascii: "t"), UInt8(ascii: "f"): return "a boolean"
        case UInt8(ascii: "n"): return "null"
        default: return nil
        }
    }

    /// `make(kind)` for the value at the current position — the value has the wrong JSON
    /// type — or a syntax error if no value starts here.
    fileprivate func typeError(_ make: (String) -> SafeTensorsError) -> SafeTensorsError {
        if let kind = valueKind() { return make(kind) }
        guard let byte = peek() else { return malformed("expected a value, found the end of the header") }
        return malformed("expected a value, found the unexpected character \(Self.show(byte))")
    }

    private static func show(_ byte: UInt8) -> String {
        (0x21...0x7E).contains(byte) ? "'\(Character(Unicode.Scalar(byte)))'" : "0x" + String(byte, radix: 16)
    }

    private func malformed(_ reason: String) -> SafeTensorsError {
        .malformedJSON(byteOffset: position, reason: reason)
    }
}

// MARK: - Byte sources

/// Random access to the bytes of a file or buffer.
private protocol ByteSource {
    /// The total length in bytes.
    var byteCount: Int { get }
    /// The bytes in `range` (fewer if the source ends early).
    func bytes(in range: Range<Int>) throws -> [UInt8]
    /// `count` little-endian float32 values starting at byte `offset`.
    func floats(at offset: Int, count: Int) throws -> [Float]
}

/// Fixes the byte order of floats copied from little-endian storage.
private func fromLittleEndian(_ values: inout [Float]) {
    #if _endian(big)
    for i in values.indices { values[i] = Float(bitPattern: UInt32(littleEndian: values[i].bitPattern)) }
    #endif
}

private struct MemorySource: ByteSource {
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

private final class FileSource: ByteSource {
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
