import EquivariantModel
import Foundation
import NeuralNetwork
import SyntheticScenes
import Tensors
import TestSupport
import Training
import XCTest

final class TrainingTests: XCTestCase {
    static func data(seed: UInt64 = 7) throws -> SyntheticTrainingData {
        SyntheticTrainingData(generator: try SceneGenerator(SceneGenerator.Configuration(resolution: 32, trainedBackgroundCount: 4, characterCount: 4)), seed: seed)
    }

    /// A short run lowers the scene loss by an asserted factor and the equivariance error,
    /// for every variant.
    func testShortTrainingLowersTheLosses() throws {
        for source in TransformVariants.names {
            let trainer = try Trainer(model: try ModelFixtures.smallModel(source), learningRate: 3e-3)
            let data = try Self.data()
            var reports: [StepReport] = []
            for step in 0..<150 { reports.append(try trainer.train(on: try data.batch(step: step, size: 8))) }
            func mean(_ r: ArraySlice<StepReport>, _ key: KeyPath<StepReport, Float>) -> Float { r.map { $0[keyPath: key] }.reduce(0, +) / Float(r.count) }
            let first = reports.prefix(10), last = reports.suffix(10)
            let sceneStart = mean(first, \.scene), sceneEnd = mean(last, \.scene)
            let equivStart = mean(first, \.character), equivEnd = mean(last, \.character)
            print("\(source): L_s \(sceneStart) → \(sceneEnd), L_c \(equivStart) → \(equivEnd), |f| \(last.last!.characterFeatureMagnitude)")
            XCTAssertLessThan(sceneEnd, sceneStart / 2.5, "\(source): scene loss \(sceneStart) → \(sceneEnd)")
            XCTAssertLessThan(equivEnd, equivStart, "\(source): equivariance loss \(equivStart) → \(equivEnd)")
            XCTAssertGreaterThan(last.last!.characterFeatureMagnitude, 0.01, "\(source): f collapsed")
        }
    }

    /// Same seed and threads: the same loss curve.
    func testTrainingIsDeterministic() throws {
        func curve() throws -> [StepReport] {
            let trainer = try Trainer(model: try ModelFixtures.smallModel("features", seed: 9))
            let data = try Self.data(seed: 3)
            return try (0..<4).map { try trainer.train(on: try data.batch(step: $0, size: 4)) }
        }
        XCTAssertEqual(try curve(), try curve())
    }

    func testCosineScheduleShape() throws {
        let s = LearningRateSchedule.cosine(totalSteps: 100, warmupSteps: 10, floor: 0.1)
        XCTAssertEqual(s.factor(atStep: 1), 0.1, accuracy: 1e-6, "warm-up starts low")
        XCTAssertEqual(s.factor(atStep: 10), 1, accuracy: 1e-6, "and reaches the base rate")
        XCTAssertEqual(s.factor(atStep: 55), 0.55, accuracy: 1e-6, "half way down the cosine: (1 + floor) / 2")
        XCTAssertEqual(s.factor(atStep: 100), 0.1, accuracy: 1e-6, "the floor at the last step")
        XCTAssertEqual(s.factor(atStep: 500), 0.1, accuracy: 1e-6, "held after")
        for step in 11..<100 { XCTAssertLessThanOrEqual(s.factor(atStep: step + 1), s.factor(atStep: step)) }
        XCTAssertEqual(LearningRateSchedule.constant.factor(atStep: 77), 1)
        XCTAssertThrowsError(try LearningRateSchedule.cosine(totalSteps: 10, warmupSteps: 10).validate())
        XCTAssertThrowsError(try Trainer(model: try ModelFixtures.smallModel("given"), schedule: .cosine(totalSteps: 5, warmupSteps: 0, floor: 2)))
    }

