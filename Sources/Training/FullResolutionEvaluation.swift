import EquivariantModel
import Retargeting
import SyntheticScenes
import Tensors
import VideoIO

/// The effects as users get them: clips rendered at 4× the model's size (the scene generator
/// draws the same world at any size, so the ground truth stays exact), composed by the frame
/// pipeline's default full-resolution composite with the clip's consensus plate (as `eqr -i`
/// does), next to the model's own rendering scaled up and the classical pipeline (temporal
/// median plate + difference mask) over the same frames.
///
/// Per clip: the swap onto another background of the world; the next-frame prediction
/// (frame t moved by the motion t → t+1: the true one for a `given` model, otherwise the
/// model's estimate from the frame pair refined by ``MotionRefinement`` for the composite); a re-render under a new affine; the matte's
/// agreement with the true character mask (IoU); and how much a swapped still background
/// flickers.
public enum FullResolutionEvaluation {
    /// Output size relative to the model's.
    public static let scale = 4
    /// Frames per clip unless the caller says otherwise.
    public static let framesPerClip = 24

    /// Row descriptions, in table order.
    public static let rows: [(key: String, meaning: String)] = [
        ("swap_composite", "full-resolution composite, clip plate (the default)"),
        ("swap_model", "the model's rendering, scaled up"),
        ("baseline_classical_swap", "median plate + diff mask, same clip"),
        ("baseline_paste_background", "new background alone"),
        ("prediction_composite", "next frame: the layer moved over the plate (true θ, or the estimate aligned)"),
        ("prediction_model", "next frame: the model's rendering, scaled up"),
        ("baseline_copy", "copy x as x'"),
        ("rerender_composite", "char under new affine, composite"),
        ("rerender_model", "char under new affine, model's rendering"),
        ("baseline_classical_rerender", "median-plate mask moved by the affine"),
    ]

    /// Keys of ``Result/matteIoU``, in table order.
    public static let matteRows: [(key: String, meaning: String)] = [
        ("composite", "the composite's matte (α ≥ 0.5)"),
        ("model_coverage", "the model's coverage α, scaled up (layered models)"),
        ("classical", "median plate + diff mask"),
    ]

    /// What one run measures, by setting (`trained`, `unseen`).
    public struct Result: Codable, Equatable, Sendable {
        /// PSNR/SSIM per row (``rows``).
        public var scores: [String: [String: Evaluation.Score]]
        /// Intersection over union of a matte with the true character mask (``matteRows``).
        public var matteIoU: [String: [String: Double]]
        /// A swap onto a still background: mean frame-to-frame change away from the
        /// character (`composite`, `model`, `ground_truth`; 0 = perfectly still).
        public var backgroundChange: [String: [String: Double]]
    }

    /// Scores `clips` clips of `frames` frames per setting (`trained`: backgrounds seen in
    /// training, pairings held out; `unseen`: backgrounds never seen).
    /// - Throws: ``ModelError/invalidInput(_:)`` when the world's resolution is not the
    ///   model's or the counts are out of range.
    public static func run(model: EquivariantModel, world: SceneWorld, clips: Int = 3, frames: Int = framesPerClip, seed: UInt64 = 0) throws -> Result {
        let side = model.configuration.resolution
        guard world.resolution == side else { throw ModelError.invalidInput("scene resolution \(world.resolution) differs from the model's \(side)") }
        guard clips >= 1, frames >= 2 else { throw ModelError.invalidInput("needs at least 1 clip of 2 frames, got \(clips) of \(frames)") }
        var full = world
        full.resolution = scale * side
        let generator = try full.makeGenerator()
        var result = Result(scores: [:], matteIoU: [:], backgroundChange: [:])
        for (setting, split) in [("trained", SceneSplit.heldOutPairings), ("unseen", SceneSplit.unseenBackgrounds)] {
            let pairings = generator.pairings(for: split).isEmpty ? generator.pairings(for: .trainedBackgrounds) : generator.pairings(for: split)
            let backgrounds = Array(Set(pairings.map(\.background))).sorted()
            var tally = Tally()
            var g = SeededGenerator(seed: Evaluation.seedBase &+ seed &+ 0xF011)
            for clipIndex in 0..<clips {
                let pairing = pairings[Int(g.next() % UInt64(pairings.count))]
                let others = backgrounds.filter { $0 != pairing.background }
                let newBackground = others.isEmpty ? pairing.background : others[Int(g.next() % UInt64(others.count))]
                let clipSeed = g.next() ^ UInt64(clipIndex)
                let clip = generator.clip(frames: frames, character: pairing.character, background: pairing.background, seed: clipSeed)
                var m = SeededGenerator(seed: clipSeed ^ 0xAFF1)
                let newMotion = Affine2D(angle: m.nextFloat(in: -0.45...0.45), scaleX: m.nextFloat(in: 0.85...1.2), scaleY: m.nextFloat(in: 0.85...1.2),
                                         translationX: m.nextFloat(in: -0.15...0.15), translationY: m.nextFloat(in: -0.15...0.15))
                try score(clip: clip, newBackground: newBackground, newMotion: newMotion, model: model, generator: generator, into: &tally)
            }
            result.scores[setting] = tally.scores()
            result.matteIoU[setting] = tally.intersectionOverUnion()
            result.backgroundChange[setting] = tally.backgroundChange()
        }
        return result
    }

