import Foundation
import ProcessSettings
import XCTest
import VideoIO

final class FramePairCacheTests: XCTestCase {
    override func setUp() { ProcessSettings.setFFmpegLogLevel(.error) }

    func testPairsMatchSequentialDecode() throws {
        let dir = try makeTemporaryDirectory(self)
        let path = dir + "/clip.mp4"
        try writeGenerated("testsrc2=size=320x240:rate=25", count: 30, to: path)
        let reference = try readAll(VideoReader(path: path, size: (width: 64, height: 48), scaling: .area))
        for storage in [FramePairCache.Storage.memory, .temporaryFile(directory: dir)] {
            let cache = try FramePairCache(path: path, size: (width: 64, height: 48), storage: storage)
            XCTAssertEqual(cache.count, 30)
            XCTAssertEqual(cache.width, 64)
            XCTAssertEqual(cache.bytesPerFrame, 64 * 48 * 3)
            XCTAssertEqual(cache.pairCount(offset: 3), 27)
            let (a, b) = try cache.pair(at: 5, offset: 3)
            XCTAssertEqual(a.rgb8, reference[5].rgb8)
            XCTAssertEqual(b.rgb8, reference[8].rgb8)
            XCTAssertEqual(b.index, 8)
            XCTAssertEqual(b.timestamp, 8.0 / 25, accuracy: 1e-3)
            var planar = [Float](repeating: 0, count: 3 * 64 * 48)
            try planar.withUnsafeMutableBufferPointer { try cache.writePlanarFloat(at: 29, into: $0) }
            XCTAssertEqual(planar, reference[29].planarFloat())
            XCTAssertThrowsError(try cache.pair(at: 28, offset: 2))
            XCTAssertThrowsError(try cache.frame(at: -1))
        }
        XCTAssertEqual(directoryListing(dir), ["clip.mp4"], "the file store is unlinked at once")
    }

    func testFrameStepAndLimit() throws {
        let dir = try makeTemporaryDirectory(self)
        let path = dir + "/clip.mkv"
        try writeGenerated("testsrc2=size=64x48:rate=20", count: 20, to: path, frameRate: 20)
        let cache = try FramePairCache(path: path, size: (width: 32, height: 24), frameStep: 3, maxFrames: 5)
        XCTAssertEqual(cache.count, 5)
        XCTAssertEqual(cache.timestamps[1], 3.0 / 20, accuracy: 1e-3)
        XCTAssertEqual(cache.frameRate ?? 0, 20.0 / 3, accuracy: 1e-6)
    }
}
