import Retargeting
import Tensors
import XCTest

/// The alignment of a character's pixels between two frames, against a known motion.
final class MotionRefinementTests: XCTestCase {
    let width = 160, height = 120

    /// A textured disc (the character) at `sampling` over a smooth plate, and its matte.
    func frame(moved sampling: Affine2D, stripes: Bool = false) -> (image: PlanarImage, matte: PlanarMask) {
        let n = width * height
        var image = PlanarImage(width: width, height: height), matte = [Float](repeating: 0, count: n)
        let e = sampling.elements
        for y in 0..<height {
            let v = (2 * Float(y) + 1) / Float(height) - 1
            for x in 0..<width {
                let u = (2 * Float(x) + 1) / Float(width) - 1
                let i = y * width + x
                // The plate: a gentle gradient.
                for c in 0..<3 { image.values[c * n + i] = 0.3 + 0.2 * u + 0.05 * Float(c) }
                // The character in its own coordinates (where this output pixel samples).
                let su = e[0] * u + e[1] * v + e[2], sv = e[3] * u + e[4] * v + e[5]
                let r = (su * su + sv * sv).squareRoot()
                let inside = max(0, min(1, (0.45 - r) * 40))
                guard inside > 0 else { continue }
                let texture = stripes ? 0.5 + 0.3 * sin(2 * Float.pi * su / 0.2) : 0.5 + 0.25 * sin(9 * su) * cos(7 * sv) + 0.15 * sin(23 * su + 5 * sv)
                for c in 0..<3 {
                    let value = texture * (c == 0 ? 1 : 0.7)
                    image.values[c * n + i] = inside * value + (1 - inside) * image.values[c * n + i]
                }
                matte[i] = inside
            }
        }
        return (image, PlanarMask(width: width, height: height, values: matte))
    }

    func error(_ a: Affine2D, _ b: Affine2D) -> Float { zip(a.elements, b.elements).map { abs($0 - $1) }.max()! }

    func testAlignsARotatedScaledShiftedCharacter() {
        // Frame t shows the character at the identity; frame t+1 moved by `motion`.
        let motion = Affine2D(angle: 0.12, scaleX: 1.08, scaleY: 0.95, translationX: 0.06, translationY: -0.04)
        let truth = motion.inverse!  // the sampling matrix of the step
        let (first, matte) = frame(moved: .identity)
        let (second, _) = frame(moved: truth)
        // Start from a poor estimate (what a model at 64² gives) and from the identity.
        for start in [Affine2D(truth.elements.enumerated().map { $0.element + ($0.offset % 3 == 2 ? 0.03 : -0.02) }), Affine2D.identity] {
            let refined = MotionRefinement.refine(start, from: first, matte: matte, to: second)
            XCTAssertLessThan(error(refined, truth), 0.01, "from \(start): \(refined) vs \(truth)")
            XCTAssertLessThan(error(refined, truth), error(start, truth) / 3)
        }
    }

    /// A striped character: an estimate off by one stripe is a valley of its own for
    /// Lucas–Kanade (the stripes match, only the outline does not); the alignment from the
    /// identity finds the true step, matches better, and wins.
    func testAnEstimateOffByAPeriodLosesToTheIdentityStart() {
        let motion = Affine2D(translationX: 0.03, translationY: 0.01)
        let truth = motion.inverse!
        let (first, matte) = frame(moved: .identity, stripes: true)
        let (second, _) = frame(moved: truth, stripes: true)
        var offByAStripe = truth.elements
        offByAStripe[2] += 0.2
        // From the wrong stripe alone, the alignment stays there.
        let trapped = AffineAlignment.coarseToFine(
            from: [offByAStripe], sourceGrey: AffineAlignment.grey(planarRGB: first.values, planeSize: first.planeSize), weight: matte.values,
            targetGrey: AffineAlignment.grey(planarRGB: second.values, planeSize: second.planeSize),
            fullWidth: width, fullHeight: height, width: 128, height: 96)
        XCTAssertGreaterThan(error(Affine2D(trapped ?? offByAStripe), truth), 0.1, "the stripes should trap a lone start: \(String(describing: trapped))")
        let refined = MotionRefinement.refine(Affine2D(offByAStripe), from: first, matte: matte, to: second)
        XCTAssertLessThan(error(refined, truth), 0.01, "\(refined) vs \(truth)")
    }

    func testWithoutACharacterTheEstimateStands() {
        let (first, _) = frame(moved: .identity)
        let empty = PlanarMask(width: width, height: height, values: [Float](repeating: 0, count: width * height))
        let start = Affine2D(angle: 0.1, scaleX: 1, scaleY: 1, translationX: 0.05, translationY: 0)
        XCTAssertEqual(MotionRefinement.refine(start, from: first, matte: empty, to: first), start)
    }
}