    /// Outputs, truths and masks gathered over a setting's clips.
    struct Tally {
        var pairs: [String: (outputs: [Tensor], truths: [Tensor])] = [:]
        var overlap: [String: (intersection: Int, union: Int)] = [:]
        var change: [String: (sum: Double, count: Int)] = [:]

        mutating func record(_ row: String, _ output: Tensor, _ truth: Tensor) {
            pairs[row, default: ([], [])].outputs.append(output)
            pairs[row, default: ([], [])].truths.append(truth)
        }

        mutating func compare(_ key: String, matte: [Float], truth: [Float]) {
            var i = 0, u = 0
            for (a, b) in zip(matte, truth) {
                let x = a >= 0.5, y = b >= 0.5
                if x && y { i += 1 }
                if x || y { u += 1 }
            }
            overlap[key, default: (0, 0)].intersection += i
            overlap[key, default: (0, 0)].union += u
        }

        /// Adds |now − before| over the pixels where `still` is true.
        mutating func accumulateChange(_ key: String, _ now: Tensor, _ before: Tensor, still: [Bool]) {
            let plane = still.count
            var sum = 0.0, count = 0
            for c in 0..<3 { for p in 0..<plane where still[p] {
                sum += abs(Double(now.scalars[c * plane + p]) - Double(before.scalars[c * plane + p]))
                count += 1
            } }
            change[key, default: (0, 0)].sum += sum
            change[key, default: (0, 0)].count += count
        }

        /// PSNR over every pair; SSIM (its Gaussian windows dominate the cost at this size)
        /// over every fourth.
        func scores() -> [String: Evaluation.Score] {
            func stacked(_ images: [Tensor], every step: Int = 1) -> Tensor {
                .concatenatingBatches(Swift.stride(from: 0, to: images.count, by: step).map { images[$0].reshaped(to: [1] + images[$0].shape) })
            }
            return pairs.mapValues { p in
                Evaluation.Score(psnr: ImageMetrics.psnr(stacked(p.outputs), stacked(p.truths)),
                                 ssim: ImageMetrics.ssim(stacked(p.outputs, every: 4), stacked(p.truths, every: 4)))
            }
        }

        func intersectionOverUnion() -> [String: Double] {
            overlap.mapValues { $0.union == 0 ? 1 : Double($0.intersection) / Double($0.union) }
        }

        func backgroundChange() -> [String: Double] {
            change.mapValues { $0.count == 0 ? 0 : $0.sum / Double($0.count) }
        }
    }

