import EquivariantModel
import NeuralNetwork
import SyntheticScenes
import Tensors

/// The hypothesis test: scores a trained model on held-out synthetic scenes, where every
/// rendering has an exact ground truth, next to baselines a user could run without learning.
///
/// Two settings: `trained` — backgrounds seen in training, with unseen poses and
/// character/background pairings held out of training; `unseen` — backgrounds never seen.
/// Samples use seeds disjoint from training's (see `Evaluation.seedBase`).
public enum Evaluation {
    /// PSNR (dB) and SSIM of one row.
    public struct Score: Codable, Equatable, Sendable {
        /// Peak signal-to-noise ratio in dB.
        public var psnr: Double
        /// Structural similarity in [−1, 1].
        public var ssim: Double
    }

    /// The whole result, as `eqr eval --json` prints it.
    public struct Report: Codable, Sendable {
        /// The model's T^z variant.
        public var variant: String
        /// The model's resolution.
        public var resolution: Int
        /// Samples per setting.
        public var samples: Int
        /// Rows for the trained-background setting (held-out pairings and poses).
        public var metrics: [String: Score]
        /// Rows for never-seen backgrounds.
        public var metrics_unseen: [String: Score]
        /// Mean |θ_z − θ_true| of estimated transforms (pixels/features), per setting.
        public var transform_error: [String: Double]
        /// Temporal stability of a swap onto a still background: mean frame-to-frame change
        /// away from the character (0 = perfectly still), model and ground truth.
        public var temporal: [String: Double]
        /// The layered renderer's coverage α of f(x) at the model's size, per setting: its
        /// mean (`trained_mean`, …) and its IoU with the true character mask at α ≥ 0.5
        /// (`trained_iou`, …); nil for an additive model.
        public var coverage: [String: Double]?
        /// Rows at ``FullResolutionEvaluation/scale``× the model's size, by setting
        /// (`trained`, `unseen`) then row (``FullResolutionEvaluation/rows``); nil when not run.
        public var full_resolution: [String: [String: Score]]?
        /// At that size: IoU of each matte with the true character mask, by setting then
        /// ``FullResolutionEvaluation/matteRows``.
        public var full_resolution_matte_iou: [String: [String: Double]]?
        /// At that size: a swap onto a still background, mean frame-to-frame change away
        /// from the character (`composite`, `model`, `ground_truth`), by setting.
        public var full_resolution_background_change: [String: [String: Double]]?

        /// Adds a ``FullResolutionEvaluation`` result.
        public mutating func add(_ full: FullResolutionEvaluation.Result) {
            full_resolution = full.scores
            full_resolution_matte_iou = full.matteIoU
            full_resolution_background_change = full.backgroundChange
        }
    }

    /// Base of the evaluation sample seeds (training seeds come from the run's own seed).
    public static let seedBase: UInt64 = 0xE7A1_0000_0000

    /// Row descriptions, in table order.
    public static let rows: [(key: String, meaning: String)] = [
        ("prediction", "next frame x̂' vs x'"),
        ("baseline_copy", "copy x as x'"),
        ("swap", "char A + bg of frame B vs truth"),
        ("swap_clean_plate", "char A + h(clean plate B)"),
        ("baseline_paste_background", "clean plate B alone"),
        ("baseline_classical_swap", "median plate + diff mask"),
        ("rerender", "char under new affine"),
        ("baseline_classical_rerender", "mask warped by true affine"),
        ("transfer", "motion of A on char B"),
        ("baseline_transfer_copy", "char B left unmoved"),
        ("background_leak", "g(h(x)) vs clean plate"),
        ("character_leak", "f over two bgs, same h"),
    ]

