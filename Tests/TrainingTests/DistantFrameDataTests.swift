import EquivariantModel
import Foundation
import SyntheticScenes
import Tensors
import TestSupport
import Training
import XCTest

/// Training data with a distant frame x'' per pair (`--scene-background distant`).
final class DistantFrameDataTests: XCTestCase {
    /// A grey clip whose frame i has luma 16 + 8·i, as YUV4MPEG2 (decoded by FFmpeg).
    func writeNumberedClip(frames: Int, to url: URL) throws {
        var data = Data("YUV4MPEG2 W8 H8 F25:1 Ip A1:1 C444\n".utf8)
        for i in 0..<frames {
            data += Data("FRAME\n".utf8)
            data += Data(repeating: UInt8(16 + 8 * i), count: 64) + Data(repeating: 128, count: 128)
        }
        try data.write(to: url)
    }

    func testVideoPairsGetAFrameOfTheSameClipFarFromBoth() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("eqr-distant-\(UUID().uuidString).y4m")
        defer { try? FileManager.default.removeItem(at: url) }
        try writeNumberedClip(frames: 24, to: url)
        let data = try VideoTrainingData(paths: [url.path], resolution: 8, offset: 2, seed: 3, distantFrames: true)
        XCTAssertTrue(data.summary.contains("distant frames"))
        let plain = try VideoTrainingData(paths: [url.path], resolution: 8, offset: 2, seed: 3)
        XCTAssertNil(try plain.batch(step: 0, size: 4).distantFrames)
        // Every frame's mean grey level, to tell which frame a sample shows.
        func level(_ t: Tensor, _ n: Int) -> Float {
            let plane = 3 * 64
            return t.scalars[(n * plane)..<((n + 1) * plane)].reduce(0, +) / Float(plane)
        }
        // Luma steps of 8 are about 0.036 apart in RGB: frame indices from levels.
        let step: Float = 8 * 255 / 219 / 255
        for s in 0..<5 {
            let batch = try data.batch(step: s, size: 8)
            let distant = try XCTUnwrap(batch.distantFrames)
            XCTAssertEqual(distant.shape, batch.frames.shape)
            for n in 0..<8 {
                let a = level(batch.frames, n), b = level(batch.nextFrames, n), c = level(distant, n)
                // 24 frames: at least a quarter of the clip (6 frames) from both.
                XCTAssertGreaterThanOrEqual(abs(c - a) / step, 5.5, "step \(s) sample \(n)")
                XCTAssertGreaterThanOrEqual(abs(c - b) / step, 5.5, "step \(s) sample \(n)")
            }
            XCTAssertEqual(try data.batch(step: s, size: 8).distantFrames, distant, "deterministic")
        }
    }

    /// With a largest gap, pairs come at every gap in between (and in both directions of time).
    func testVideoPairsAtSeveralGaps() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("eqr-gaps-\(UUID().uuidString).y4m")
        defer { try? FileManager.default.removeItem(at: url) }
        try writeNumberedClip(frames: 24, to: url)
        let data = try VideoTrainingData(paths: [url.path], resolution: 8, offset: 2, maximumOffset: 5, seed: 3)
        XCTAssertTrue(data.summary.contains("gap 2–5"), data.summary)
        let step: Float = 8 * 255 / 219 / 255
        var gaps: Set<Int> = []
        for s in 0..<6 {
            let batch = try data.batch(step: s, size: 8)
            for n in 0..<8 {
                let plane = 3 * 64
                let a = batch.frames.scalars[(n * plane)..<((n + 1) * plane)].reduce(0, +) / Float(plane)
                let b = batch.nextFrames.scalars[(n * plane)..<((n + 1) * plane)].reduce(0, +) / Float(plane)
                gaps.insert(Int((abs(b - a) / step).rounded()))
            }
        }
        XCTAssertEqual(gaps, [2, 3, 4, 5])
        XCTAssertThrowsError(try VideoTrainingData(paths: [url.path], resolution: 8, offset: 3, maximumOffset: 2, seed: 3))
        XCTAssertThrowsError(try VideoTrainingData(paths: [url.path], resolution: 8, offset: 1, maximumOffset: 30, seed: 3)) {
            XCTAssertTrue("\($0)".contains("too few for pairs 30 apart"), "\($0)")
        }
    }

    func testSyntheticDataCarriesDistantFramesAndTrains() throws {
        let generator = try SceneGenerator(SceneGenerator.Configuration(resolution: 32, trainedBackgroundCount: 4, characterCount: 4))
        let data = SyntheticTrainingData(generator: generator, seed: 5, distantFrames: true)
        let batch = try data.batch(step: 0, size: 4)
        let same = try SyntheticTrainingData(generator: generator, seed: 5).batch(step: 0, size: 4)
        XCTAssertEqual(batch.frames, same.frames)
        XCTAssertNotNil(batch.distantFrames)
        // The scene loss differs (drawn over h(x'')), the reconstruction does not.
        let model = try ModelFixtures.smallModel("features", seed: 2)
        let trainer = try Trainer(model: model)
        let withDistant = try trainer.computeGradients(on: batch)
        let withSame = try trainer.computeGradients(on: same)
        XCTAssertEqual(withDistant.reconstruction, withSame.reconstruction)
        XCTAssertNotEqual(withDistant.scene, withSame.scene)
        XCTAssertGreaterThan(withDistant.background, withSame.background, "the distant pair adds to the invariance loss")
        XCTAssertTrue(withDistant.total.isFinite)
    }

    /// A data-parallel shard of a synthetic batch is drawn alone and equals those pairs of
    /// the whole batch, distant (and empty distant) frames and motions included; a video
    /// batch's shard is cut from the whole batch.
    func testAShardIsThosePairsOfTheWholeBatch() throws {
        let world = SceneWorld(resolution: 16, worldSeed: 0, trainedBackgrounds: 4, characters: 4, backgroundImages: nil)
        let data = SyntheticTrainingData(generator: try world.makeGenerator(), seed: 7, distantFrames: true, emptyDistantFraction: 0.5)
        let whole = try data.batch(step: 3, size: 8)
        for range in [0..<4, 4..<8, 2..<3] {
            let shard = try data.batch(step: 3, size: 8, samples: range)
            XCTAssertEqual(shard.frames.scalars, whole.frames.batches(range).scalars, "\(range)")
            XCTAssertEqual(shard.nextFrames.scalars, whole.nextFrames.batches(range).scalars)
            XCTAssertEqual(shard.motions?.scalars, whole.motions?.batches(range).scalars)
            XCTAssertEqual(shard.distantFrames?.scalars, whole.distantFrames?.batches(range).scalars)
        }
        XCTAssertNotEqual(try data.batch(step: 3, size: 8, samples: 0..<4).frames.scalars, try data.batch(step: 3, size: 8, samples: 4..<8).frames.scalars)

        let url = FileManager.default.temporaryDirectory.appendingPathComponent("eqr-shard-\(UUID().uuidString).y4m")
        defer { try? FileManager.default.removeItem(at: url) }
        try writeNumberedClip(frames: 24, to: url)
        let video = try VideoTrainingData(paths: [url.path], resolution: 8, offset: 2, seed: 3, distantFrames: true)
        XCTAssertEqual(try video.batch(step: 1, size: 6, samples: 3..<6).frames.scalars, try video.batch(step: 1, size: 6).frames.batches(3..<6).scalars)
    }
}
