import EquivariantModel
import Foundation
import NeuralNetwork
import Tensors

/// Fits a model to a user's own clips, label-free: the recipe behind `eqr fit` and the host's
/// one-step `-fit`.
///
/// Frame pairs of the clips (either direction of time, at several gaps) train a layered
/// model whose T^z is learned from frames (`features` with the pose output by default; see
/// ``recipe(for:)``), with the scene loss drawn over h of a distant frame of the same clip,
/// the reconstruction, equivariance and invariance losses, and the drawn-motion
/// equivariance (the predictor must find motions the trainer applies itself), without α
/// priors. Nothing but the clips' pixels is read.
public struct ClipFit {
    /// What to fit and for how long.
    public struct Options {
        /// The clips (any input FFmpeg reads).
        public var clips: [String]
        /// Where the checkpoint goes (written atomically, also at every interval).
        public var output: URL
        /// Stop after this much wall-clock time of training (nil: only `steps` counts).
        public var timeBudget: Duration?
        /// Stop at this step count (nil: only the time budget counts).
        public var steps: Int?
        /// Continue the checkpoint at `output` (its weights, Adam state and step) instead of
        /// starting a new model.
        public var resume = false
        /// Start f, h, g and the coverage head from this checkpoint (same architecture); the
        /// T^z predictor starts at the identity. nil: from random initialisation.
        public var initFrom: URL?
        /// The T^z variant (`features` or `pixels`).
        public var variant = FeaturesTransform.name
        /// The model's resolution for a new model.
        public var resolution = 64
        /// Pairs per step.
        public var batchSize = 16
        /// Adam's learning rate; nil: 2e-3 from random weights, 2e-4 from `initFrom` (a fresh
        /// optimiser at 2e-3 drove a trained model's coverage to 0 within 10 steps).
        public var learningRate: Float?
        /// Weight of the drawn-motion equivariance (nil: the recipe's, see ``recipe(for:)``).
        public var drawnMotionWeight: Float?
        /// Seed of the weights and of the pair sequence.
        public var seed: UInt64 = 1
        /// The smallest frame gap of training pairs.
        public var gap = 1
        /// The largest frame gap (each pair's gap is drawn in between): slow subjects barely
        /// move between neighbouring frames at the model's size.
        public var maximumGap = 6
        /// An FFmpeg filter chain applied to the clips before they are scaled to the model.
        public var filter: String?
        /// Checkpoint every this many steps (and when the run ends).
        public var checkpointEvery = 100
        /// Log and report progress every this many steps.
        public var logEvery = 10
        /// A JSON-lines log (nil: none).
        public var log: URL?
        /// Asked after every step; true stops the fit with a checkpoint (e.g. Ctrl-C).
        public var shouldStop: () -> Bool = { false }
        /// The processes of a data-parallel fit (nil: this process alone); see
        /// ``TrainingRun/Options/processGroup``.
        public var processGroup: ProcessGroup?

        /// Options for `clips`, written to `output`.
        public init(clips: [String], output: URL) {
            self.clips = clips
            self.output = output
        }
    }

    /// What a fit did.
    public struct Outcome {
        /// The fitted model (also in the checkpoint).
        public var model: EquivariantModel
        /// The step count reached.
        public var step: Int
        /// Why training ended.
        public var ending: TrainingRun.Ending
        /// One line about the data.
        public var dataSummary: String
    }

    /// The options.
    public let options: Options

    /// How a fit learns T^z for a variant: `features` uses the pose output (keypoints on the
    /// character features) with the drawn motion over the whole frame (×1) and its detectors at
    /// the full rate; `pixels` the aligned output (``PairAlignment``: the frame pair aligned
    /// where it differs, nothing to learn, so no drawn motion).
    public static func recipe(for variant: String) -> (output: TransformOutput, region: DrawnMotion.Region, drawnWeight: Float, predictorRateScale: Float) {
        variant == FeaturesTransform.name ? (.pose, .frame, 1, 1) : (.aligned, .patch, 0, 1)
    }

    /// The variants a fit can train: those that learn T^z from frames.
    public static var variants: [String] {
        var names: [String] = []
        for variant in TransformVariants.all where !variant.needsKnownMotion { names.append(variant.name) }
        return names
    }

    /// Throws ``ModelError/invalidConfiguration(_:)`` unless a fit can train `variant`.
    public static func checkVariant(_ variant: String) throws {
        guard variants.contains(variant) else {
            throw ModelError.invalidConfiguration("a fit learns T^z from the clip's frames: the variant must be one of \(variants.joined(separator: ", ")), got '\(variant)'")
        }
    }

    /// Checks the options: at least one clip, a budget, a learned variant, a writable output.
    public init(options: Options) throws {
        guard !options.clips.isEmpty else { throw ModelError.invalidInput("no clip to fit: give at least one video") }
        guard options.timeBudget != nil || options.steps != nil else {
            throw ModelError.invalidConfiguration("a fit needs a time budget or a step count")
        }
        if let budget = options.timeBudget, budget <= .zero { throw ModelError.invalidConfiguration("the time budget must be positive") }
        if let steps = options.steps, steps < 1 { throw ModelError.invalidConfiguration("the step count must be positive, got \(steps)") }
        try Self.checkVariant(options.variant)
        guard options.batchSize >= 1, options.gap >= 1, options.maximumGap >= options.gap, options.checkpointEvery >= 1, options.logEvery >= 1 else {
            throw ModelError.invalidConfiguration("batch size, frame gaps (smallest ≤ largest), checkpoint and log intervals must be positive")
        }
        if options.resume && options.initFrom != nil {
            throw ModelError.invalidConfiguration("a resumed fit continues its own checkpoint; it cannot also start from another model")
        }
        self.options = options
    }