    /// Runs every row in both settings with `samples` samples each.
    public static func run(model: EquivariantModel, generator: SceneGenerator, samples: Int = 32, seed: UInt64 = 0) throws -> Report {
        guard samples >= 2 else { throw ModelError.invalidInput("evaluation needs at least 2 samples, got \(samples)") }
        guard generator.configuration.resolution == model.configuration.resolution else {
            throw ModelError.invalidInput("scene resolution \(generator.configuration.resolution) differs from the model's \(model.configuration.resolution)")
        }
        var transformError: [String: Double] = [:], coverage: [String: Double] = [:]
        let trained = try score(model, generator, split: .heldOutPairings, samples: samples, seed: seedBase &+ seed, transformError: &transformError, coverage: &coverage)
        let unseen = try score(model, generator, split: .unseenBackgrounds, samples: samples, seed: seedBase &+ seed &+ 1, transformError: &transformError, coverage: &coverage)
        return Report(
            variant: model.configuration.variant, resolution: model.configuration.resolution, samples: samples,
            metrics: trained, metrics_unseen: unseen, transform_error: transformError,
            temporal: try temporalStability(model, generator, seed: seedBase &+ seed &+ 2),
            coverage: model.hasCoverage ? coverage : nil, full_resolution: nil)
    }

    /// The scene pieces one setting needs.
    struct Scenes {
        var a: SceneBatch, b: SceneBatch
        var newMotions: [Affine2D]
    }

    static func scenes(_ generator: SceneGenerator, split: SceneSplit, samples: Int, seed: UInt64) -> Scenes {
        let splitForEval = generator.pairings(for: split).isEmpty ? SceneSplit.trainedBackgrounds : split
        let a = generator.batch(size: samples, split: splitForEval, seed: seed)
        let b = generator.batch(size: samples, split: splitForEval, seed: seed &+ 0x5EED)
        var g = SeededGenerator(seed: seed ^ 0xAFF1)
        let newMotions = (0..<samples).map { _ in
            Affine2D(angle: g.nextFloat(in: -0.45...0.45), scaleX: g.nextFloat(in: 0.85...1.2), scaleY: g.nextFloat(in: 0.85...1.2),
                            translationX: g.nextFloat(in: -0.15...0.15), translationY: g.nextFloat(in: -0.15...0.15))
        }
        return Scenes(a: a, b: b, newMotions: newMotions)
    }

