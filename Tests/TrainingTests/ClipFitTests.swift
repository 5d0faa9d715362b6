import EquivariantModel
import Foundation
import NeuralNetwork
import Tensors
import TestSupport
import Training
import XCTest

/// `ClipFit` (behind `eqr fit` and `-fit`) and the ways a training run ends early.
final class ClipFitTests: XCTestCase {
    var directory: URL!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("eqr-fit-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: directory) }

    /// A 32×32 YUV4MPEG2 clip: a bright 8×8 square walking over a striped background.
    func writeWalkingSquareClip(frames: Int = 24) throws -> URL {
        let url = directory.appendingPathComponent("walk.y4m")
        var data = Data("YUV4MPEG2 W32 H32 F25:1 Ip A1:1 C444\n".utf8)
        for i in 0..<frames {
            var luma = [UInt8](repeating: 0, count: 32 * 32)
            for y in 0..<32 { for x in 0..<32 { luma[y * 32 + x] = UInt8(60 + 40 * ((x / 4 + y / 8) % 2)) } }
            let left = 2 + i, top = 8 + (i % 6)
            for y in top..<(top + 8) { for x in left..<min(left + 8, 32) { luma[y * 32 + x] = 230 } }
            data += Data("FRAME\n".utf8) + Data(luma) + Data(repeating: 128, count: 2 * 32 * 32)
        }
        try data.write(to: url)
        return url
    }

    func fitOptions(_ clip: URL, name: String, steps: Int) -> ClipFit.Options {
        var options = ClipFit.Options(clips: [clip.path], output: directory.appendingPathComponent(name))
        options.steps = steps
        options.resolution = 16
        options.batchSize = 2
        options.checkpointEvery = 2
        options.logEvery = 1
        return options
    }

    /// A fit writes a layered, pose-output, label-free model that names its clip, and a resumed
    /// fit ends bit for bit where an uninterrupted one does.
    func testFitWritesAModelAndResumesBitForBit() throws {
        let clip = try writeWalkingSquareClip()
        var logged: [Int] = []
        let straight = try ClipFit(options: fitOptions(clip, name: "straight.safetensors", steps: 6)).run { entry, _ in logged.append(entry.report.step) }
        XCTAssertEqual(straight.step, 6)
        XCTAssertEqual(straight.ending, .completed)
        XCTAssertEqual(logged, Array(1...6))
        let saved = try Checkpoint.load(contentsOf: directory.appendingPathComponent("straight.safetensors"))
        XCTAssertEqual(saved.model.configuration.variant, "features")
        XCTAssertEqual(saved.model.configuration.renderer, .layered)
        XCTAssertEqual(saved.model.configuration.transformOutput, .pose)
        XCTAssertEqual(saved.metadata[CheckpointMetadata.drawnMotionRegion], "frame")
        XCTAssertEqual(saved.metadata[CheckpointMetadata.fitClips], "walk.y4m")
        XCTAssertEqual(saved.metadata[CheckpointMetadata.step], "6")

        _ = try ClipFit(options: fitOptions(clip, name: "parts.safetensors", steps: 4)).run()
        var rest = fitOptions(clip, name: "parts.safetensors", steps: 6)
        rest.resume = true
        let resumed = try ClipFit(options: rest).run()
        XCTAssertEqual(resumed.step, 6)
        for (a, b) in zip(straight.model.parameters, resumed.model.parameters) { XCTAssertEqual(a.value, b.value, a.name) }
    }

    /// A `pixels` fit aligns each pair itself (no predictor, no drawn motion), and its model
    /// finds the square's walk from the frames: mostly rightwards, about 2 px a frame at 32 px.
    func testPixelsFitAlignsThePairsItself() throws {
        let clip = try writeWalkingSquareClip()
        var options = fitOptions(clip, name: "pixels.safetensors", steps: 2)
        options.variant = "pixels"
        options.resolution = 32
        options.gap = 1
        options.maximumGap = 1
        let outcome = try ClipFit(options: options).run()
        let saved = try Checkpoint.load(contentsOf: directory.appendingPathComponent("pixels.safetensors"))
        XCTAssertEqual(saved.model.configuration.transformOutput, .aligned)
        XCTAssertTrue(outcome.model.transform.parameters.isEmpty)
        // Pairs of neighbouring frames (either direction of time), read as the fit reads them.
        let pairs = try VideoTrainingData(paths: [clip.path], resolution: 32, seed: 5).batch(step: 0, size: 4)
        let theta = try outcome.model.estimateTheta(from: pairs.frames, to: pairs.nextFrames)
        for s in 0..<4 {
            // Content moving right or left by 1 px (2/32 in normalised units).
            XCTAssertEqual(abs(theta.scalars[s * 6 + 2]), 2 / 32, accuracy: 0.03, "\(theta.scalars)")
        }
    }

    /// From a trained layered model, f, h, g and the coverage head are copied, the predictor
    /// starts at the identity and the rate drops to 2e-4 (kept when the fit is resumed).
    func testFitFromATrainedModel() throws {
        let clip = try writeWalkingSquareClip()
        let source = try ModelFixtures.tinyModel("given", seed: 4, renderer: .layered)
        let sourceURL = directory.appendingPathComponent("source.safetensors")
        try Checkpoint.save(source, to: sourceURL)
        var options = fitOptions(clip, name: "tuned.safetensors", steps: 1)
        options.initFrom = sourceURL
        let outcome = try ClipFit(options: options).run()
        let saved = try Checkpoint.load(contentsOf: options.output)
        XCTAssertEqual(saved.metadata[CheckpointMetadata.learningRate], "0.0002")
        XCTAssertTrue(saved.metadata[CheckpointMetadata.initFrom]?.hasPrefix("source.safetensors (given") ?? false, "\(saved.metadata)")
        XCTAssertEqual(outcome.model.configuration.featureChannels, source.configuration.featureChannels)
        var resumed = fitOptions(clip, name: "tuned.safetensors", steps: 2)
        resumed.resume = true
        _ = try ClipFit(options: resumed).run()
        XCTAssertEqual(try Checkpoint.load(contentsOf: options.output).metadata[CheckpointMetadata.learningRate], "0.0002")
        // An additive model has no coverage head to start from.
        try Checkpoint.save(try ModelFixtures.tinyModel("given"), to: sourceURL)
        XCTAssertThrowsError(try ClipFit(options: options).run()) { XCTAssertTrue("\($0)".contains("additive"), "\($0)") }
    }

    /// A stop request (Ctrl-C in `eqr fit`) ends the run after the step in progress, and the
    /// checkpoint holds that step.
    func testStopRequestCheckpointsTheLastStep() throws {
        let clip = try writeWalkingSquareClip()
        var asked = 0
        var options = fitOptions(clip, name: "stopped.safetensors", steps: 100)
        options.checkpointEvery = 50
        options.shouldStop = { asked += 1; return asked >= 3 }
        let outcome = try ClipFit(options: options).run()
        XCTAssertEqual(outcome.ending, .stopped)
        XCTAssertEqual(outcome.step, 3)
        let saved = try Checkpoint.load(contentsOf: options.output)
        XCTAssertEqual(saved.metadata[CheckpointMetadata.step], "3")
        XCTAssertNotNil(saved.optimizerState)
    }

    /// A time budget without a step count ends the run when the time is spent.
    func testTimeBudgetEndsTheFit() throws {
        let clip = try writeWalkingSquareClip()
        var options = fitOptions(clip, name: "timed.safetensors", steps: 1)
        options.steps = nil
        options.timeBudget = .milliseconds(300)
        let clock = ContinuousClock(), start = clock.now
        let outcome = try ClipFit(options: options).run()
        XCTAssertEqual(outcome.ending, .outOfTime)
        XCTAssertGreaterThanOrEqual(outcome.step, 1)
        XCTAssertLessThan((clock.now - start).inSeconds, 60)
        XCTAssertEqual(try Checkpoint.load(contentsOf: options.output).metadata[CheckpointMetadata.step], String(outcome.step))
    }

    /// Options a fit cannot run with are refused before any work.
    func testBadOptionsAreRefused() throws {
        let clip = try writeWalkingSquareClip(frames: 4)
        var options = fitOptions(clip, name: "x.safetensors", steps: 1)
        options.steps = nil
        XCTAssertThrowsError(try ClipFit(options: options)) { XCTAssertTrue("\($0)".contains("time budget or a step count"), "\($0)") }
        options = fitOptions(clip, name: "x.safetensors", steps: 1)
        options.variant = "given"
        XCTAssertThrowsError(try ClipFit(options: options)) { XCTAssertTrue("\($0)".contains("features, pixels") || "\($0)".contains("pixels, features"), "\($0)") }
        options = fitOptions(clip, name: "x.safetensors", steps: 1)
        options.clips = []
        XCTAssertThrowsError(try ClipFit(options: options))
        options = fitOptions(clip, name: "missing.safetensors", steps: 1)
        options.resume = true
        XCTAssertThrowsError(try ClipFit(options: options).run())
    }
}
