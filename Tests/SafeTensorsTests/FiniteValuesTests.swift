import SafeTensors
import Tensors
import XCTest

/// Non-finite values: stored bit-exactly, reported on request.
final class FiniteValuesTests: SafeTensorsTestCase {
    func testNonFiniteValuesRoundTripBitExactAndCanBeReported() throws {
        let special: [Float] = [
            .nan, Float(bitPattern: 0x7FC0_0001), -.nan, .infinity, -.infinity, -0.0, 0,
            .leastNonzeroMagnitude, .greatestFiniteMagnitude, -.leastNormalMagnitude,
        ]
        let tensors = ["special": Tensor(shape: [2, 5], scalars: special), "fine": Tensor(shape: [2], scalars: [1, 2])]
        let decoded = try SafeTensors.decode(try SafeTensors.encode(tensors, metadata: [:]))
        assertBitwiseEqual(decoded.tensors, tensors)
        XCTAssertEqual(SafeTensors.nonFiniteCounts(in: decoded.tensors), ["special": 5])
        XCTAssertThrowsError(try SafeTensors.checkFinite(decoded.tensors)) { error in
            XCTAssertEqual(error as? SafeTensorsError, .nonFiniteValues(tensor: "special", count: 5))
        }
        XCTAssertNoThrow(try SafeTensors.checkFinite(["fine": tensors["fine"]!]))
    }
}
