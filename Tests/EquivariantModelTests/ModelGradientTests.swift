import EquivariantModel
import NeuralNetwork
import Tensors
import TestSupport
import XCTest

/// The whole training graph (f, h, T^z variants, g and all four losses) against central
/// finite differences of the total loss, on a tiny model.
final class ModelGradientTests: XCTestCase {
    static func batch(seed: UInt64, size: Int = 2, resolution: Int = 16, distant: Bool = false) -> TrainingBatch {
        let frames = randomTensor([size, 3, resolution, resolution], seed: seed, range: 0...1)
        let next = randomTensor([size, 3, resolution, resolution], seed: seed + 1, range: 0...1)
        var motions: [Float] = []
        for i in 0..<size {
            motions += Affine2D(angle: 0.1 * Float(i + 1), scaleX: 1.1, scaleY: 0.95, translationX: 0.05, translationY: -0.1).elements
        }
        return TrainingBatch(frames: frames, nextFrames: next, motions: Tensor(shape: [size, 6], scalars: motions),
                             distantFrames: distant ? randomTensor([size, 3, resolution, resolution], seed: seed + 2, range: 0...1) : nil)
    }

    func checkGradients(_ source: String, renderer: RendererKind = .additive, distant: Bool = false, imageLoss: ImageLoss = .squaredError,
                        transformOutput: TransformOutput = .direct, drawnMotion: Float = 0, rendererBlocks: Int = 0,
                        featureStride: Int = 4, alignmentTeacher: Float = 0, fineLevel: Bool = false,
                        frameSizeBlocks: Int = 0, epsilon: Float = 1e-3) throws {
        let model = try ModelFixtures.tinyModel(source, renderer: renderer, transformOutput: transformOutput, rendererBlocks: rendererBlocks,
                                                featureStride: featureStride, fineLevel: fineLevel, frameSizeBlocks: frameSizeBlocks)
        // A fine level starts at zero; move it off so its gradients reach everything.
        FineLevelTests.wakeFineLevel(model, seed: 98)
        // Weights that make every loss term matter (the coverage priors too, when layered).
        let trainer = try Trainer(model: model, weights: LossWeights(scene: 1, reconstruction: 0.7, character: 0.5, background: 0.3, transform: 0.4,
                                                                     alphaSparsity: 0.2, alphaBinary: 0.3, drawnMotion: drawnMotion,
                                                                     alignmentTeacher: alignmentTeacher), imageLoss: imageLoss)
        let batch = Self.batch(seed: 10, distant: distant)
        // Move the predictor off its zero-weight start so its input gradients are non-trivial.
        for p in model.transform.parameters {
            p.value = p.value + randomTensor(p.value.shape, seed: 99, range: -0.05...0.05)
        }
        _ = try trainer.computeGradients(on: batch)
        let gradients = model.parameters.map(\.gradient)  // before the probes overwrite them
        var generator = SeededGenerator(seed: 5)
        var analytic: [Float] = [], numeric: [Double] = [], labels: [String] = []
        for (parameter, gradient) in zip(model.parameters, gradients) {
            // A few elements of every parameter tensor.
            for _ in 0..<3 {
                let i = Int(generator.next() % UInt64(parameter.value.count))
                analytic.append(gradient.scalars[i])
                labels.append("\(parameter.name)[\(i)]")
                // Leaky ReLUs make the loss piecewise smooth: a step of 1e-2 crosses kinks and is
                // off by a few %, 1e-3 (the default `epsilon`) by ~1 %; float32 rounding still
                // allows 1e-3 here.
                let original = parameter.value.scalars[i]
                parameter.value.scalars[i] = original + epsilon
                let plus = Double(try trainer.computeGradients(on: batch).total)
                parameter.value.scalars[i] = original - epsilon
                let minus = Double(try trainer.computeGradients(on: batch).total)
                parameter.value.scalars[i] = original
                numeric.append((plus - minus) / (2 * Double(epsilon)))
            }
        }
        let result = compare("\(source) \(renderer) model\(distant ? ", distant background" : ""), \(analytic.count) parameter elements", analytic: Tensor(shape: [analytic.count], scalars: analytic), numeric: numeric)
        print(result)
        let worst = analytic.indices.sorted { abs(Double(analytic[$0]) - numeric[$0]) > abs(Double(analytic[$1]) - numeric[$1]) }.prefix(4)
        XCTAssertTrue(result.passes(2e-2), "\(result); worst: " + worst.map { "\(labels[$0]) analytic \(analytic[$0]) numeric \(numeric[$0])" }.joined(separator: ", "))
    }

