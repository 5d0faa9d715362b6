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

    /// A grey plate with grain of −2…2 levels and a frame that differs from it by `contrast`
    /// over `block` (half-open ranges), of `w`×`h` pixels, marked as camera footage.
    func cameraScene(w: Int, h: Int, block: (x: Range<Int>, y: Range<Int>), contrast: Float) -> (PlanarImage, BackgroundPlate) {
        let n = w * h
        var state: UInt64 = 7
        func grain() -> Float {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Float(Int(state >> 61) % 5 - 2) / 255
        }
        let plate = (0..<(3 * n)).map { i in 0.4 + 0.1 * Float((i % w) % 4) / 3 }
        var frame = plate.map { $0 + grain() }
        for y in block.y { for x in block.x { for c in 0..<3 { frame[c * n + y * w + x] += c == 1 ? contrast : 0 } } }
        return (PlanarImage(width: w, height: h, values: frame),
                BackgroundPlate(image: PlanarImage(width: w, height: h, values: plate), confidence: [Float](repeating: 1, count: n), noise: 0, grain: 0.3))
    }

    func testCameraFootagesMatteIsItsMovingRegionSpread() throws {
        let (frame, plate) = cameraScene(w: 40, h: 30, block: (12..<20, 8..<21), contrast: 0.15)
        XCTAssertTrue(plate.isCameraFootage)
        for spread in [0, 1, 3] {
            let matte = CharacterMatte.estimate(frame: frame, plate: plate, margin: spread)
            for y in 0..<30 {
                for x in 0..<40 {
                    let inside = (12 - spread..<20 + spread).contains(x) && (8 - spread..<21 + spread).contains(y)
                    XCTAssertEqual(matte.values[y * 40 + x], inside ? 1 : 0, "spread \(spread) at \(x),\(y): grain is not motion, the block and its spread are opaque")
                }
            }
        }
        // The automatic spread: 2 detection cells, and half a cell more above 240 rows; at least 1.
        XCTAssertEqual(CharacterMatte.estimate(frame: frame, plate: plate), CharacterMatte.estimate(frame: frame, plate: plate, margin: 1))
        XCTAssertEqual(CharacterMatte.automaticSpread(height: 30), 1)
        XCTAssertEqual(CharacterMatte.automaticSpread(height: 240), 2)
        XCTAssertEqual(CharacterMatte.automaticSpread(height: 480), 5)
        XCTAssertEqual(CharacterMatte.automaticSpread(height: 576), 6)
        XCTAssertEqual(CharacterMatte.automaticSpread(height: 1080), 11)
        // A difference under the threshold is not motion.
        let (faint, faintPlate) = cameraScene(w: 40, h: 30, block: (12..<20, 8..<21), contrast: 0.08)
        XCTAssertEqual(CharacterMatte.estimate(frame: faint, plate: faintPlate).values.max(), 0)
    }

    func testLargeFramesFindTheMovingRegionOnTheDetectionGrid() throws {
        XCTAssertNil(CharacterMatte.detectionGrid(width: 320, height: 240))
        XCTAssertNil(CharacterMatte.detectionGrid(width: 176, height: 144))
        for (size, grid) in [((640, 480), (320, 240)), ((1280, 720), (320, 240)), ((200, 480), (200, 240)), ((321, 100), (320, 100))] {
            let found = try XCTUnwrap(CharacterMatte.detectionGrid(width: size.0, height: size.1))
            XCTAssertEqual([found.width, found.height], [grid.0, grid.1], "\(size)")
        }
        // A 640×480 frame whose thumbnail differs from the plate's in cells x 100..<110,
        // y 50..<60 (by 0.15 in green); the full-size frame and plate are flat, so only the
        // thumbnails can find it.
        let w = 640, h = 480, cells = 320 * 240
        let flat = PlanarImage(width: w, height: h, values: [Float](repeating: 0.5, count: 3 * w * h))
        var plate = BackgroundPlate(image: flat, confidence: [Float](repeating: 1, count: w * h), noise: 0, grain: 0.3)
        let detection = PlanarImage(width: 320, height: 240, values: [Float](repeating: 0.4, count: 3 * cells))
        plate.detection = detection
        var thumbnail = detection
        for y in 50..<60 { for x in 100..<110 { thumbnail.values[cells + y * 320 + x] += 0.15 } }
        let matte = CharacterMatte.estimate(frame: flat, plate: plate, thumbnail: thumbnail)
        // This matte reads no coverage (the frame pipeline then computes none); the
        // full-size ones do, where the plate is not trusted.
        XCTAssertTrue(CharacterMatte.findsRegionOnGrid(plate: plate, style: .automatic, thumbnail: thumbnail))
        XCTAssertTrue(CharacterMatte.findsRegionOnGrid(plate: plate, style: .region, thumbnail: thumbnail))
        XCTAssertFalse(CharacterMatte.findsRegionOnGrid(plate: plate, style: .edges, thumbnail: thumbnail))
        XCTAssertFalse(CharacterMatte.findsRegionOnGrid(plate: plate, style: .automatic, thumbnail: nil))
        XCTAssertFalse(CharacterMatte.findsRegionOnGrid(plate: plate, style: .automatic, thumbnail: flat), "a thumbnail off the grid")
        var rendered = plate
        rendered.grain = 0
        XCTAssertFalse(CharacterMatte.findsRegionOnGrid(plate: rendered, style: .automatic, thumbnail: thumbnail), "a rendered clip")
        // Nowhere trusted and covered everywhere: the full-size region takes the coverage,
        // the grid's does not.
        var untrusted = plate
        untrusted.confidence = [Float](repeating: 0, count: w * h)
        let covered = PlanarMask(width: w, height: h, values: [Float](repeating: 1, count: w * h))
        XCTAssertEqual(CharacterMatte.estimate(frame: flat, plate: untrusted, coverage: covered, thumbnail: thumbnail), matte,
                       "coverage changes nothing on the grid")
        XCTAssertEqual(CharacterMatte.estimate(frame: flat, plate: untrusted, coverage: covered, style: .region).values.min(), 1,
                       "the full-size region takes the coverage where the plate is not trusted")
        // Spread by 2 cells, each pixel taking the cell its centre is in: pixels 196..<224, 96..<124.
        for y in 0..<h {
            for x in 0..<w {
                let inside = (196..<224).contains(x) && (96..<124).contains(y)
                if matte.values[y * w + x] != (inside ? 1 : 0) { XCTFail("at \(x),\(y): \(matte.values[y * w + x])"); return }
            }
        }
        // An explicit margin spreads the full-size region instead, by that many pixels.
        let margin = CharacterMatte.estimate(frame: flat, plate: plate, margin: 3, thumbnail: thumbnail)
        XCTAssertEqual(margin.values.reduce(0, +), Float((20 + 6) * (20 + 6)))
        XCTAssertEqual(margin.values[(100 - 3) * w + 200 - 3], 1)
        // Under the threshold: no motion. Without a thumbnail, the full-size frame decides
        // (flat here: nothing moves).
        var faint = detection
        for y in 50..<60 { for x in 100..<110 { faint.values[y * 320 + x] += 0.09 } }
        XCTAssertEqual(CharacterMatte.estimate(frame: flat, plate: plate, thumbnail: faint).values.max(), 0)
        XCTAssertEqual(CharacterMatte.estimate(frame: flat, plate: plate).values.max(), 0)
    }

    func testSpreadRegionIsTheSquareWindowsMaximum() {
        // Scattered set pixels, edges included, against the window maximum by definition.
        let w = 23, h = 17
        let region: [Float] = (0..<(w * h)).map { i in [0, 5, 77, 200, 22, 390].contains(i) ? 1 : 0 }
        for radius in [1, 2, 4, 30] {
            let out = CharacterMatte.spreadRegion(region, width: w, height: h, radius: radius)
            XCTAssertEqual(out, CharacterMatte.maximumFilter(region, width: w, height: h, radius: radius), "radius \(radius)")
        }
    }

    func testTallFramesDetectMotionOverCellsOfAbout240Rows() throws {
        XCTAssertEqual(CharacterMatte.detectionRadius(height: 240), 0)
        XCTAssertEqual(CharacterMatte.detectionRadius(height: 480), 1)
        XCTAssertEqual(CharacterMatte.detectionRadius(height: 1080), 2)
        // At 720 rows the difference is averaged over 3×3 pixels: a lone pixel that differs by
        // 0.5 (a speck of codec noise) averages to 0.056, under the threshold; a 3×3 patch
        // that differs as much is motion.
        let (speck, speckPlate) = cameraScene(w: 12, h: 720, block: (5..<6, 300..<301), contrast: 0.5)
        XCTAssertEqual(CharacterMatte.estimate(frame: speck, plate: speckPlate, margin: 0).values.max(), 0)
        let (patch, patchPlate) = cameraScene(w: 12, h: 720, block: (4..<7, 300..<303), contrast: 0.5)
        let matte = CharacterMatte.estimate(frame: patch, plate: patchPlate, margin: 0)
        XCTAssertEqual(matte.values[301 * 12 + 5], 1)
        XCTAssertEqual(matte.values[200 * 12 + 5], 0)
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

    /// Against bilinear interpolation written out pixel by pixel (four taps between pixel
    /// centres, edges clamped), up and down, in both directions.
    func testResizedMaskMatchesFourTapBilinearInterpolation() {
        var state: UInt64 = 7
        let source = PlanarMask(width: 7, height: 5, values: (0..<35).map { _ in
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Float(state >> 40) / Float(1 << 24)
        })
        for (w, h) in [(28, 20), (13, 3), (3, 9), (7, 5), (640 / 20, 480 / 24)] {
            let out = source.resized(width: w, height: h)
            for y in 0..<h {
                let fy = min(max((Float(y) + 0.5) * 5 / Float(h) - 0.5, 0), 4)
                let y0 = Int(fy), y1 = min(y0 + 1, 4), wy = fy - Float(y0)
                for x in 0..<w {
                    let fx = min(max((Float(x) + 0.5) * 7 / Float(w) - 0.5, 0), 6)
                    let x0 = Int(fx), x1 = min(x0 + 1, 6), wx = fx - Float(x0)
                    func v(_ x: Int, _ y: Int) -> Float { source.values[y * 7 + x] }
                    let expected = (v(x0, y0) * (1 - wx) + v(x1, y0) * wx) * (1 - wy) + (v(x0, y1) * (1 - wx) + v(x1, y1) * wx) * wy
                    XCTAssertEqual(out.values[y * w + x], expected, accuracy: 1e-6, "\(w)×\(h) at \(x),\(y)")
                }
            }
        }
    }
}