    /// Every row of one clip.
    static func score(clip: SceneClip, newBackground: Int, newMotion: Affine2D, model: EquivariantModel,
                      generator: SceneGenerator, into tally: inout Tally) throws {
        let frames = clip.frames.count, character = clip.characterIndex
        let still = generator.plate(background: newBackground)
        let inputs = try clip.frames.enumerated().map { try Frame(modelTensor: $0.element, index: $0.offset) }
        let width = inputs[0].width, height = inputs[0].height, plane = width * height
        let consensus = try BackgroundPlate.consensus(of: inputs)
        let composite = try FramePipeline(model: model)
        composite.setBackground(try Frame(modelTensor: still))
        composite.setPlate(consensus)
        let rendered = try FramePipeline(model: model)
        rendered.renderMode = .model
        rendered.setBackground(try Frame(modelTensor: still))
        // The model's own rendering of one frame with a motion, scaled up (over h(x)).
        let modelView = try FramePipeline(model: model)
        func modelRender(_ input: Frame, _ motion: FramePipeline.CharacterMotion) throws -> Tensor {
            var output = try Frame(width: width, height: height)
            try input.withPixelBuffer { source in try output.withMutablePixelBuffer { try modelView.render(source, motion: motion, into: $0) } }
            return output.modelTensor.reshaped(to: still.shape)
        }
        let (classicalPlate, classicalMasks) = classicalMattes(clip.frames)
        let plate = consensus.image
        func tensor(_ image: PlanarImage) -> Tensor { Tensor(shape: still.shape, scalars: image.values) }
        let trueAlphas = clip.poses.map { Array(generator.characterLayer(character: character, pose: $0).scalars[(3 * plane)...]) }
        let sampling = newMotion.inverse!

        var previous: (composite: Tensor, model: Tensor, truth: Tensor)?
        for (t, input) in inputs.enumerated() {
            let frame = PlanarImage(input)
            let alpha = try input.withPixelBuffer { try composite.matte($0, width: width, height: height) }
            tally.compare("composite", matte: alpha.values, truth: trueAlphas[t])
            tally.compare("classical", matte: classicalMasks[t], truth: trueAlphas[t])
            if let coverage = try input.withPixelBuffer({ try composite.coverage($0) }) {
                tally.compare("model_coverage", matte: coverage.resized(width: width, height: height).values, truth: trueAlphas[t])
            }
            // Swap onto the still background.
            let truth = generator.composite(character: character, pose: clip.poses[t], plate: still)
            let swapped = try composite.process(input).modelTensor.reshaped(to: still.shape)
            let modelSwap = try rendered.process(input).modelTensor.reshaped(to: still.shape)
            tally.record("swap_composite", swapped, truth)
            tally.record("swap_model", modelSwap, truth)
            tally.record("baseline_classical_swap", classicalSwap(clip.frames[t], mask: classicalMasks[t], over: still), truth)
            tally.record("baseline_paste_background", still, truth)
            if let previous {
                let away = (0..<plane).map { trueAlphas[t][$0] <= 0.02 && trueAlphas[t - 1][$0] <= 0.02 }
                tally.accumulateChange("composite", swapped, previous.composite, still: away)
                tally.accumulateChange("model", modelSwap, previous.model, still: away)
                tally.accumulateChange("ground_truth", truth, previous.truth, still: away)
            }
            previous = (swapped, modelSwap, truth)
            // Next-frame prediction: frame t moved by the motion t → t+1.
            if t + 1 < frames {
                let motion = AffineWalk.motion(from: clip.poses[t], to: clip.poses[t + 1])
                let next = clip.frames[t + 1]
                let theta: Affine2D, modelMotion: FramePipeline.CharacterMotion
                if model.variant.needsKnownMotion {
                    theta = motion.inverse!
                    modelMotion = .motion(motion)
                } else {
                    let estimate = try model.estimateTheta(from: try composite.modelFrame(input), to: try composite.modelFrame(inputs[t + 1]))
                    // As `eqr -extract-motion` does: the model's estimate, aligned on the frames.
                    theta = MotionRefinement.refine(Affine2D(estimate.scalars), from: frame, matte: alpha, to: PlanarImage(inputs[t + 1]))
                    modelMotion = .theta(estimate)
                }
                tally.record("prediction_composite", tensor(LayerCompositor.moved(frame: frame, alpha: alpha, plate: plate, background: plate, sampling: theta)), next)
                tally.record("prediction_model", try modelRender(input, modelMotion), next)
                tally.record("baseline_copy", clip.frames[t], next)
            }
            // Re-render under a new affine on top of the character's pose, over its own plate.
            let rerenderTruth = generator.composite(character: character, pose: newMotion.composed(after: clip.poses[t]), plate: clip.plate)
            tally.record("rerender_composite", tensor(LayerCompositor.moved(frame: frame, alpha: alpha, plate: plate, background: plate, sampling: sampling)), rerenderTruth)
            tally.record("rerender_model", try modelRender(input, .motion(newMotion)), rerenderTruth)
            let classicalPlateImage = PlanarImage(width: width, height: height, values: classicalPlate)
            tally.record("baseline_classical_rerender", tensor(LayerCompositor.moved(
                frame: PlanarImage(width: width, height: height, values: clip.frames[t].scalars),
                alpha: PlanarMask(width: width, height: height, values: classicalMasks[t]),
                plate: classicalPlateImage, background: classicalPlateImage, sampling: sampling)), rerenderTruth)
        }
    }

    /// The classical pipeline's pieces for one clip (`[3, H, W]` frames): the temporal median
    /// plate and, per frame, a difference mask (largest channel difference above 0.08).
    static func classicalMattes(_ frames: [Tensor]) -> (plate: [Float], masks: [[Float]]) {
        let count = frames.count, n = frames[0].count, plane = n / 3
        var plate = [Float](repeating: 0, count: n)
        var column = [Float](repeating: 0, count: count)
        for i in 0..<n {
            for t in 0..<count { column[t] = frames[t].scalars[i] }
            column.sort()
            plate[i] = count % 2 == 1 ? column[count / 2] : (column[count / 2 - 1] + column[count / 2]) / 2
        }
        let masks = frames.map { frame in
            let x = frame.scalars
            return (0..<plane).map { i -> Float in
                max(abs(x[i] - plate[i]), abs(x[plane + i] - plate[plane + i]), abs(x[2 * plane + i] - plate[2 * plane + i])) > 0.08 ? 1 : 0
            }
        }
        return (plate, masks)
    }

    /// The classical swap of one frame: the frame pasted inside its mask over `background`.
    static func classicalSwap(_ frame: Tensor, mask: [Float], over background: Tensor) -> Tensor {
        let plane = mask.count
        var out = background.scalars
        for i in 0..<plane where mask[i] > 0 { for c in 0..<3 { out[c * plane + i] = frame.scalars[c * plane + i] } }
        return Tensor(shape: background.shape, scalars: out)
    }
}