    func testGivenVariantGradients() throws { try checkGradients("given") }
    func testPixelsVariantGradients() throws { try checkGradients("pixels") }
    func testFeaturesVariantGradients() throws { try checkGradients("features") }
    /// The layered renderer: the composite, the coverage head (through the warp into f and
    /// into the `features` predictor) and the coverage priors.
    func testLayeredRendererGradients() throws { try checkGradients("features", renderer: .layered) }
    func testLayeredGivenGradients() throws { try checkGradients("given", renderer: .layered) }
    func testResidualRendererGradients() throws { try checkGradients("given", renderer: .layered, distant: true, rendererBlocks: 2) }
    /// g's residual blocks at the frame's size, before its last convolution.
    func testFrameSizeBlockGradients() throws {
        try checkGradients("given", renderer: .layered, distant: true, rendererBlocks: 1, frameSizeBlocks: 1)
    }
    func testFineFeatureGradients() throws { try checkGradients("features", renderer: .layered, rendererBlocks: 1, featureStride: 2) }
    /// The fine level is sampled at R, where θ_z crosses 4–16× more pixel cells per unit
    /// than at the coarse level; the bilinear kinks then need a smaller step (at 1e-3 the
    /// predictor's gradients were off by 3 %, at 1e-4 by 0.4 %).
    func testFineLevelGradients() throws {
        try checkGradients("features", renderer: .layered, distant: true, rendererBlocks: 1, featureStride: 2, fineLevel: true, epsilon: 1e-4)
        try checkGradients("given", featureStride: 4, fineLevel: true, epsilon: 1e-4)
    }
    /// The scene loss drawn over h of a distant frame, and the distant invariance term.
    func testDistantBackgroundGradients() throws { try checkGradients("features", distant: true) }
    /// The L1 image loss (its kinks sit where x̂ = x exactly, which random frames never hit).
    func testAbsoluteImageLossGradients() throws { try checkGradients("features", renderer: .layered, distant: true, imageLoss: .absoluteError) }
    func testStructuralImageLossGradients() throws { try checkGradients("features", renderer: .layered, distant: true, imageLoss: .structural) }
    func testLayeredDistantBackgroundGradients() throws { try checkGradients("features", renderer: .layered, distant: true) }
    /// The drawn-motion equivariance through a bounded predictor: into the predictor and,
    /// for `features`, into f of both x and the moved x̃.
    func testDrawnMotionFeaturesGradients() throws {
        try checkGradients("features", renderer: .layered, distant: true, transformOutput: .bounded, drawnMotion: 3)
    }
    /// The pose output: heatmaps, soft-argmax moments and the θ built from them, into f.
    func testPoseOutputGradients() throws {
        try checkGradients("features", renderer: .layered, distant: true, transformOutput: .pose, drawnMotion: 3)
    }
    func testDrawnMotionPixelsGradients() throws { try checkGradients("pixels", transformOutput: .bounded, drawnMotion: 3) }
    func testAlignmentTeacherGradients() throws {
        try checkGradients("features", transformOutput: .pose, alignmentTeacher: 5)
        try checkGradients("pixels", transformOutput: .bounded, alignmentTeacher: 5)
    }
}