    static func score(
        _ model: EquivariantModel, _ generator: SceneGenerator, split: SceneSplit, samples: Int, seed: UInt64,
        transformError: inout [String: Double], coverage: inout [String: Double]
    ) throws -> [String: Score] {
        let s = scenes(generator, split: split, samples: samples, seed: seed)
        let a = s.a, b = s.b
        let posesA = Affine2D.list(from: a.poses), posesB = Affine2D.list(from: b.poses)
        let motionsA = Affine2D.list(from: a.motions)
        func truth(_ characters: [Int], _ poses: [Affine2D], _ plates: Tensor) -> Tensor {
            .concatenatingBatches((0..<samples).map { i in
                generator.composite(character: characters[i], pose: poses[i], plate: plates.batches(i..<(i + 1)).reshaped(to: Array(plates.shape.dropFirst())))
                    .reshaped(to: [1] + Array(plates.shape.dropFirst()))
            })
        }
        var rows: [String: Score] = [:]
        func record(_ key: String, _ output: Tensor, _ target: Tensor) {
            rows[key] = Score(psnr: ImageMetrics.psnr(output, target), ssim: ImageMetrics.ssim(output, target))
        }

        let setting = split == .unseenBackgrounds ? "unseen" : "trained"
        // The layered renderer's coverage of each frame's own character features.
        if model.hasCoverage {
            let alpha = try inBatches(samples) { r in model.coverageMap(try model.encodeCharacter(a.frames.batches(r)))! }
            let plane = alpha.shape[2] * alpha.shape[3]
            var intersection = 0, union = 0
            for i in 0..<samples { for p in 0..<plane {
                let x = alpha.scalars[i * plane + p] >= 0.5, y = a.characterLayers.scalars[(i * 4 + 3) * plane + p] >= 0.5
                if x && y { intersection += 1 }
                if x || y { union += 1 }
            } }
            coverage[setting + "_mean"] = alpha.scalars.reduce(0.0) { $0 + Double($1) } / Double(max(alpha.count, 1))
            coverage[setting + "_iou"] = union == 0 ? 1 : Double(intersection) / Double(union)
        }

        // Next-frame prediction.
        let thetaTrue = try EquivariantModel.samplingMatrices(for: motionsA)
        let thetaPrediction: Tensor
        if model.variant.needsKnownMotion {
            thetaPrediction = try model.featureTheta(forMotions: motionsA)
        } else {
            thetaPrediction = try inBatches(samples) { r in try model.estimateTheta(from: a.frames.batches(r), to: a.nextFrames.batches(r)) }
            transformError[setting] = (thetaPrediction - thetaTrue).meanAbsolute()
            // The same error for a predictor that always answers "no motion".
            let identity = Tensor(shape: thetaTrue.shape, scalars: (0..<thetaTrue.count).map { SpatialTransformer.identity[$0 % 6] })
            transformError[setting + "_identity_baseline"] = (identity - thetaTrue).meanAbsolute()
        }
        record("prediction", try inBatches(samples) { r in try model.render(a.frames.batches(r), theta: thetaPrediction.batches(r)) }, a.nextFrames)
        record("baseline_copy", a.frames, a.nextFrames)

        // Swap: character of A over the background of B.
        let swapTruth = truth(a.characterIndices, posesA, b.plates)
        record("swap", try inBatches(samples) { r in try model.swap(characterFrames: a.frames.batches(r), backgroundFrames: b.frames.batches(r)) }, swapTruth)
        record("swap_clean_plate", try inBatches(samples) { r in try model.swap(characterFrames: a.frames.batches(r), backgroundFrames: b.plates.batches(r)) }, swapTruth)
        record("baseline_paste_background", b.plates, swapTruth)

        // Classical pipeline: temporal-median plate + difference mask.
        let plateA = try medianPlates(generator, a, seed: seed), plateB = try medianPlates(generator, b, seed: seed &+ 1)
        let maskA = differenceMask(a.frames, plateA)
        record("baseline_classical_swap", maskA.blend(a.frames, over: plateB), swapTruth)

        // Re-render under a new affine applied on top of the character's pose.
        let rerenderTruth = truth(a.characterIndices, zip(s.newMotions, posesA).map { $0.composed(after: $1) }, a.plates)
        let rerenderTheta = try model.featureTheta(forMotions: s.newMotions)
        record("rerender", try inBatches(samples) { r in try model.render(a.frames.batches(r), theta: rerenderTheta.batches(r)) }, rerenderTruth)
        let cutouts = Compositor.move(.concatenatingChannels([a.frames, maskA.alpha]), by: s.newMotions)
        record("baseline_classical_rerender", Compositor.composite(layers: cutouts, over: plateA), rerenderTruth)

        // Motion transfer: A's motion applied to B's character.
        if !model.variant.needsKnownMotion {
            let transferTruth = truth(b.characterIndices, zip(motionsA, posesB).map { $0.composed(after: $1) }, b.plates)
            record("transfer", try inBatches(samples) { r in
                try model.transfer(from: a.frames.batches(r), to: a.nextFrames.batches(r), onto: b.frames.batches(r))
            }, transferTruth)
            record("baseline_transfer_copy", b.frames, transferTruth)
        }

        // Leaks: the background render against the clean plate; f of the same character and
        // pose over two backgrounds, rendered with the same background features.
        record("background_leak", try inBatches(samples) { r in try model.renderBackgroundOnly(a.frames.batches(r)) }, a.plates)
        let sameCharacterOtherBackground = truth(a.characterIndices, posesA, b.plates)
        let hA = try inBatches(samples) { r in try model.encodeBackground(a.plates.batches(r)) }
        let fOwn = try inBatches(samples) { r in try model.encodeCharacter(a.frames.batches(r)) }
        let fOther = try inBatches(samples) { r in try model.encodeCharacter(sameCharacterOtherBackground.batches(r)) }
        record("character_leak", try inBatches(samples) { r in model.compose(character: fOther.batches(r), background: hA.batches(r)) },
               try inBatches(samples) { r in model.compose(character: fOwn.batches(r), background: hA.batches(r)) })
        return rows
    }

    /// Runs `body` on consecutive ranges of at most 16 samples and joins the results.
    static func inBatches(_ count: Int, _ body: (Range<Int>) throws -> Tensor) throws -> Tensor {
        try .concatenatingBatches(batchRanges(count).map(body))
    }

    /// ``inBatches(_:_:)`` for feature maps.
    static func inBatches(_ count: Int, _ body: (Range<Int>) throws -> FeatureMaps) throws -> FeatureMaps {
        try .concatenatingBatches(batchRanges(count).map(body))
    }

