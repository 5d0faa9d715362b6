import Retargeting
import XCTest

final class MiddleLevelsTests: XCTestCase {
    /// Against a full sort, on runs of every length up to 60, with few and many distinct
    /// values (ties are where a partition goes wrong), for bytes and for 32-bit levels.
    func testTheMiddleRanksMatchASortedCopy() {
        var generator = SystemRandomNumberGenerator()
        for count in 1...60 {
            for distinct in [1, 2, 5, 256] {
                for _ in 0..<20 {
                    let values = (0..<count).map { _ in UInt8(Int.random(in: 0..<distinct, using: &generator)) }
                    let sorted = values.sorted()
                    var bytes = values
                    let found = bytes.withUnsafeMutableBufferPointer { MiddleLevels.of($0.baseAddress!, count: count) }
                    XCTAssertEqual(found.low, sorted[(count - 1) / 2], "\(values)")
                    XCTAssertEqual(found.high, sorted[count / 2], "\(values)")
                    XCTAssertEqual(bytes.sorted(), sorted, "the values are only reordered")
                    var levels = values.map { Int32($0) }
                    let wide = levels.withUnsafeMutableBufferPointer { MiddleLevels.of($0.baseAddress!, count: count) }
                    XCTAssertEqual(wide.low, Int32(sorted[(count - 1) / 2]))
                    XCTAssertEqual(wide.high, Int32(sorted[count / 2]))
                }
            }
        }
    }
}
