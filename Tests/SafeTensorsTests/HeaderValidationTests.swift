import SafeTensors
import XCTest

/// Validation of a parsed header against the format and the file: UTF-8, dtypes, shapes, offsets
/// and how the tensors tile the data.
final class HeaderValidationTests: SafeTensorsTestCase {
    func testHeaderNotUTF8() {
        assertDecodeFails(file([0x7B, 0xFF, 0x7D]), .headerNotUTF8(byteOffset: 1))
        // Overlong encoding of '/' inside a key, a UTF-16 surrogate, a truncated sequence.
        assertDecodeFails(file([0x7B, 0x22, 0xC0, 0xAF, 0x22, 0x7D]), .headerNotUTF8(byteOffset: 2))
        assertDecodeFails(file([0x7B, 0x22, 0xED, 0xA0, 0x80, 0x22, 0x7D]), .headerNotUTF8(byteOffset: 3))
        assertDecodeFails(file([0x7B, 0x22, 0xE2, 0x82]), .headerNotUTF8(byteOffset: 2))
    }

    func testUnsupportedDTypeIsNamed() {
        for dtype in ["F16", "BF16", "F64", "I64", "U8", "BOOL", "f32", ""] {
            let json = #"{"a":{"dtype":"\#(dtype)","shape":[2],"data_offsets":[0,8]}}"#
            assertDecodeFails(file(json, data: floatBytes([1, 2])), .unsupportedDType(tensor: "a", dtype: dtype))
        }
        let error = SafeTensorsError.unsupportedDType(tensor: "w", dtype: "BF16")
        XCTAssertTrue(error.description.contains("BF16") && error.description.contains("F32"), error.description)
    }

    func testBadShapes() {
        func entry(_ shape: String, _ offsets: String = "[0,8]") -> [UInt8] {
            file(#"{"a":{"dtype":"F32","shape":\#(shape),"data_offsets":\#(offsets)}}"#, data: floatBytes([1, 2]))
        }
        assertDecodeFails(entry("[-1]"), .negativeExtent(tensor: "a", shape: [-1]))
        assertDecodeFails(entry("[2,-3,0]"), .negativeExtent(tensor: "a", shape: [2, -3, 0]))
        assertDecodeFails(entry("[4611686018427387904]"), .shapeOverflow(tensor: "a", shape: [1 << 62]))
        assertDecodeFails(entry("[3037000500,3037000500]"), .shapeOverflow(tensor: "a", shape: [3_037_000_500, 3_037_000_500]))
        assertDecodeFails(
            entry("[99999999999999999999]"),
            .numberOutOfRange(tensor: "a", field: "shape", literal: "99999999999999999999"))
        assertDecodeFails(
            entry("[2]", "[0,9223372036854775808]"),
            .numberOutOfRange(tensor: "a", field: "data_offsets", literal: "9223372036854775808"))
        let tooMany = Array(repeating: "1", count: SafeTensors.maximumRank + 1).joined(separator: ",")
        assertDecodeFails(entry("[\(tooMany)]", "[0,4]"), .rankTooLarge(tensor: "a", limit: SafeTensors.maximumRank))
        // A huge array is refused at the rank limit, without being stored.
        let huge = "[" + Array(repeating: "1", count: 1_000_000).joined(separator: ",") + "]"
        assertDecodeFails(entry(huge, "[0,4]"), .rankTooLarge(tensor: "a", limit: SafeTensors.maximumRank))
    }

    func testBadOffsets() {
        func entry(_ offsets: String, shape: String = "[2]", dataCount: Int = 2) -> [UInt8] {
            file(
                #"{"a":{"dtype":"F32","shape":\#(shape),"data_offsets":\#(offsets)}}"#,
                data: floatBytes(Array(repeating: 1, count: dataCount)))
        }
        assertDecodeFails(entry("[8,0]"), .invalidOffsets(tensor: "a", begin: 8, end: 0))
        assertDecodeFails(entry("[-8,0]"), .invalidOffsets(tensor: "a", begin: -8, end: 0))
        assertDecodeFails(entry("[0,12]", dataCount: 3), .sizeMismatch(tensor: "a", shape: [2], expectedByteCount: 8, foundByteCount: 12))
        assertDecodeFails(entry("[0,7]"), .sizeMismatch(tensor: "a", shape: [2], expectedByteCount: 8, foundByteCount: 7))
        assertDecodeFails(entry("[0,8]", dataCount: 1), .truncatedData(declared: 8, available: 4))
        assertDecodeFails(
            entry("[9223372036854775799,9223372036854775807]"),
            .truncatedData(declared: 9_223_372_036_854_775_807, available: 8))
        // The example from the brief: 1200 bytes promised, 800 present.
        let truncated = entry("[0,1200]", shape: "[300]", dataCount: 200)
        assertDecodeFails(truncated, .truncatedData(declared: 1200, available: 800))
        XCTAssertTrue(
            SafeTensorsError.truncatedData(declared: 1200, available: 800).description
                .contains("file is truncated: header says 1200 bytes of data, found 800"))
    }

    func testTensorsMustTileTheDataExactly() {
        func two(_ a: String, _ b: String, shapeB: String = "[2]", dataCount: Int) -> [UInt8] {
            file(
                #"{"a":{"dtype":"F32","shape":[2],"data_offsets":\#(a)},"b":{"dtype":"F32","shape":\#(shapeB),"data_offsets":\#(b)}}"#,
                data: floatBytes(Array(repeating: 1, count: dataCount)))
        }
        assertDecodeFails(two("[0,8]", "[4,12]", dataCount: 3), .overlappingTensors("a", "b"))
        assertDecodeFails(two("[0,8]", "[0,8]", dataCount: 2), .overlappingTensors("a", "b"))
        assertDecodeFails(two("[4,12]", "[0,8]", dataCount: 3), .overlappingTensors("b", "a"))
        assertDecodeFails(two("[0,8]", "[4,4]", shapeB: "[0]", dataCount: 2), .overlappingTensors("a", "b"))
        assertDecodeFails(two("[0,8]", "[12,20]", dataCount: 5), .gapInData(begin: 8, end: 12))
        assertDecodeFails(two("[4,12]", "[12,20]", dataCount: 5), .gapInData(begin: 0, end: 4))
        assertDecodeFails(two("[0,8]", "[8,16]", dataCount: 5), .trailingData(coveredByteCount: 16, available: 20))
        assertDecodeFails(file("{}", data: [0]), .trailingData(coveredByteCount: 0, available: 1))
        assertDecodeFails(file(one, data: floatBytes([1, 2]) + [0, 0, 0]), .trailingData(coveredByteCount: 8, available: 11))
        XCTAssertNoThrow(try SafeTensors.decode(two("[8,16]", "[0,8]", dataCount: 4)))
    }
}
