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

    /// Orders strings by their UTF-8 bytes (stable across platforms and normalization-agnostic).
    static func utf8Precedes(_ a: String, _ b: String) -> Bool {
        a.utf8.lexicographicallyPrecedes(b.utf8)
    }
}