    /// `0..<count` in pieces of at most 16 samples.
    static func batchRanges(_ count: Int) -> [Range<Int>] {
        Swift.stride(from: 0, to: count, by: 16).map { $0..<min($0 + 16, count) }
    }

    /// Per-sample temporal median of a 15-frame clip of the same character and background:
    /// the classical clean-plate estimate.
    static func medianPlates(_ generator: SceneGenerator, _ batch: SceneBatch, seed: UInt64) throws -> Tensor {
        .concatenatingBatches((0..<batch.count).map { i in
            let clip = generator.clip(frames: 15, character: batch.characterIndices[i], background: batch.backgroundIndices[i], seed: seed &+ UInt64(i))
            var plate = Tensor(shape: [1] + clip.frames[0].shape)
            var column = [Float](repeating: 0, count: clip.frames.count)
            for k in 0..<plate.count {
                for (f, frame) in clip.frames.enumerated() { column[f] = frame.scalars[k] }
                column.sort()
                plate.scalars[k] = column[column.count / 2]
            }
            return plate
        })
    }

    /// A soft-free mask: 1 where any channel differs from the plate estimate by more than 0.1.
    struct Mask {
        var alpha: Tensor  // [N, 1, H, W]
        func blend(_ frames: Tensor, over plates: Tensor) -> Tensor {
            Compositor.composite(layers: .concatenatingChannels([frames, alpha]), over: plates)
        }
    }

    static func differenceMask(_ frames: Tensor, _ plates: Tensor) -> Mask {
        let n = frames.shape[0], plane = frames.shape[2] * frames.shape[3]
        var alpha = Tensor(shape: [n, 1, frames.shape[2], frames.shape[3]])
        for s in 0..<n { for p in 0..<plane {
            var d: Float = 0
            for c in 0..<3 { d = max(d, abs(frames.scalars[(s * 3 + c) * plane + p] - plates.scalars[(s * 3 + c) * plane + p])) }
            alpha.scalars[s * plane + p] = d > 0.1 ? 1 : 0
        } }
        return Mask(alpha: alpha)
    }

    /// A 24-frame clip swapped onto a still clean plate (its background features encoded
    /// once): mean |frame − previous frame| where neither frame's true alpha exceeds 0.02.
    static func temporalStability(_ model: EquivariantModel, _ generator: SceneGenerator, seed: UInt64) throws -> [String: Double] {
        let pair = generator.pairings(for: .trainedBackgrounds)[0]
        let other = generator.backgroundIndices(for: .trainedBackgrounds).first { $0 != pair.background } ?? pair.background
        let clip = generator.clip(frames: 24, character: pair.character, background: pair.background, seed: seed)
        let still = generator.plate(background: other)
        let stillBatch = still.reshaped(to: [1] + still.shape)
        let background = try model.encodeBackground(stillBatch)
        var outputs: [Tensor] = [], truths: [Tensor] = [], alphas: [Tensor] = []
        let side = generator.configuration.resolution
        for (frame, pose) in zip(clip.frames, clip.poses) {
            let f = try model.encodeCharacter(frame.reshaped(to: [1] + frame.shape))
            outputs.append(model.compose(character: f, background: background))
            truths.append(generator.composite(character: pair.character, pose: pose, plate: still).reshaped(to: [1, 3, side, side]))
            let layer = generator.characterLayer(character: pair.character, pose: pose)
            alphas.append(Tensor(shape: [1, 1, side, side], scalars: Array(layer.scalars[(3 * side * side)...])))
        }
        // Away from the character: both this and the previous frame have alpha ≤ 0.02.
        var mask = Tensor(shape: [alphas.count, 1, side, side])
        for t in 0..<alphas.count { for p in 0..<(side * side) {
            let here = alphas[t].scalars[p], before = t > 0 ? alphas[t - 1].scalars[p] : here
            mask.scalars[t * side * side + p] = (here <= 0.02 && before <= 0.02) ? 1 : 0
        } }
        return [
            "swap_background_change": ImageMetrics.temporalChange(.concatenatingBatches(outputs), mask: mask),
            "ground_truth_change": ImageMetrics.temporalChange(.concatenatingBatches(truths), mask: mask),
        ]
    }
}
