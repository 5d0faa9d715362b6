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
