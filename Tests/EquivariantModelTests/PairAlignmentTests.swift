import EquivariantModel
import SyntheticScenes
import Tensors
import XCTest

/// The `aligned` output: the character's motion found by aligning the frame pair itself.
final class PairAlignmentTests: XCTestCase {
    /// The mean |θ − θ_true| over `count` synthetic pairs, and the identity's.
    func errors(split: SceneSplit, count: Int) throws -> (aligned: Double, identity: Double) {
        let generator = try SceneGenerator(SceneGenerator.Configuration(resolution: 64))
        let batch = generator.batch(size: count, split: split, seed: 11)
        // Only the frames go in: the motions are read afterwards, to score.
        let theta = PairAlignment.theta(frames: batch.frames, nextFrames: batch.nextFrames)
        let truth = try Affine2D.samplingMatrices(for: Affine2D.list(from: batch.motions))
        let identity = Tensor(shape: [count, 6], scalars: Array((0..<count).map { _ in Affine2D.identity.elements }.joined()))
        return ((theta - truth).meanAbsolute(), (identity - truth).meanAbsolute())
    }

    /// On held-out synthetic pairs the alignment's error is under a third of "no motion"'s
    /// (the bar for a label-free T^z), on trained and unseen backgrounds.
    func testFindsTheCharactersMotionWithoutLabels() throws {
        for split in [SceneSplit.trainedBackgrounds, .unseenBackgrounds] {
            let e = try errors(split: split, count: 24)
            XCTAssertGreaterThan(e.identity, 0.01, "\(split): the pairs should move")
            XCTAssertLessThan(e.aligned, e.identity / 3, "\(split): aligned \(e.aligned) vs identity \(e.identity)")
        }
    }

    /// A pair that does not differ, and a pair of blank frames, give the identity.
    func testStillPairsGiveTheIdentity() {
        var g = SeededGenerator(seed: 3)
        let still = Tensor(shape: [1, 3, 32, 32], scalars: (0..<(3 * 32 * 32)).map { _ in Float.random(in: 0...1, using: &g) })
        let blank = Tensor(shape: [1, 3, 32, 32], repeating: 0.5)
        let theta = PairAlignment.theta(frames: .concatenatingBatches([still, blank]), nextFrames: .concatenatingBatches([still, blank]))
        XCTAssertEqual(theta.scalars, Affine2D.identity.elements + Affine2D.identity.elements)
    }

    /// The aligned output has no learned layer, belongs to `pixels` only, and a model with it
    /// estimates motion from frames (so `-extract-motion` and `transfer` work).
    func testAlignedOutputIsAParameterFreePixelsVariant() throws {
        let model = try EquivariantModel(configuration: ModelConfiguration(resolution: 32, variant: PixelsTransform.name, transformOutput: .aligned), seed: 1)
        XCTAssertTrue(model.transform.parameters.isEmpty)
        XCTAssertThrowsError(try ModelConfiguration(resolution: 32, variant: FeaturesTransform.name, transformOutput: .aligned).validate()) { error in
            XCTAssertTrue("\(error)".contains("pixels"), "\(error)")
        }
        XCTAssertThrowsError(try ModelConfiguration(resolution: 32, variant: GivenTransform.name, transformOutput: .aligned).validate())
    }
}
