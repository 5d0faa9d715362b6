import Retargeting
import Tensors
import XCTest

/// With the true matte and plate, composition is exact: `x + (1 − α)(B − P)` is the
/// character over the new background, soft edges included; moving the layer moves it.
final class LayerCompositorTests: XCTestCase {
    let width = 16, height = 12

    func image(_ value: (Int, Int, Int) -> Float) -> PlanarImage {
        var values = [Float](repeating: 0, count: 3 * width * height)
        for c in 0..<3 { for y in 0..<height { for x in 0..<width { values[(c * height + y) * width + x] = value(c, x, y) } } }
        return PlanarImage(width: width, height: height, values: values)
    }

    func scene() -> (character: PlanarImage, alpha: PlanarMask, plate: PlanarImage, background: PlanarImage) {
        let alpha = PlanarMask(width: width, height: height, values: (0..<(width * height)).map { i in
            let x = i % width, y = i / width
            return (4..<8).contains(x) && (3..<9).contains(y) ? (x == 4 ? 0.5 : 1) : 0
        })
        return (image { c, x, _ in 0.8 - 0.2 * Float(c) + 0.01 * Float(x) }, alpha,
                image { c, x, y in 0.1 + 0.05 * Float((x + y + c) % 5) }, image { c, _, y in 0.3 + 0.04 * Float(y) - 0.1 * Float(c) })
    }

    func over(_ character: PlanarImage, _ alpha: PlanarMask, _ plate: PlanarImage) -> PlanarImage {
        var out = plate
        let n = width * height
        for c in 0..<3 { for i in 0..<n { out.values[c * n + i] = alpha.values[i] * character.values[c * n + i] + (1 - alpha.values[i]) * plate.values[c * n + i] } }
        return out
    }

    func testSwapIsExactWithTheTrueMatteAndPlate() {
        let (character, alpha, plate, background) = scene()
        let frame = over(character, alpha, plate)
        let swapped = LayerCompositor.swap(frame: frame, alpha: alpha, plate: plate, background: background)
        let truth = over(character, alpha, background)
        for i in 0..<truth.values.count { XCTAssertEqual(swapped.values[i], truth.values[i], accuracy: 1e-5) }
        // Identity motion is the swap.
        let still = LayerCompositor.moved(frame: frame, alpha: alpha, plate: plate, background: background, sampling: .identity)
        for i in 0..<truth.values.count { XCTAssertEqual(still.values[i], truth.values[i], accuracy: 1e-5) }
    }

    func testMovedShiftsTheCharacterByWholePixels() {
        let (character, alpha, plate, background) = scene()
        let frame = over(character, alpha, plate)
        // Sampling x + 2 pixels (normalised: 2·2/width) draws the layer 2 pixels to the left.
        let moved = LayerCompositor.moved(frame: frame, alpha: alpha, plate: plate, background: background,
                                          sampling: Affine2D([1, 0, 4 / Float(width), 0, 1, 0]))
        let n = width * height
        for y in 0..<height {
            for x in 0..<width {
                let source = x + 2
                let a: Float = source < width ? alpha.values[y * width + source] : 0
                let expected = source < width ? a * character.values[y * width + source] + (1 - a) * background.values[y * width + x] : background.values[y * width + x]
                XCTAssertEqual(moved.values[y * width + x], expected, accuracy: 1e-5, "red at \(x),\(y)")
            }
        }
        XCTAssertEqual(moved.values.count, 3 * n)
    }
}
