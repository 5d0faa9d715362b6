import EquivariantModel
import Retargeting
import SyntheticScenes
import Tensors
import TestSupport
import VideoIO
import XCTest

/// The pipeline's default output (``RenderMode/composite``) on synthetic clips with exact
/// ground truth, at 4× the model's size: given the clean plate, the swap and a transform are
/// close to the true composite and far better than the model's upscaled rendering; a plate
/// learned while streaming gets better frame by frame. (The consensus plate of a clip is
/// tested in `BackgroundPlateTests` and, end to end, through `eqr` in the host tests.)
final class CompositePipelineTests: XCTestCase {
    /// Scenes at 128 pixels, 4× the 32-pixel test model.
    let generator = try! SceneGenerator(SceneGenerator.Configuration(resolution: 128))

    func clip() -> SceneClip { generator.clip(frames: 16, character: 1, background: 2, seed: 11) }

    func psnr(_ a: Frame, _ b: Frame) throws -> Double { try Frame.psnr(a, b) }

    /// The clip's clean plate, as if learned perfectly.
    func cleanPlate(_ clip: SceneClip) -> BackgroundPlate {
        BackgroundPlate(image: PlanarImage(width: 128, height: 128, values: clip.plate.scalars),
                        confidence: [Float](repeating: 1, count: 128 * 128), noise: 0)
    }

    func testSwapWithTheClipsPlateIsCloseToTheTruth() throws {
        let clip = clip()
        let frames = try clip.frames.enumerated().map { try Frame(modelTensor: $0.element, index: $0.offset) }
        let newBackground = try Frame(modelTensor: generator.plate(background: 5))
        let pipeline = try FramePipeline(model: try ModelFixtures.smallModel("features", renderer: .layered))
        XCTAssertEqual(pipeline.renderMode, .composite, "the default")
        pipeline.setBackground(newBackground)
        pipeline.setPlate(cleanPlate(clip))
        let modelPipeline = try FramePipeline(model: pipeline.model)
        modelPipeline.renderMode = .model
        modelPipeline.setBackground(newBackground)
        var composite = 0.0, model = 0.0
        for (t, frame) in frames.enumerated() {
            let truth = try Frame(modelTensor: generator.composite(character: clip.characterIndex, pose: clip.poses[t], background: 5))
            composite += try psnr(try pipeline.process(frame), truth) / Double(frames.count)
            model += try psnr(try modelPipeline.process(frame), truth) / Double(frames.count)
        }
        XCTAssertGreaterThan(composite, 30, "swap at full resolution")
        XCTAssertGreaterThan(composite, model + 10, "composite \(composite) dB vs the model's rendering \(model) dB")
        // The matte agrees with the true coverage.
        let alpha = try frames[3].withPixelBuffer { try pipeline.matte($0, width: 128, height: 128) }
        let truthAlpha = generator.characterLayer(character: clip.characterIndex, pose: clip.poses[3]).scalars[(3 * 128 * 128)...]
        var intersection = 0, union = 0
        for (a, b) in zip(alpha.values, truthAlpha) {
            if a >= 0.5 && b >= 0.5 { intersection += 1 }
            if a >= 0.5 || b >= 0.5 { union += 1 }
        }
        XCTAssertGreaterThan(Double(intersection) / Double(max(union, 1)), 0.9, "matte IoU")
    }

