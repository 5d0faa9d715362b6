import Retargeting
import XCTest

/// The matte against a known mask: hysteresis keeps a character whose colours come close to
/// the background, holes are filled, specks are dropped, edges stay where the frame's are.
final class CharacterMatteTests: XCTestCase {
    let width = 40, height = 30

    /// A textured plate, a frame with a 14×12 block of character (its centre row close to the
    /// background, a hole the fill must close) and a one-pixel speck of noise far away.
    func scene() -> (frame: PlanarImage, plate: BackgroundPlate, truth: [Bool]) {
        let n = width * height
        var plate = [Float](repeating: 0, count: 3 * n)
        for y in 0..<height { for x in 0..<width { for c in 0..<3 { plate[c * n + y * width + x] = 0.3 + 0.2 * Float((x * (c + 1) + y) % 3) / 2 } } }
        var frame = plate, truth = [Bool](repeating: false, count: n)
        for y in 10..<22 {
            for x in 12..<26 {
                let i = y * width + x
                truth[i] = true
                let close = (14...17).contains(y) && (16...21).contains(x)
                for c in 0..<3 { frame[c * n + i] = close ? plate[c * n + i] + 0.02 : 0.9 - 0.1 * Float(c) }
            }
        }
        frame[5 * width + 3] = 1  // the speck
        let plateImage = PlanarImage(width: width, height: height, values: plate)
        return (PlanarImage(width: width, height: height, values: frame),
                BackgroundPlate(image: plateImage, confidence: [Float](repeating: 1, count: n), noise: 0), truth)
    }

    func testMatteMatchesTheCharacter() throws {
        let (frame, plate, truth) = scene()
        let matte = CharacterMatte.estimate(frame: frame, plate: plate)
        var intersection = 0, union = 0
        for i in 0..<truth.count {
            let inside = matte.values[i] >= 0.5
            if inside && truth[i] { intersection += 1 }
            if inside || truth[i] { union += 1 }
        }
        XCTAssertGreaterThan(Double(intersection) / Double(union), 0.95, "IoU")
        XCTAssertEqual(matte.values[16 * width + 18], 1, accuracy: 0.05, "the hole close to the background is filled")
        XCTAssertEqual(matte.values[5 * width + 3], 0, accuracy: 0.05, "the speck is dropped")
        XCTAssertTrue(matte.values.allSatisfy { $0 >= 0 && $0 <= 1 })
        // A margin grows it.
        let wider = CharacterMatte.estimate(frame: frame, plate: plate, margin: 2)
        XCTAssertGreaterThan(wider.values[9 * width + 18], 0.5)
        XCTAssertLessThan(matte.values[8 * width + 18], 0.5)
        // The ring the margin adds keeps the frame whole (α = 1), not a fading halo: the
        // margin grows the refined matte, it is not refined away.
        for i in 0..<truth.count where matte.values[i] >= 0.999 {
            XCTAssertEqual(wider.values[i], 1, accuracy: 1e-6)
        }
        XCTAssertEqual(wider.values[9 * width + 18], matte.values.enumerated()
            .filter { abs($0.offset / width - 9) <= 2 && abs($0.offset % width - 18) <= 2 }.map(\.element).max()!, accuracy: 1e-6,
            "a margin of 2 is the 5×5 maximum of the refined matte")
    }

    /// Over a textured plate the guided filter spills α past the character's edge; where the
    /// frame shows the plate exactly, the matte stays 0 (no halo of the old background).
    func testPixelsThatShowThePlateExactlyStayBackground() throws {
        let (frame, plate, truth) = scene()
        let matte = CharacterMatte.estimate(frame: frame, plate: plate)
        let n = width * height
        var checked = 0
        for i in 0..<n where !truth[i] && (0..<3).allSatisfy({ frame.values[$0 * n + i] == plate.image.values[$0 * n + i] }) {
            XCTAssertEqual(matte.values[i], 0, "pixel (\(i % width), \(i / width))")
            checked += 1
        }
        XCTAssertGreaterThan(checked, n / 2)
        // Right next to the character's edge, too (where the filter's window reaches).
        XCTAssertEqual(matte.values[15 * width + 11], 0)
        XCTAssertEqual(matte.values[9 * width + 18], 0)
    }

