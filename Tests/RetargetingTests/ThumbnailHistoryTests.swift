import Retargeting
import XCTest

/// A stream's detection plate: the median of thumbnails kept evenly spaced over the frames
/// seen so far.
final class ThumbnailHistoryTests: XCTestCase {
    /// A 2×1 grid whose values are all `level` / 255, except the first red value, `first`.
    func thumbnail(_ level: Int, first: Int? = nil) -> PlanarImage {
        var values = [Float](repeating: Float(level) / 255, count: 6)
        if let first { values[0] = Float(first) / 255 }
        return PlanarImage(width: 2, height: 1, values: values)
    }

    func testMedianOfOddAndEvenCounts() {
        var history = ThumbnailHistory(width: 2, height: 1)
        XCTAssertNil(history.median())
        for (level, first) in [(10, 200), (30, 0), (20, 100)] { history.add(thumbnail(level, first: first)) }
        var median = history.median()!
        XCTAssertEqual(median.values[1], 20 / 255, accuracy: 1e-6)
        XCTAssertEqual(median.values[0], 100 / 255, accuracy: 1e-6, "each value's own median")
        history.add(thumbnail(40, first: 50))
        median = history.median()!
        XCTAssertEqual(median.values[1], (20 / 255 + 30 / 255) / 2, accuracy: 1e-6, "an even count takes the mean of the middle two")
        XCTAssertEqual(median.values[0], (50 / 255 + 100 / 255) / 2, accuracy: 1e-6)
    }

    /// Past its capacity the history keeps every other thumbnail and then every other frame:
    /// what it keeps still spans the whole stream, so the median follows the whole stream
    /// rather than its start or its end.
    func testAFullHistoryStillSpansTheStream() {
        var history = ThumbnailHistory(width: 2, height: 1)
        let frames = 5 * ThumbnailHistory.capacity
        for t in 0..<frames { history.add(thumbnail(t % 256)) }
        XCTAssertEqual(history.frames, frames)
        XCTAssertLessThanOrEqual(history.count, ThumbnailHistory.capacity)
        XCTAssertGreaterThanOrEqual(history.count, ThumbnailHistory.capacity / 2)
        // Frames 0..<240 carry levels 0...239, so the median is the middle frame's level.
        let middle = history.median()!.values[1] * 255
        XCTAssertEqual(middle, Float(frames - 1) / 2, accuracy: 8, "the kept frames are evenly spaced (every 8th here)")
    }
    /// On a grid whose values span several of the median's blocks (37×23×3 values), with an
    /// odd and an even number of thumbnails: every planar value is the median of that value
    /// over the kept thumbnails (the mean of the middle two for an even count).
    func testTheMedianOfEveryValueOverManyThumbnails() throws {
        let width = 37, height = 23, values = 3 * width * height
        var state: UInt64 = 9
        for count in [11, 48] {
            var history = ThumbnailHistory(width: width, height: height)
            var kept: [[Int]] = []
            for _ in 0..<count {
                let levels = (0..<values).map { _ -> Int in
                    state = state &* 6364136223846793005 &+ 1442695040888963407
                    return Int(state >> 56)
                }
                kept.append(levels)
                history.add(PlanarImage(width: width, height: height, values: levels.map { Float($0) / 255 }))
            }
            let median = try XCTUnwrap(history.median())
            for i in 0..<values {
                let sorted = kept.map { $0[i] }.sorted()
                let low = Float(sorted[(count - 1) / 2]) / 255, high = Float(sorted[count / 2]) / 255
                let expected = count % 2 == 1 ? high : (low + high) / 2
                XCTAssertEqual(median.values[i], expected, accuracy: 1e-6, "value \(i) of \(count) thumbnails")
            }
        }
    }
}