    /// A coverage computed ahead (by another pipeline over the same model, as the host's
    /// lookahead does) gives the pixels the pipeline computes itself, and is read exactly
    /// where ``FramePipeline/readsCoverage(over:width:height:)`` says: over a plate that is
    /// not trusted everywhere, not over a trusted one, nor in the model render mode.
    func testACoverageComputedAheadIsReadWhereThePipelineSaysItIs() throws {
        let clip = clip()
        let frame = try Frame(modelTensor: clip.frames[3], index: 3)
        let pipeline = try FramePipeline(model: try ModelFixtures.smallModel("features", renderer: .layered))
        pipeline.setBackground(try Frame(modelTensor: generator.plate(background: 5)))
        let ahead = try frame.withPixelBuffer { try FramePipeline(model: pipeline.model).coverage($0)! }
        let empty = PlanarMask(width: ahead.width, height: ahead.height, values: [Float](repeating: 0, count: ahead.values.count))
        func render(_ coverage: PlanarMask?) throws -> [UInt8] {
            var output = try Frame(width: 128, height: 128)
            try frame.withPixelBuffer { input in
                try output.withMutablePixelBuffer { try pipeline.process(input, coverage: coverage, into: $0) }
            }
            return output.rgb8
        }
        // Half of the plate not trusted: the matte reads the model's coverage there.
        var halfTrusted = cleanPlate(clip)
        for y in 0..<128 { for x in 0..<64 { halfTrusted.confidence[y * 128 + x] = 0 } }
        pipeline.setPlate(halfTrusted)
        XCTAssertTrue(pipeline.readsCoverage(over: halfTrusted, width: 128, height: 128))
        let own = try render(nil)
        XCTAssertEqual(try render(ahead), own, "the coverage computed ahead")
        XCTAssertNotEqual(try render(empty), own, "another coverage is read")
        // A plate trusted everywhere: no coverage is read, whatever is passed.
        let trusted = cleanPlate(clip)
        pipeline.setPlate(trusted)
        XCTAssertFalse(pipeline.readsCoverage(over: trusted, width: 128, height: 128))
        XCTAssertEqual(try render(empty), try render(nil))
        XCTAssertFalse(pipeline.readsCoverage(over: halfTrusted, width: 256, height: 256), "another size")
        pipeline.renderMode = .model
        XCTAssertFalse(pipeline.readsCoverage(over: halfTrusted, width: 128, height: 128), "the model render mode")
        // A coverage of another size is refused.
        let wrong = PlanarMask(width: 8, height: 8, values: [Float](repeating: 0, count: 64))
        XCTAssertThrowsError(try render(wrong)) { XCTAssertTrue("\($0)".contains("a coverage computed ahead is 8×8"), "\($0)") }
    }

    func testTransformMovesTheCharactersOwnPixels() throws {
        let clip = clip()
        let frames = try clip.frames.enumerated().map { try Frame(modelTensor: $0.element, index: $0.offset) }
        let motion = Affine2D(angle: 0.3, translationX: 0.1)
        let pipeline = try FramePipeline(model: try ModelFixtures.smallModel("given"), effect: .transform(keyframes: [0: motion]))
        pipeline.setBackground(try Frame(modelTensor: generator.plate(background: 5)))
        pipeline.setPlate(cleanPlate(clip))
        var total = 0.0
        for (t, frame) in frames.enumerated() {
            let moved = motion.composed(after: clip.poses[t])
            let truth = try Frame(modelTensor: generator.composite(character: clip.characterIndex, pose: moved, background: 5))
            total += try psnr(try pipeline.process(frame), truth) / Double(frames.count)
        }
        XCTAssertGreaterThan(total, 25, "transform at full resolution (one bilinear resampling)")
    }

    func testWithoutAGivenPlateTheStreamLearnsOne() throws {
        let clip = clip()
        let frames = try clip.frames.enumerated().map { try Frame(modelTensor: $0.element, index: $0.offset) }
        let pipeline = try FramePipeline(model: try ModelFixtures.smallModel("features"))
        pipeline.setBackground(try Frame(modelTensor: generator.plate(background: 5)))
        var scores: [Double] = []
        for (t, frame) in frames.enumerated() {
            let truth = try Frame(modelTensor: generator.composite(character: clip.characterIndex, pose: clip.poses[t], background: 5))
            scores.append(try psnr(try pipeline.process(frame), truth))
        }
        XCTAssertGreaterThan(scores.last!, scores.first! + 3, "the running plate learns the background: \(scores)")
        XCTAssertGreaterThan(scores.last!, 20)
    }

    /// `frame` with camera grain: each value moved by −2…2 levels (a fixed pseudo-random
    /// sequence per frame, so the test repeats).
    func withGrain(_ frame: Frame, seed: UInt64) throws -> Frame {
        var state = seed &* 6364136223846793005 &+ 1442695040888963407
        let rgb = frame.rgb8.map { value -> UInt8 in
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return UInt8(clamping: Int(value) + Int(state >> 61) % 5 - 2)
        }
        return try Frame(width: frame.width, height: frame.height, rgb8: rgb, index: frame.index)
    }

