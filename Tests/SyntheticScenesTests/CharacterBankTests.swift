import SyntheticScenes
import Tensors
import XCTest

final class CharacterBankTests: XCTestCase {
    func testCoverageIsInTheStatedRangeAtEveryResolution() throws {
        for (side, count) in [(64, 32), (128, 8), (32, 8)] {
            let bank = try CharacterBank(seed: 9, height: side, width: side)
            for index in 0..<count {
                let layer = bank.layer(at: index)
                XCTAssertEqual(layer.shape, [4, side, side])
                let covered = coverage(layer)
                XCTAssertTrue(CharacterBank.coverageRange.contains(Float(covered)),
                              "character \(index) at \(side)×\(side) covers \(covered) of the frame")
            }
        }
    }

    func testCharactersAreCentredSoftEdgedTexturedAndDistinct() throws {
        let bank = try CharacterBank(seed: 4, height: 64, width: 64)
        let layers = (0..<8).map { bank.layer(at: $0) }
        for (index, layer) in layers.enumerated() {
            XCTAssertTrue(layer.scalars.allSatisfy { $0 >= 0 && $0 <= 1 && $0.isFinite })
            let a = alpha(layer)
            // Centred: the alpha centroid is within 3 px of the frame centre.
            var mass: Float = 0, cx: Float = 0, cy: Float = 0
            for i in 0..<64 { for j in 0..<64 { let w = a[i * 64 + j]; mass += w; cx += w * (Float(j) + 0.5); cy += w * (Float(i) + 0.5) } }
            XCTAssertEqual(cx / mass, 32, accuracy: 3, "character \(index) is off centre")
            XCTAssertEqual(cy / mass, 32, accuracy: 3, "character \(index) is off centre")
            // Soft edge: fractional alpha on the outline, between 0.5 and 3 px wide on average.
            let fractional = a.filter { $0 > 0.02 && $0 < 0.98 }.reduce(0) { $0 + min($1, 1 - $1) * 2 }
            let opaque = a.filter { $0 >= 0.5 }.count
            let perimeter = 2 * Float.pi * (Float(opaque) / Float.pi).squareRoot()  // at least this long
            XCTAssertGreaterThan(fractional / perimeter, 0.3, "character \(index) has a hard edge")
            XCTAssertLessThan(fractional / perimeter, 3, "character \(index) has a blurry edge")
            // Textured inside: colours vary across the opaque region.
            let inside = a.indices.filter { a[$0] > 0.99 }
            let red = inside.map { layer.scalars[$0] }, green = inside.map { layer.scalars[4096 + $0] }
            let spread = (red.max()! - red.min()!) + (green.max()! - green.min()!)
            XCTAssertGreaterThan(spread, 0.3, "character \(index) is flat")
        }
        for i in layers.indices {
            for j in 0..<i {
                XCTAssertGreaterThan(meanAbsoluteDifference(premultiplied(layers[i]), premultiplied(layers[j])), 0.03,
                                     "characters \(i) and \(j) look the same")
            }
        }
    }

    func testRotationIsVisible() throws {
        let generator = try SceneGenerator(.init(characterCount: 4))
        for character in 0..<4 {
            let canonical = generator.canonicalLayer(character: character)
            let turned = generator.characterLayer(character: character, pose: Affine2D(angle: 20 * Float.pi / 180))
            XCTAssertGreaterThan(meanAbsoluteDifference(premultiplied(canonical), premultiplied(turned)), 0.02,
                                 "a 20° turn of character \(character) is invisible")
        }
    }

    func testCutoutBankValidatesItsInput() throws {
        var cutout = Tensor(shape: [4, 8, 8], repeating: 0.5)
        let bank = try CharacterBank(cutouts: [cutout])
        XCTAssertEqual(bank.cutoutCount, 1)
        XCTAssertEqual(bank.layer(at: 0), cutout)
        XCTAssertThrowsError(try CharacterBank(cutouts: []))
        XCTAssertThrowsError(try CharacterBank(cutouts: [Tensor(shape: [3, 8, 8])]))
        XCTAssertThrowsError(try CharacterBank(cutouts: [Tensor(shape: [4, 8, 8])]), "empty alpha")
        cutout.scalars[0] = -0.1
        XCTAssertThrowsError(try CharacterBank(cutouts: [cutout]))
        cutout.scalars[0] = .nan
        XCTAssertThrowsError(try CharacterBank(cutouts: [cutout]))
        XCTAssertThrowsError(try CharacterBank(seed: 0, height: 4, width: 64))
    }
}
