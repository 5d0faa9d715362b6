import Retargeting
import SyntheticScenes
import Tensors
import VideoIO
import XCTest

/// Cuts between shots, and none within a shot while the character moves.
final class ShotDetectorTests: XCTestCase {
    func frames(background: Int, seed: UInt64, count: Int) throws -> [PlanarImage] {
        let generator = try SceneGenerator(.init(resolution: 64))
        return generator.clip(frames: count, character: 1, background: background, seed: seed).frames.map { PlanarImage(width: 64, height: 64, values: $0.scalars) }
    }

    func testACutBetweenTwoShotsAndNoneWithinThem() throws {
        var detector = ShotDetector()
        let first = try frames(background: 0, seed: 1, count: 20), second = try frames(background: 2, seed: 5, count: 15)
        let starts = (first + second).map { detector.offer($0) }
        XCTAssertEqual(detector.shotStarts, [0, 20])
        XCTAssertEqual(starts.enumerated().filter(\.element).map(\.offset), [0, 20])
        XCTAssertEqual(detector.frameCount, 35)
        // Decoded frames (8-bit) give the same cuts as their float images.
        var decoded = ShotDetector()
        for image in first + second { decoded.offer(try Frame(modelTensor: Tensor(shape: [3, 64, 64], scalars: image.values))) }
        XCTAssertEqual(decoded.shotStarts, [0, 20])
        // The same character walking over one background for long: one shot.
        var still = ShotDetector()
        for frame in try frames(background: 3, seed: 9, count: 60) { still.offer(frame) }
        XCTAssertEqual(still.shotStarts, [0])
    }
}
