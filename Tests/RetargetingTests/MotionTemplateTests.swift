import EquivariantModel
import Foundation
import Retargeting
import SyntheticScenes
import Tensors
import TestSupport
import XCTest

final class MotionTemplateTests: XCTestCase {
    func testExtractWriteReadAndAccumulate() throws {
        let model = try ModelFixtures.smallModel("features")
        let generator = try SceneGenerator(SceneGenerator.Configuration(resolution: 32))
        let clip = generator.clip(frames: 20, character: 1, background: 2, seed: 3)
        let frames = Tensor.concatenatingBatches(clip.frames.map { $0.reshaped(to: [1] + $0.shape) })
        let template = try MotionTemplate.extract(model: model, frames: frames, frameRate: 25)
        XCTAssertEqual(template.steps.count, 19)
        XCTAssertEqual(template.variant, "features")

        let url = FileManager.default.temporaryDirectory.appendingPathComponent("template-\(UUID().uuidString).json")
        defer { try? FileManager.default.removeItem(at: url) }
        try template.write(to: url)
        XCTAssertEqual(try MotionTemplate.read(contentsOf: url), template)
        let replay = try template.replay(model: model, onto: frames.batches(0..<1))
        XCTAssertEqual(replay.count, 19)
        XCTAssertEqual(replay[0].shape, [1, 3, 32, 32])
        // At initialisation every estimated step is the identity, so the replay is the reconstruction.
        let reconstruction = try model.reconstruct(frames.batches(0..<1))
        XCTAssertLessThan(zip(replay[18].scalars, reconstruction.scalars).map { abs($0 - $1) }.max()!, 1e-4)

        // Accumulation: moving by M1 then M2 samples with θ1·θ2.
        let m1 = Affine2D(angle: 0.2, translationX: 0.1), m2 = Affine2D(scaleX: 1.2, scaleY: 0.9, translationY: -0.05)
        let twoSteps = MotionTemplate(variant: "features", resolution: 32, frameRate: nil, steps: [m1.inverse!.elements, m2.inverse!.elements])
        let total = twoSteps.accumulatedThetas()[1]
        let expected = m2.composed(after: m1).inverse!
        for (a, b) in zip(total.elements, expected.elements) { XCTAssertEqual(a, b, accuracy: 1e-5) }
    }

    func testBadTemplatesAreRefused() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("template-\(UUID().uuidString).json")
        defer { try? FileManager.default.removeItem(at: url) }
        try Data("{\"variant\":\"features\",\"resolution\":32,\"steps\":[[1,0,0,0,1]]}".utf8).write(to: url)
        XCTAssertThrowsError(try MotionTemplate.read(contentsOf: url)) { XCTAssertTrue("\($0)".contains("6 finite numbers"), "\($0)") }
        try Data("[1,2".utf8).write(to: url)
        XCTAssertThrowsError(try MotionTemplate.read(contentsOf: url)) { XCTAssertTrue("\($0)".contains("not a motion template"), "\($0)") }
        XCTAssertThrowsError(try MotionTemplate.extract(model: try ModelFixtures.smallModel("given"), frames: Tensor(shape: [3, 3, 32, 32])))
    }
}
