import EquivariantRenderer
import SyntheticScenes
import Tensors
import XCTest

final class RetargeterTests: XCTestCase {
    let generator = try! SceneGenerator(SceneGenerator.Configuration(resolution: 32))

    func frame(_ t: Int) -> Tensor {
        let clip = generator.clip(frames: 4, character: 1, background: 2, seed: 5)
        return clip.frames[t].reshaped(to: [1, 3, 32, 32])
    }

    func testSwapWithAStillBackgroundEqualsTheModelsSwap() throws {
        let model = try TrainingTests.smallModel(.features)
        let background = generator.plate(background: 3).reshaped(to: [1, 3, 32, 32])
        let swap = try Retargeter(model: model, effect: .swap)
        XCTAssertThrowsError(try swap.render(frame(0), index: 0)) { XCTAssertTrue("\($0)".contains("needs a background"), "\($0)") }
        try swap.setStillBackground(background)
        for t in 0..<3 {
            XCTAssertEqual(try swap.render(frame(t), index: t), try model.swap(characterFrames: frame(t), backgroundFrames: background))
        }
        // A moving background is encoded per frame.
        XCTAssertEqual(try swap.render(frame(1), index: 1, background: frame(2)), try model.swap(characterFrames: frame(1), backgroundFrames: frame(2)))
    }

    func testTransformInterpolatesKeyframesAndMatchesRerender() throws {
        let a = Affine2D(angle: 0.2), b = Affine2D(angle: 0.6, translationX: 0.2)
        let middle = RetargetEffect.motion(at: 5, keyframes: [0: a, 10: b])
        for k in 0..<6 { XCTAssertEqual(middle.elements[k], (a.elements[k] + b.elements[k]) / 2, accuracy: 1e-6) }
        XCTAssertEqual(RetargetEffect.motion(at: -3, keyframes: [0: a, 10: b]), a)
        XCTAssertEqual(RetargetEffect.motion(at: 99, keyframes: [0: a, 10: b]), b)

        let model = try TrainingTests.smallModel(.given)
        let transform = try Retargeter(model: model, effect: .transform(keyframes: [0: b]))
        try transform.setStillBackground(frame(0))
        XCTAssertEqual(try transform.render(frame(0), index: 7), try model.rerender(frame(0), motions: [b]))
        XCTAssertThrowsError(try Retargeter(model: model, effect: .transform(keyframes: [3: Affine2D([0, 0, 0, 0, 0, 0])])))
    }

    func testReconstructAndTransfer() throws {
        let model = try TrainingTests.smallModel(.pixels)
        XCTAssertEqual(try Retargeter(model: model, effect: .reconstruct).render(frame(1), index: 1), try model.reconstruct(frame(1)))
        let template = MotionTemplate(variant: "pixels", resolution: 32, frameRate: nil, steps: [Affine2D(translationX: 0.1).elements])
        let transfer = try Retargeter(model: model, effect: .transfer(template))
        try transfer.setStillBackground(frame(0))
        let expected = model.render(model.swapFeatures(
            character: try model.encodeCharacter(frame(2)), background: try model.encodeBackground(frame(0)),
            theta: Tensor(shape: [1, 6], scalars: Affine2D(translationX: 0.1).elements)))
        XCTAssertEqual(try transfer.render(frame(2), index: 4), expected)
        let wrongSize = MotionTemplate(variant: "pixels", resolution: 64, frameRate: nil, steps: [Affine2D.identity.elements])
        XCTAssertThrowsError(try Retargeter(model: model, effect: .transfer(wrongSize))) { XCTAssertTrue("\($0)".contains("64×64"), "\($0)") }
    }
}