    /// A thin figure whose grey level equals the background's gives the guided filter no edge
    /// to follow, so the filter alone blurs it across its window (radius 9 at this size) and
    /// leaves it half transparent; inside its edge it must stay opaque, at its edge soft.
    func testAThinFigureStaysOpaqueInside() throws {
        let width = 200, height = 576, n = width * height
        let plate = [Float](repeating: 0.5, count: 3 * n)
        var frame = plate
        for y in 100..<400 {
            for x in 90..<102 {  // 12 pixels wide, red of the plate's grey level
                frame[y * width + x] = 0.9; frame[n + y * width + x] = 0.3; frame[2 * n + y * width + x] = 0.3
            }
        }
        let matte = CharacterMatte.estimate(
            frame: PlanarImage(width: width, height: height, values: frame),
            plate: BackgroundPlate(image: PlanarImage(width: width, height: height, values: plate),
                                   confidence: [Float](repeating: 1, count: n), noise: 0), margin: 0)
        for x in 92..<100 { XCTAssertEqual(matte.values[250 * width + x], 1, "column \(x)") }
        XCTAssertLessThan(matte.values[250 * width + 90], 1, "the edge stays soft")
        XCTAssertEqual(matte.values[250 * width + 80], 0, "the plate outside stays background")
    }

    func testMaximumFilterIsTheWindowMaximum() {
        let values: [Float] = [0, 0, 0, 0, 0,
                               0, 0, 0, 0, 0,
                               0, 0, 0.7, 0, 0,
                               0, 0, 0, 0, 0.2]
        let out = CharacterMatte.maximumFilter(values, width: 5, height: 4, radius: 1)
        for y in 0..<4 { for x in 0..<5 {
            var expected: Float = 0
            for yy in max(y - 1, 0)...min(y + 1, 3) { for xx in max(x - 1, 0)...min(x + 1, 4) { expected = max(expected, values[yy * 5 + xx]) } }
            XCTAssertEqual(out[y * 5 + x], expected, "(\(x), \(y))")
        } }
        XCTAssertEqual(out[0], 0)
        XCTAssertEqual(out[1 * 5 + 1], 0.7)
        XCTAssertEqual(out[3 * 5 + 3], 0.7)
    }

    func testWhereThePlateIsUnknownTheModelsCoverageDecides() throws {
        var (frame, plate, _) = scene()
        plate.confidence = [Float](repeating: 0, count: width * height)
        frame = plate.image  // no difference at all
        var coverage = [Float](repeating: 0, count: 10 * 10)
        for y in 3..<7 { for x in 3..<7 { coverage[y * 10 + x] = 1 } }
        let matte = CharacterMatte.estimate(frame: frame, plate: plate, coverage: PlanarMask(width: 10, height: 10, values: coverage))
        XCTAssertGreaterThan(matte.values[15 * width + 20], 0.5, "inside the model's coverage")
        XCTAssertLessThan(matte.values[2 * width + 2], 0.5)
        XCTAssertEqual(CharacterMatte.estimate(frame: frame, plate: plate).values.max(), 0, "without coverage, no difference: no character")
    }

    func testGuidedFilterKeepsAnEdgeTheGuideHas() {
        // A step in both: the filtered step stays a step.
        let w = 20, h = 4
        let step = (0..<(w * h)).map { Float($0 % w >= 10 ? 1 : 0) }
        let out = CharacterMatte.guidedFilter(guide: step, input: step, width: w, height: h, radius: 3, epsilon: 1e-4)
        XCTAssertEqual(out[2 * w + 9], 0, accuracy: 0.02)
        XCTAssertEqual(out[2 * w + 10], 1, accuracy: 0.02)
        // A flat guide blurs it.
        let flat = CharacterMatte.guidedFilter(guide: [Float](repeating: 0.5, count: w * h), input: step, width: w, height: h, radius: 3, epsilon: 1e-4)
        XCTAssertGreaterThan(flat[2 * w + 9], 0.2)
    }

    func testResizedMaskInterpolates() {
        let mask = PlanarMask(width: 2, height: 1, values: [0, 1]).resized(width: 4, height: 1)
        XCTAssertEqual(mask.values, [0, 0.25, 0.75, 1])
    }
}