    /// Trains until the step count, the time budget or `shouldStop` ends it; the checkpoint at
    /// `output` then holds the last step. `progress` sees every logged step.
    public func run(progress: (TrainingRun.LogEntry, _ elapsed: Duration) -> Void = { _, _ in }) throws -> Outcome {
        typealias K = CheckpointMetadata
        let o = options
        let recipe = Self.recipe(for: o.variant)
        var learningRate = o.learningRate ?? (o.initFrom == nil ? 2e-3 : 2e-4)
        var metadata = [K.seed: String(o.seed), K.threads: String(Parallel.workerCount),
                        K.sceneBackground: "distant", K.fitClips: o.clips.map { URL(fileURLWithPath: $0).lastPathComponent }.joined(separator: ", ")]
        let model: EquivariantModel
        var restored: Adam.State?
        if o.resume {
            let contents = try Checkpoint.load(contentsOf: o.output)
            guard let state = contents.optimizerState else {
                throw ModelError.invalidCheckpoint("\(o.output.path) has no optimizer state to resume from (an inference-only export)")
            }
            guard !contents.model.variant.needsKnownMotion else {
                throw ModelError.invalidCheckpoint("\(o.output.path) holds a `\(contents.model.variant.name)` model, which cannot learn from clips")
            }
            model = contents.model
            restored = state
            // A resumed fit keeps its rate unless told otherwise.
            if o.learningRate == nil, let saved = contents.metadata[K.learningRate].flatMap(Float.init) { learningRate = saved }
            metadata[K.trainingSeconds] = contents.metadata[K.trainingSeconds]
            metadata[K.initFrom] = contents.metadata[K.initFrom]
        } else {
            var configuration = ModelConfiguration(resolution: o.resolution, variant: o.variant, renderer: .layered, transformOutput: recipe.output)
            var source: Checkpoint.Contents?
            if let initFrom = o.initFrom {
                source = try Checkpoint.load(contentsOf: initFrom)
                // The starting model's architecture, with this fit's T^z.
                configuration = source!.model.configuration
                configuration.variant = o.variant
                configuration.renderer = .layered
                configuration.transformOutput = recipe.output
            }
            model = try EquivariantModel(configuration: configuration, seed: o.seed)
            if let source, let initFrom = o.initFrom {
                guard source.model.hasCoverage else {
                    throw ModelError.invalidCheckpoint("\(initFrom.path) is an additive model; a fit starts from a layered one (or from scratch)")
                }
                let copied = try model.copyEncodersAndRenderer(from: source.model)
                metadata[K.initFrom] = "\(initFrom.lastPathComponent) (\(source.model.configuration.variant), step \(source.metadata[K.step] ?? "?"), \(copied) tensors)"
            } else {
                // A new coverage head starts undecided; the additive default (0.95) leaves
                // h nothing to explain and α stays near 1.
                try model.startCoverage(at: 0.5)
            }
        }
        // No α priors: on a clip whose subject covers a few % of the frame, even 0.01 of
        // sparsity drove α to 0 within 20–50 steps (vtest.avi), and it never came back.
        metadata[K.learningRate] = "\(learningRate)"
        let weights = LossWeights(alphaSparsity: 0, alphaBinary: 0, drawnMotion: o.drawnMotionWeight ?? recipe.drawnWeight)
        // The coverage head at 5 % of the rate: at the full rate a new head's α fell to 0.
        let trainer = try Trainer(model: model, weights: weights, learningRate: learningRate, transformLearningRateScale: recipe.predictorRateScale,
                                  gradientClipNorm: 1, coverageLearningRateScale: 0.05, drawnMotionRegion: recipe.region)
        if let restored { trainer.optimizer.state = restored }
        metadata[K.transformLearningRateScale] = "\(recipe.predictorRateScale)"
        metadata[K.coverageLearningRateScale] = "0.05"
        metadata[K.gradientClipNorm] = "1.0"
        metadata[K.learningRateSchedule] = "constant"
        metadata[K.drawnMotionRegion] = trainer.drawnMotionRegion.rawValue
        let data = try VideoTrainingData(paths: o.clips, resolution: model.configuration.resolution, offset: o.gap, maximumOffset: o.maximumGap, filter: o.filter,
                                         seed: o.seed, distantFrames: true)
        var runOptions = TrainingRun.Options()
        runOptions.batchSize = o.batchSize
        runOptions.totalSteps = o.steps ?? Int.max
        runOptions.timeBudget = o.timeBudget
        runOptions.checkpointURL = o.output
        runOptions.checkpointEvery = o.checkpointEvery
        runOptions.logEvery = o.logEvery
        runOptions.logURL = o.log
        runOptions.metadata = metadata
        runOptions.shouldStop = o.shouldStop
        runOptions.processGroup = o.processGroup
        let run = try TrainingRun(trainer: trainer, data: data, options: runOptions)
        let clock = ContinuousClock(), start = clock.now
        try run.run { progress($0, clock.now - start) }
        return Outcome(model: model, step: trainer.step, ending: run.ending, dataSummary: data.summary)
    }
}
