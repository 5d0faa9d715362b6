import VideoIO
import XCTest

final class LevelConversionTests: XCTestCase {
    /// The checked conversion the fast one replaces.
    func reference(_ v: Float) -> UInt8 { UInt8((v.isNaN ? 0 : min(max(v, 0), 1)) * 255 + 0.5) }

    /// Every float in [0, 1] near each level's rounding boundary (k + 0.5) / 255 and near
    /// each level k / 255 (a few ulps either side), a dense sweep, and the values outside.
    func testLevelsMatchTheCheckedConversionEverywhere() {
        var values: [Float] = [0, 1, -0.0, -1e-30, -1, 2, 1e30, .infinity, -.infinity, .nan, .leastNonzeroMagnitude, 1 - .ulpOfOne / 2]
        for k in 0...255 {
            for centre in [(Float(k) + 0.5) / 255, Float(k) / 255] {
                var v = centre
                for _ in 0..<8 { v = v.nextDown }
                for _ in 0..<17 { values.append(v); v = v.nextUp }
            }
        }
        for i in 0...1_000_000 { values.append(Float(i) / 1_000_000) }
        var mismatches = 0
        for v in values where UInt8(level: v) != reference(v) {
            mismatches += 1
            if mismatches < 5 { XCTFail("level(\(v)) = \(UInt8(level: v)), expected \(reference(v))") }
        }
        XCTAssertEqual(mismatches, 0)
    }
}