    /// The trainer sets every group's rate from its schedule before each update.
    func testTrainerFollowsItsSchedule() throws {
        let trainer = try Trainer(model: try ModelFixtures.smallModel("features"), learningRate: 1e-3, transformLearningRateScale: 0.5,
                                  schedule: .cosine(totalSteps: 4, warmupSteps: 0, floor: 0))
        let data = try Self.data()
        for step in 0..<4 {
            try trainer.train(on: try data.batch(step: step, size: 2))
            let factor = LearningRateSchedule.cosine(totalSteps: 4, warmupSteps: 0, floor: 0).factor(atStep: step + 1)
            XCTAssertEqual(trainer.optimizer.groups[0].learningRate, 1e-3 * factor, accuracy: 1e-9, "step \(step + 1)")
            XCTAssertEqual(trainer.optimizer.groups[1].learningRate, 0.5e-3 * factor, accuracy: 1e-9, "step \(step + 1)")
        }
        XCTAssertEqual(trainer.optimizer.groups[0].learningRate, 0, accuracy: 1e-12, "cosine to 0 at the last step")
    }

    /// The L1 image loss reports mean |x̂ − x|, not the squared error.
    func testAbsoluteImageLoss() throws {
        let batch = try Self.data().batch(step: 0, size: 2)
        let model = try ModelFixtures.smallModel("given")
        let squared = try Trainer(model: model).computeGradients(on: batch)
        let absolute = try Trainer(model: model, imageLoss: .absoluteError).computeGradients(on: batch)
        let reconstruction = try model.reconstruct(batch.frames)
        XCTAssertEqual(Double(absolute.reconstruction), (reconstruction - batch.frames).meanAbsolute(), accuracy: 1e-5)
        XCTAssertEqual(Double(squared.reconstruction), (reconstruction - batch.frames).scalars.map { Double($0 * $0) }.reduce(0, +) / Double(batch.frames.count), accuracy: 1e-5)
    }

    func testGivenVariantRefusesDataWithoutMotion() throws {
        let trainer = try Trainer(model: try ModelFixtures.smallModel("given"))
        let batch = try Self.data().batch(step: 0, size: 2)
        XCTAssertThrowsError(try trainer.train(on: TrainingBatch(frames: batch.frames, nextFrames: batch.nextFrames))) {
            XCTAssertTrue("\($0)".contains("needs the true motion"), "\($0)")
        }
    }

    func testBadInputsAreClearErrors() throws {
        let model = try ModelFixtures.smallModel("features")
        XCTAssertThrowsError(try model.reconstruct(Tensor(shape: [1, 3, 16, 16]))) {
            XCTAssertEqual("\($0)", "invalid input: frames must be [N, 3, 32, 32] for this 32×32 model, got [1, 3, 16, 16]")
        }
        var frames = Tensor(shape: [1, 3, 32, 32])
        frames.scalars[5] = .nan
        XCTAssertThrowsError(try model.reconstruct(frames)) { XCTAssertTrue("\($0)".contains("NaN")) }
        XCTAssertThrowsError(try model.rerender(Tensor(shape: [1, 3, 32, 32]), motions: [Affine2D([0, 0, 0, 0, 0, 0])])) {
            XCTAssertTrue("\($0)".contains("not invertible"), "\($0)")
        }
        let clean = Tensor(shape: [1, 3, 32, 32])
        XCTAssertThrowsError(try ModelFixtures.smallModel("given").estimateTheta(from: clean, to: clean)) {
            XCTAssertTrue("\($0)".contains("cannot estimate"), "\($0)")
        }
        XCTAssertThrowsError(try EquivariantModel(configuration: ModelConfiguration(resolution: 30, variant: "given"), seed: 0)) {
            XCTAssertTrue("\($0)".contains("multiple of 8"), "\($0)")
        }
        XCTAssertThrowsError(try Trainer(model: model, weights: LossWeights(scene: .nan)))
    }

    /// Predictors start at the identity (pixels, features) or at T^z = T^x (given).
    func testTransformPredictorsStartAtTheExactCorrespondence() throws {
        let frames = try Self.data().batch(step: 0, size: 2)
        for source in ["pixels", "features"] {
            let theta = try ModelFixtures.smallModel(source).estimateTheta(from: frames.frames, to: frames.nextFrames)
            XCTAssertEqual(theta.scalars, SpatialTransformer.identity + SpatialTransformer.identity, "\(source)")
        }
        let motion = Affine2D(angle: 0.3, scaleX: 1.2, translationX: 0.1)
        let theta = try ModelFixtures.smallModel("given").featureTheta(forMotions: [motion])
        for (a, b) in zip(theta.scalars, motion.inverse!.elements) { XCTAssertEqual(a, b, accuracy: 1e-6) }
    }
}
