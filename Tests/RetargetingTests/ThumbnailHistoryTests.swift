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
}