    /// Streamed camera footage (no plate given): from the first frames on, pixels the
    /// character has not come near show the new background exactly — the plate trusts what
    /// has not changed yet and the moving region is found against the median of the frames
    /// so far — and the character's own pixels are kept once it has moved.
    func testStreamedCameraFootageShowsTheNewBackgroundFromTheStart() throws {
        let clip = clip()
        let frames = try clip.frames.enumerated().map { try withGrain(try Frame(modelTensor: $0.element, index: $0.offset), seed: UInt64($0.offset)) }
        let newBackground = try Frame(modelTensor: generator.plate(background: 5))
        let pipeline = try FramePipeline(model: try ModelFixtures.smallModel("features"))
        pipeline.setBackground(newBackground)
        let spread = CharacterMatte.automaticSpread(height: 128)
        var everNear = [Bool](repeating: false, count: 128 * 128)
        for (t, frame) in frames.enumerated() {
            let truthAlpha = Array(generator.characterLayer(character: clip.characterIndex, pose: clip.poses[t]).scalars[(3 * 128 * 128)...])
            for i in 0..<(128 * 128) where truthAlpha[i] > 0.02 {
                let x = i % 128, y = i / 128
                for v in max(0, y - spread - 1)...min(127, y + spread + 1) { for u in max(0, x - spread - 1)...min(127, x + spread + 1) { everNear[v * 128 + u] = true } }
            }
            let out = try pipeline.process(frame)
            guard [1, 3, 15].contains(t) else { continue }
            var far = 0, leaked = 0
            for i in 0..<(128 * 128) where !everNear[i] {
                far += 1
                if out.pixel(x: i % 128, y: i / 128) != newBackground.pixel(x: i % 128, y: i / 128) { leaked += 1 }
            }
            XCTAssertGreaterThan(far, 128 * 128 / 4, "frame \(t)")
            XCTAssertLessThan(Double(leaked), 0.002 * Double(far), "frame \(t): \(leaked) of \(far) pixels away from the character are not the new background")
            if t == 15 {
                var character = 0, kept = 0
                for i in 0..<(128 * 128) where truthAlpha[i] >= 0.5 {
                    character += 1
                    if out.pixel(x: i % 128, y: i / 128) == frame.pixel(x: i % 128, y: i / 128) { kept += 1 }
                }
                XCTAssertGreaterThan(Double(kept), 0.8 * Double(character), "the character's own pixels are kept (\(kept) of \(character))")
            }
        }
    }

    func testCameraFootageKeepsItsMovingRegionOverAnExactBackground() throws {
        let clip = clip()
        let frames = try clip.frames.enumerated().map { try withGrain(try Frame(modelTensor: $0.element, index: $0.offset), seed: UInt64($0.offset)) }
        XCTAssertTrue(try BackgroundPlate.consensus(of: frames).isCameraFootage)
        // The clean plate: the character covers the clip's centre in almost every frame, where
        // no plate learned from it can be right (the plate itself is `BackgroundPlateTests`').
        var plate = cleanPlate(clip)
        plate.grain = 0.3
        let newBackground = try Frame(modelTensor: generator.plate(background: 5))
        let pipeline = try FramePipeline(model: try ModelFixtures.smallModel("features"))
        pipeline.setBackground(newBackground)
        pipeline.setPlate(plate)
        let spread = CharacterMatte.automaticSpread(height: 128)
        for t in [2, 9] {
            let out = try pipeline.process(frames[t])
            let truthAlpha = generator.characterLayer(character: clip.characterIndex, pose: clip.poses[t]).scalars[(3 * 128 * 128)...]
            let alpha = try frames[t].withPixelBuffer { try pipeline.matte($0, width: 128, height: 128) }
            var character = 0, kept = 0, far = 0, leaked = 0
            for (i, a) in alpha.values.enumerated() {
                XCTAssert(a == 0 || a == 1, "camera footage's matte is opaque or clear, not \(a)")
                let x = i % 128, y = i / 128
                if truthAlpha[truthAlpha.startIndex + i] >= 0.5 {
                    character += 1
                    if a == 1 && out.pixel(x: x, y: y) == frames[t].pixel(x: x, y: y) { kept += 1 }
                }
                // Pixels farther than the spread (and a pixel of resampling) from the character.
                var near = false
                for dy in -(spread + 1)...(spread + 1) {
                    for dx in -(spread + 1)...(spread + 1) {
                        let u = x + dx, v = y + dy
                        if u >= 0, u < 128, v >= 0, v < 128, truthAlpha[truthAlpha.startIndex + v * 128 + u] > 0.02 { near = true }
                    }
                }
                if !near {
                    far += 1
                    if out.pixel(x: x, y: y) != newBackground.pixel(x: x, y: y) { leaked += 1 }
                }
            }
            XCTAssertGreaterThan(Double(kept), 0.97 * Double(character), "frame \(t): the character's own pixels are kept")
            XCTAssertGreaterThan(far, 128 * 128 / 2)
            XCTAssertLessThan(Double(leaked), 0.002 * Double(far), "frame \(t): away from the character the new background shows exactly, no grain or ghost")
        }
    }
}
