import NeuralNetwork
import Tensors
import TestSupport
import XCTest

/// Hand-computed cases of the affine convention (pixel centres, output → input, zeros outside).
final class SpatialTransformerTests: XCTestCase {
    /// A [1, 1, h, w] map whose pixel (y, x) holds 1 + 10·y + x.
    func ramp(_ h: Int, _ w: Int) -> Tensor {
        Tensor(shape: [1, 1, h, w], scalars: (0..<(h * w)).map { Float(1 + 10 * ($0 / w) + $0 % w) })
    }

    func warp(_ map: Tensor, _ theta: [Float]) -> Tensor {
        SpatialTransformer().forward(input: map, theta: Tensor(shape: [1, 6], scalars: theta), tape: nil)
    }

    func testIdentityReturnsTheInput() {
        let map = randomTensor([2, 3, 5, 7], seed: 1)
        let out = SpatialTransformer().forward(
            input: map, theta: Tensor(shape: [2, 6], scalars: SpatialTransformer.identity + SpatialTransformer.identity), tape: nil)
        XCTAssertEqual(out.shape, map.shape)
        // Exact up to float rounding of the pixel-centre arithmetic.
        for i in 0..<map.count { XCTAssertEqual(out.scalars[i], map.scalars[i], accuracy: 1e-6) }
    }

    /// θ₀₂ = 2/W samples one pixel to the right: output (y, x) = input (y, x + 1), zero past the edge.
    func testTranslationByOnePixel() {
        let map = ramp(3, 4)
        let out = warp(map, [1, 0, 2.0 / 4, 0, 1, 0])
        for y in 0..<3 {
            for x in 0..<4 {
                let expected: Float = x + 1 < 4 ? map.scalars[y * 4 + x + 1] : 0
                XCTAssertEqual(out.scalars[y * 4 + x], expected, accuracy: 1e-5, "pixel (\(y), \(x))")
            }
        }
        // And one pixel down: θ₁₂ = 2/H.
        let down = warp(map, [1, 0, 0, 0, 1, 2.0 / 3])
        XCTAssertEqual(Array(down.scalars[0..<8]), Array(map.scalars[4..<12]))
        XCTAssertEqual(Array(down.scalars[8..<12]), [0, 0, 0, 0])
    }

    /// Half a pixel to the right averages horizontal neighbours (bilinear).
    func testHalfPixelShiftAveragesNeighbours() {
        let out = warp(ramp(2, 4), [1, 0, 1.0 / 4, 0, 1, 0])
        XCTAssertEqual(Array(out.scalars[0..<4]), [1.5, 2.5, 3.5, 2.0])  // last: (4 + 0)/2
    }

    /// θ = [[0, −1, 0], [1, 0, 0]]: output (x, y) samples input (−y, x), a 90° rotation.
    func testNinetyDegreeRotationOfASquareMap() {
        let n = 4
        let map = ramp(n, n)
        let out = warp(map, [0, -1, 0, 1, 0, 0])
        for i in 0..<n {
            for j in 0..<n {
                // x_s = −y_o → input column n−1−i; y_s = x_o → input row j.
                XCTAssertEqual(out.scalars[i * n + j], map.scalars[j * n + (n - 1 - i)], accuracy: 1e-5, "pixel (\(i), \(j))")
            }
        }
    }

    /// Zooming out by 2 (θ = 2·I) leaves the border zero and samples the centre exactly.
    func testScaleSamplesOutsideAsZero() {
        let out = warp(Tensor(shape: [1, 1, 4, 4], repeating: 1), [2, 0, 0, 0, 2, 0])
        // Output centres ±0.75 map to ±1.5 (outside, beyond half a pixel) and ±0.25 to ±0.5.
        XCTAssertEqual(out.scalars[0], 0)
        XCTAssertEqual(out.scalars[5], 1)
    }

    func testOutputSizeDiffersFromInput() {
        let out = SpatialTransformer(outputSize: (2, 3)).forward(
            input: ramp(4, 6), theta: Tensor(shape: [1, 6], scalars: SpatialTransformer.identity), tape: nil)
        XCTAssertEqual(out.shape, [1, 1, 2, 3])
    }

    func testNaNThetaSamplesZerosInsteadOfCrashing() {
        let out = warp(ramp(3, 3), [.nan, 0, 0, 0, 1, 0])
        XCTAssertEqual(out.scalars, [Float](repeating: 0, count: 9))
    }

    func testWrongThetaShapeIsNamed() {
        XCTAssertThrowsError(try SpatialTransformer().outputShape(input: [2, 3, 4, 4], theta: [2, 4])) { error in
            XCTAssertEqual("\(error)", "SpatialTransformer: expects theta [2, 6] or [2, 2, 3] for input [2, 3, 4, 4], got [2, 4]")
        }
    }
}
