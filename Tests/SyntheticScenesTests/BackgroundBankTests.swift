import SyntheticScenes
import Tensors
import XCTest

final class BackgroundBankTests: XCTestCase {
    func testProceduralBackgroundsAreDeterministicRGBInUnitRange() throws {
        let bank = try BackgroundBank(seed: 11, height: 64, width: 64)
        let again = try BackgroundBank(seed: 11, height: 64, width: 64)
        let other = try BackgroundBank(seed: 12, height: 64, width: 64)
        for index in [0, 1, 7, 1000, 123_456] {
            let image = bank.background(at: index)
            XCTAssertEqual(image.shape, [3, 64, 64])
            XCTAssertTrue(image.scalars.allSatisfy { $0 >= 0 && $0 <= 1 }, "background \(index) leaves [0, 1]")
            XCTAssertEqual(image, again.background(at: index), "same (seed, index) must give the same background")
            XCTAssertGreaterThan((image - other.background(at: index)).meanAbsolute(), 0.05, "another seed must give another background")
        }
        XCTAssertNil(bank.imageCount)
        XCTAssertFalse(bank.contains(-1))
    }

    func testBackgroundsAreTexturedAndDistinct() throws {
        let bank = try BackgroundBank(seed: 3, height: 64, width: 64)
        let images = (0..<24).map { bank.background(at: $0) }
        for (i, image) in images.enumerated() {
            // Textured: neighbouring pixels differ and the image is not flat.
            let mean = image.sum() / Double(image.count)
            let deviation = (image.scalars.reduce(0.0) { $0 + (Double($1) - mean) * (Double($1) - mean) } / Double(image.count)).squareRoot()
            XCTAssertGreaterThan(deviation, 0.05, "background \(i) is nearly flat")
        }
        var smallest = Double.infinity
        for i in images.indices {
            for j in 0..<i { smallest = min(smallest, (images[i] - images[j]).meanAbsolute()) }
        }
        // Bound: every pair of 24 backgrounds differs by a mean absolute 0.05 or more (measured ≈ 0.07).
        XCTAssertGreaterThan(smallest, 0.05, "two backgrounds are nearly the same")
    }

    func testProceduralBackgroundsLookAlikeAtEveryResolution() throws {
        let small = try BackgroundBank(seed: 5, height: 64, width: 64).background(at: 2)
        let large = try BackgroundBank(seed: 5, height: 128, width: 128).background(at: 2)
        var pooled = [Float](repeating: 0, count: 3 * 64 * 64)
        for c in 0..<3 {
            for i in 0..<64 {
                for j in 0..<64 {
                    var sum: Float = 0
                    for di in 0..<2 { for dj in 0..<2 { sum += large.scalars[c * 128 * 128 + (2 * i + di) * 128 + 2 * j + dj] } }
                    pooled[c * 4096 + i * 64 + j] = sum / 4
                }
            }
        }
        XCTAssertLessThan(meanAbsoluteDifference(pooled, small.scalars), 0.03)
    }

    func testPhotoBankReturnsThePhotosAndRejectsBadOnes() throws {
        let photos = [Tensor(shape: [3, 8, 8], repeating: 0.25), Tensor(shape: [3, 8, 8], repeating: 0.75)]
        let bank = try BackgroundBank(images: photos)
        XCTAssertEqual(bank.imageCount, 2)
        XCTAssertEqual(bank.background(at: 1), photos[1])
        XCTAssertFalse(bank.contains(2))
        XCTAssertThrowsError(try BackgroundBank(images: []))
        XCTAssertThrowsError(try BackgroundBank(images: [Tensor(shape: [4, 8, 8])]))
        XCTAssertThrowsError(try BackgroundBank(images: [photos[0], Tensor(shape: [3, 8, 9])]))
        XCTAssertThrowsError(try BackgroundBank(images: [Tensor(shape: [3, 8, 8], repeating: 1.5)]))
        XCTAssertThrowsError(try BackgroundBank(seed: 0, height: 0, width: 8))
    }
}
