import SafeTensors
import XCTest

/// Error messages: every case explains itself, distinctly and briefly.
final class SafeTensorsErrorTests: SafeTensorsTestCase {
    func testEveryErrorExplainsItself() {
        let errors: [SafeTensorsError] = [
            .fileTooShort(byteCount: 3), .headerTooLarge(declared: 1 << 40, limit: 100), .truncatedHeader(declared: 9, available: 1),
            .headerNotUTF8(byteOffset: 4), .malformedJSON(byteOffset: 2, reason: "bad"), .headerNotObject(found: "an array"),
            .duplicateKey("k", context: "the header"), .metadataNotObject(found: "null"),
            .metadataValueNotString(key: "k", found: "a number"), .entryNotObject(tensor: "t", found: "a string"),
            .missingField(tensor: "t", field: "shape"),
            .wrongFieldType(tensor: "t", field: "shape", expected: "an array", found: "a string"),
            .unsupportedDType(tensor: "t", dtype: "F16"), .numberOutOfRange(tensor: "t", field: "shape", literal: "1e99"),
            .rankTooLarge(tensor: "t", limit: 64), .negativeExtent(tensor: "t", shape: [-1]),
            .shapeOverflow(tensor: "t", shape: [1 << 62, 4]), .invalidOffsets(tensor: "t", begin: 8, end: 0),
            .sizeMismatch(tensor: "t", shape: [2], expectedByteCount: 8, foundByteCount: 4),
            .truncatedData(declared: 1200, available: 800), .overlappingTensors("a", "b"), .gapInData(begin: 8, end: 12),
            .trailingData(coveredByteCount: 8, available: 12), .nonFiniteValues(tensor: "t", count: 2),
            .reservedName("__metadata__"), .inconsistentTensor(name: "t", shape: [2], scalarCount: 1),
            .readFailed(path: "/x", reason: "no such file"), .writeFailed(path: "/x", reason: "read-only"),
        ]
        var seen = Set<String>()
        for error in errors {
            XCTAssertGreaterThan(error.description.count, 40, "\(error)")
            XCTAssertTrue(seen.insert(error.description).inserted, "duplicate message: \(error)")
        }
        // Enormous names are shortened in messages.
        let long = SafeTensorsError.missingField(tensor: String(repeating: "n", count: 100_000), field: "shape")
        XCTAssertLessThan(long.description.count, 400)
    }
}
