import SyntheticScenes
import Tensors
import XCTest

final class AffineWalkTests: XCTestCase {
    func testWalkIsDeterministicAndSeedDependent() {
        let walk = AffineWalk(seed: 21), again = AffineWalk(seed: 21), other = AffineWalk(seed: 22)
        XCTAssertEqual(walk, again)
        for t in [0.0, 17, 4242] {
            XCTAssertEqual(walk.pose(at: t), again.pose(at: t))
            XCTAssertNotEqual(walk.pose(at: t), other.pose(at: t))
        }
    }

    func testParametersStayWithinTheLimits() {
        let limits = AffineWalk.Limits()
        let logLow = log(limits.scaleRange.lowerBound), logHigh = log(limits.scaleRange.upperBound)
        for seed in 0..<50 {
            let walk = AffineWalk(seed: UInt64(seed))
            for step in 0..<400 {
                let p = walk.parameters(at: Double(step * 7))
                XCTAssertLessThanOrEqual(abs(p.angle), limits.maxAngle * 1.0001)
                XCTAssertLessThanOrEqual(abs(p.shear), limits.maxShear * 1.0001)
                XCTAssertLessThanOrEqual(abs(p.translationX), limits.maxTranslation * 1.0001)
                XCTAssertLessThanOrEqual(abs(p.translationY), limits.maxTranslation * 1.0001)
                let logScale = log(p.scaleX * p.scaleY) / 2, anisotropy = log(p.scaleX / p.scaleY) / 2
                XCTAssertGreaterThanOrEqual(logScale, logLow - 1e-4)
                XCTAssertLessThanOrEqual(logScale, logHigh + 1e-4)
                XCTAssertLessThanOrEqual(abs(anisotropy), limits.maxAnisotropy * 1.0001)
            }
        }
    }

    func testWalksCoverTheirRange() {
        // Over many walks the parameters reach most of their allowed range.
        var maxAngle: Float = 0, maxTranslation: Float = 0, minScale: Float = 2, maxScale: Float = 0
        for seed in 0..<50 {
            let walk = AffineWalk(seed: UInt64(seed))
            for step in 0..<200 {
                let p = walk.parameters(at: Double(step * 3))
                maxAngle = max(maxAngle, abs(p.angle))
                maxTranslation = max(maxTranslation, abs(p.translationX), abs(p.translationY))
                let s = (p.scaleX * p.scaleY).squareRoot()
                minScale = min(minScale, s); maxScale = max(maxScale, s)
            }
        }
        XCTAssertGreaterThan(maxAngle, 25 * Float.pi / 180)
        XCTAssertGreaterThan(maxTranslation, 0.35)
        XCTAssertLessThan(minScale, 0.82)
        XCTAssertGreaterThan(maxScale, 1.15)
    }

    func testFrameStepsAreSmallButVisible() {
        // Displacement of points on a circle of radius 0.5 (16 px at 64×64) from one frame to
        // the next, in pixels at 64×64.
        var steps: [Double] = []
        for seed in 0..<100 {
            let walk = AffineWalk(seed: UInt64(seed))
            for t in stride(from: 0.0, to: 300, by: 30) {
                let m = walk.motion(from: t, gap: 1)
                var sum = 0.0
                for k in 0..<16 {
                    let angle = Float(k) * Float.pi / 8
                    let (x, y) = (0.5 * cos(angle), 0.5 * sin(angle))
                    let q = m.apply(x: x, y: y)
                    sum += Double((q.x - x) * (q.x - x) + (q.y - y) * (q.y - y))
                }
                steps.append((sum / 16).squareRoot() * 32)
            }
        }
        steps.sort()
        let median = steps[steps.count / 2], largest = steps.last!
        XCTAssertGreaterThan(median, 1.0, "median step \(median) px is too small to see")
        XCTAssertLessThan(median, 4.0, "median step \(median) px is not small")
        XCTAssertLessThan(largest, 8.0, "largest step \(largest) px is a jump")
    }

    func testMotionComposesPoses() {
        let walk = AffineWalk(seed: 5)
        let motion = walk.motion(from: 10, gap: 3)
        let composed = motion.composed(after: walk.pose(at: 10)).elements
        for (a, b) in zip(composed, walk.pose(at: 13).elements) { XCTAssertEqual(a, b, accuracy: 1e-5) }
    }

    func testLimitsValidation() {
        XCTAssertThrowsError(try AffineWalk.Limits(maxShear: -0.1).validate())
        XCTAssertThrowsError(try AffineWalk.Limits(scaleRange: 0...1).validate())
        XCTAssertThrowsError(try AffineWalk.Limits(maxAngle: .nan).validate())
        XCTAssertNoThrow(try AffineWalk.Limits().validate())
    }
}
