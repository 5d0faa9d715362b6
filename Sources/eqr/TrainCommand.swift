import ArgumentParser
import Distributed
import EquivariantModel
import Foundation
import NeuralNetwork
import SyntheticScenes
import Tensors
import Training

/// `eqr train`: trains a model on synthetic scenes or on videos and writes checkpoints.
struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train an equivariant renderer (f, h, T^z, g) and write safetensors checkpoints.",
        discussion: """
        Synthetic scenes (the default) carry the true motion, so every variant trains on them; \
        --videos trains the pixels and features variants on frame pairs of real footage. \
        Progress goes to stderr, one JSON line per logged step to --log. Ctrl-C (or SIGTERM) \
        stops after the step in progress with its checkpoint written (a second one quits at \
        once); --resume continues it.
        """)

    @Option(name: .customLong("variant"), help: ArgumentHelp("Where T^z comes from: \(TransformVariants.nameList).",
                                                              discussion: TransformVariants.all.map { "\($0.name): \($0.summary)" }.joined(separator: "\n")))
    var variant = FeaturesTransform.name
    @Option(help: "How frames are drawn: additive, g(T^z f + h) as in the note, or layered, α·g(T^z f + h) + (1 − α)·g(h) with α from the character features.")
    var renderer = RendererKind.additive.rawValue
    @Option(parsing: .unconditional, help: "Model resolution (square frames, a multiple of 8).") var resolution = 64
    @Option(parsing: .unconditional, help: "Residual blocks in the renderer g at the feature maps' size (0: the note's three-convolution g).") var rendererBlocks = 0
    @Option(parsing: .unconditional, help: "Residual blocks in g at the frame's own size, before its last convolution (0: one layer at that size).") var frameSizeBlocks = 0
    @Option(parsing: .unconditional, help: "Feature maps are this many times smaller than a frame on each side: 4 (the note's prototype) or 2 (finer, about twice the compute).") var featureStride = 4
    @Flag(help: "f and h also emit a fine level at the frame's size, warped by the same θ_z and joined into g and the coverage head there (starts at zero: with --init-from, the copy first renders as its source).") var fineLevel = false
    @Option(parsing: .unconditional, help: "Total optimisation steps (a resumed run continues up to this count).") var steps = 2000
    @Option(parsing: .unconditional, help: "Training pairs per step.") var batch = 16
    @Option(name: .customLong("lr"), parsing: .unconditional, help: "Adam learning rate.") var learningRate: Float = 2e-3
    @Option(parsing: .unconditional, help: "Seed of the weights and of the batch sequence.") var seed: UInt64 = 1
    @OptionGroup var threads: ThreadOptions
    @Option(name: .shortAndLong, help: "Checkpoint path (written atomically).") var output: String
    @Option(parsing: .unconditional, help: "Write a checkpoint every this many steps.") var checkpointEvery = 250
    @Option(help: "JSON-lines training log.") var log: String?
    @Option(parsing: .unconditional, help: "Log and print progress every this many steps.") var logEvery = 25
    @Option(help: "Start f, h and g (and a layered model's coverage head) from this checkpoint's weights (e.g. a `given` model); the T^z predictor starts fresh.") var initFrom: String?
    @Option(help: "Resume from this checkpoint (same seed, data and options continue bit for bit).") var resume: String?
    @Option(parsing: .unconditional, help: "Weight of the scene loss L_s.") var wScene: Float = 1
    @Option(parsing: .unconditional, help: "Weight of the reconstruction term.") var wReconstruction: Float = 1
    @Option(parsing: .unconditional, help: "Weight of the equivariance loss L_c.") var wCharacter: Float = 0.1
    @Option(parsing: .unconditional, help: "Weight of the invariance loss L_b.") var wBackground: Float = 0.1
    @Option(parsing: .unconditional, help: "Weight of L_t = ‖θ_z − θ_true‖², supervising a learned T^z with the true motion of synthetic pairs (0: label-free).") var wTransform: Float = 0
    @Option(parsing: .unconditional, help: "Weight of mean(α), keeping the layered renderer's coverage sparse.") var wAlphaSparsity: Float = 0.01
    @Option(parsing: .unconditional, help: "Weight of mean(α(1 − α)), pushing the coverage towards 0 or 1.") var wAlphaBinary: Float = 0.01
    @Option(parsing: .unconditional, help: "Weight of ‖θ_z(x, A·x) − θ(A)‖² over motions A the trainer draws itself: label-free equivariance of a learned T^z (0: off).") var wDrawnMotion: Float = 0
    @Option(parsing: .unconditional, help: "Weight of ‖θ_z − θ_aligned‖², θ_aligned the frame pair aligned where it differs: a label-free teacher for a learned pixels or features predictor (0: off).") var wAlignmentTeacher: Float = 0
    @Option(help: "What a drawn motion moves: \(DrawnMotion.Region.nameList) (a soft patch pasted moved over the frame, like a character over a still background).") var drawnMotionRegion = DrawnMotion.Region.patch.rawValue
    @Option(help: "How a new pixels or features predictor outputs θ_z: bounded, [I + 0.5·tanh(u_A) | tanh(u_t)], which cannot leave the frame; pose (features only), the affine map between 4 keypoints (heatmap soft-argmax) on each frame's character features; aligned (pixels only), no learned layer: the frame pair aligned (robust Lucas–Kanade) where it differs; or direct (the free regression of earlier models).") var transformOutput = TransformOutput.bounded.rawValue
    @Flag(help: "Use the plain equivariance loss ‖T^z(f(x)) − f(x')‖² instead of dividing it by mean(f(x')²).") var plainEquivariance = false
    @Option(parsing: .unconditional, help: "Learning rate of the T^z predictor relative to --lr.") var transformLrScale: Float = 0.05
    @Option(parsing: .unconditional, help: "Clip the global gradient norm to this value (0: off).") var clipGradNorm: Float = 0
    @Option(parsing: .unconditional, help: "Start a new layered model's coverage α near this value (default: 0.95, the additive model).") var coverageStart: Float?
    @Option(parsing: .unconditional, help: "Learning rate of a layered model's coverage head relative to --lr (smaller keeps α from saturating at 0 or 1 early).") var coverageLrScale: Float = 1
    @Option(help: ArgumentHelp("Whose background features the scene loss draws x' over: same (h(x), as in the note) or distant (h of a random other frame of the same shot).",
                               discussion: "distant keeps h from explaining the character (a layered model's α then stays honest) and adds h(x'') ≈ h(x) to the invariance loss."))
    var sceneBackground = "same"
    @Option(parsing: .unconditional, help: "Fraction of synthetic scenes whose distant frame shows the background alone, as when the character has left the view (with --scene-background distant; 0: none). h then also learns to render a background with no character beside it, as a user's new background is.")
    var emptyDistantFrames: Double = 0
    @Option(help: "Learning-rate schedule: constant, or cosine (decays to 5 % of --lr at --steps).") var lrSchedule = "constant"
    @Option(parsing: .unconditional, help: "Steps of linear learning-rate warm-up (cosine schedule).") var warmupSteps = 0
    @Option(help: "Loss of the rendered frames: \(ImageLoss.nameList) (l1 keeps renders sharper; ssim adds structure: 0.85·(1 − SSIM)/2 + 0.15·L1).") var imageLoss = ImageLoss.squaredError.rawValue
    @Option(parsing: .unconditional, help: "Synthetic world seed (backgrounds, characters).") var worldSeed: UInt64 = 0
    @Option(parsing: .unconditional, help: "Synthetic backgrounds used for training.") var trainedBackgrounds = 8
    @Option(parsing: .unconditional, help: "Synthetic characters.") var characters = 8
    @Option(help: "A directory of photos to use as synthetic backgrounds (the first --trained-backgrounds train, the rest are unseen).") var backgroundImages: String?
    @Option(parsing: .unconditional, help: "Square crops per background photo (1: the whole photo; 2–9: crops of the photo at twice the frame's side, so more backgrounds with the same photos).") var backgroundCrops = 1
    @Option(help: "A directory of photos that texture the synthetic characters (each keeps its procedural shape and takes a photo's colours).") var characterImages: String?
    @Option(parsing: .unconditional, help: "Procedural backgrounds trained on beside the photos of --background-images (0: photos only); the evaluation then also uses the procedural world's unseen backgrounds.") var proceduralBackgrounds = 0
    @Option(parsing: .unconditional, help: "Of --characters, how many keep their procedural colours beside those textured by --character-images (0: all take photos).") var proceduralCharacters = 0
    @Option(parsing: .upToNextOption, help: "Train on frame pairs of these videos (files or directories of files) instead of synthetic scenes.") var videos: [String] = []
    @Option(parsing: .unconditional, help: "Frame gap k of video pairs (t, t+k).") var gap = 1
    @Option(parsing: .unconditional, help: "Largest frame gap of video pairs: each pair's gap is drawn from --gap...--max-gap (default: --gap).") var maxGap: Int?
    @Option(name: .customLong("vf"), help: "FFmpeg filter chain applied to training videos before resizing.") var videoFilter: String?
    @Flag(help: "No progress lines on stderr.") var quiet = false

    /// File endings taken from a directory given to --videos.
    static let videoExtensions: Set<String> = ["mp4", "mov", "mkv", "avi", "webm", "m4v", "mpg", "mpeg", "ts", "y4m", "gif"]

    func validate() throws {
        guard let variantType = TransformVariants.named(variant) else {
            throw ValidationError("--variant \(variant) is not one of \(TransformVariants.nameList)")
        }
        guard RendererKind(rawValue: renderer) != nil else {
            throw ValidationError("--renderer \(renderer) is not one of \(RendererKind.nameList)")
        }
        guard steps >= 1 else { throw ValidationError("--steps must be positive, got \(steps)") }
        guard batch >= 1, batch <= 1024 else { throw ValidationError("--batch must be in 1...1024, got \(batch)") }
        guard checkpointEvery >= 1, logEvery >= 1 else { throw ValidationError("--checkpoint-every and --log-every must be positive") }
        for (flag, path) in [("-o", Optional(output)), ("--log", log)] {
            guard let path else { continue }
            let directory = URL(fileURLWithPath: path).deletingLastPathComponent().path
            guard FileManager.default.isWritableFile(atPath: directory) else {
                throw ValidationError("\(flag) \(path): the directory \(directory) does not exist or is not writable")
            }
        }
        guard ["constant", "cosine"].contains(lrSchedule) else { throw ValidationError("--lr-schedule \(lrSchedule) is not one of constant, cosine") }
        guard warmupSteps >= 0, warmupSteps < steps else { throw ValidationError("--warmup-steps must be in 0..<--steps, got \(warmupSteps)") }
        if warmupSteps > 0 && lrSchedule != "cosine" { throw ValidationError("--warmup-steps needs --lr-schedule cosine") }
        guard DrawnMotion.Region(rawValue: drawnMotionRegion) != nil else {
            throw ValidationError("--drawn-motion-region \(drawnMotionRegion) is not one of \(DrawnMotion.Region.nameList)")
        }
        guard TransformOutput(rawValue: transformOutput) != nil else {
            throw ValidationError("--transform-output \(transformOutput) is not one of \(TransformOutput.nameList)")
        }
        guard ImageLoss(rawValue: imageLoss) != nil else { throw ValidationError("--image-loss \(imageLoss) is not one of \(ImageLoss.nameList)") }
        guard ["same", "distant"].contains(sceneBackground) else {
            throw ValidationError("--scene-background \(sceneBackground) is not one of same, distant")
        }
        guard emptyDistantFrames.isFinite, (0...1).contains(emptyDistantFrames) else {
            throw ValidationError("--empty-distant-frames must be in 0...1, got \(emptyDistantFrames)")
        }
        if emptyDistantFrames > 0 && (sceneBackground != "distant" || !videos.isEmpty) {
            throw ValidationError("--empty-distant-frames applies to synthetic scenes with --scene-background distant")
        }
        if let coverageStart {
            guard coverageStart > 0, coverageStart < 1 else { throw ValidationError("--coverage-start must be in (0, 1), got \(coverageStart)") }
            guard renderer == RendererKind.layered.rawValue, resume == nil else { throw ValidationError("--coverage-start applies to a new --renderer layered run") }
        }
        guard (1...9).contains(backgroundCrops) else { throw ValidationError("--background-crops must be in 1...9, got \(backgroundCrops)") }
        if backgroundCrops > 1 && backgroundImages == nil { throw ValidationError("--background-crops crops photos: give --background-images") }
        do { try syntheticWorld.checkMixing() } catch ModelError.invalidInput(let message) { throw ValidationError(message) }
        if initFrom != nil && resume != nil { throw ValidationError("--init-from starts a new run; it cannot be combined with --resume") }
        if !videos.isEmpty && variantType.needsKnownMotion {
            throw ValidationError("--variant \(variant) needs the true motion of each pair; train it on synthetic scenes (omit --videos)")
        }
        try checkOption("--lr") { try Trainer.checkRates(learningRate: learningRate) }
        try checkOption("--transform-lr-scale") { try Trainer.checkRates(learningRate: learningRate, transformLearningRateScale: transformLrScale) }
        try checkOption("--clip-grad-norm") { try Trainer.checkRates(learningRate: learningRate, gradientClipNorm: clipGradNorm) }
        try checkOption("--coverage-lr-scale") { try Trainer.checkRates(learningRate: learningRate, coverageLearningRateScale: coverageLrScale) }
        try checkOption("--w-* (loss weights)") { try lossWeights.validate() }
        if resume == nil {
            try checkOption("--resolution, --variant, --transform-output, --renderer-blocks, --frame-size-blocks, --feature-stride, --fine-level") {
                try newModelConfiguration.validate()
            }
        }
    }

    /// The synthetic world the options describe.
    var syntheticWorld: SceneWorld {
        var world = SceneWorld(resolution: resolution, worldSeed: worldSeed, trainedBackgrounds: trainedBackgrounds,
                               characters: characters, backgroundImages: backgroundImages, characterImages: characterImages)
        world.backgroundCrops = backgroundCrops
        world.proceduralBackgrounds = proceduralBackgrounds
        world.proceduralCharacters = proceduralCharacters
        return world
    }

    /// The architecture of a new run, as the options give it.
    var newModelConfiguration: ModelConfiguration {
        ModelConfiguration(resolution: resolution, variant: variant, renderer: RendererKind(rawValue: renderer)!,
                           transformOutput: TransformOutput(rawValue: transformOutput)!, rendererBlocks: rendererBlocks,
                           featureStride: featureStride, fineLevel: fineLevel, frameSizeBlocks: frameSizeBlocks)
    }

    /// The loss weights the options give.
    var lossWeights: LossWeights {
        LossWeights(scene: wScene, reconstruction: wReconstruction, character: wCharacter, background: wBackground,
                    transform: wTransform, normalizesCharacter: !plainEquivariance,
                    alphaSparsity: wAlphaSparsity, alphaBinary: wAlphaBinary, drawnMotion: wDrawnMotion, alignmentTeacher: wAlignmentTeacher)
    }

    func run() throws {
        threads.apply()
        // Under mpirun: one data-parallel process of the job (see README, "Over Open MPI").
        let job = try MPIProcessGroup.joinLaunchedJob()
        defer { job?.finish() }
        let lead = (job?.rank ?? 0) == 0
        typealias K = CheckpointMetadata
        let weights = lossWeights
        var metadata = [K.seed: String(seed), K.threads: String(Parallel.workerCount), K.learningRate: "\(learningRate)"]
        let model: EquivariantModel
        var restoredState: Adam.State?
        if let resume {
            let contents = try Checkpoint.load(contentsOf: URL(fileURLWithPath: resume), expectedVariant: variant)
            guard contents.model.configuration.resolution == resolution else {
                throw RuntimeError("\(resume) is a \(contents.model.configuration.resolution)×\(contents.model.configuration.resolution) model; pass --resolution \(contents.model.configuration.resolution)")
            }
            guard let state = contents.optimizerState else {
                throw RuntimeError("\(resume) has no optimizer state (an inference-only export); resume from a checkpoint written by eqr train")
            }
            model = contents.model
            restoredState = state
            metadata[K.trainingSeconds] = contents.metadata[K.trainingSeconds]
        } else {
            model = try EquivariantModel(configuration: newModelConfiguration, seed: seed)
            if let initFrom {
                let source = try Checkpoint.load(contentsOf: URL(fileURLWithPath: initFrom))
                let copied = try model.copyEncodersAndRenderer(from: source.model)
                metadata[K.initFrom] = "\(URL(fileURLWithPath: initFrom).lastPathComponent) (\(source.model.configuration.variant), step \(source.metadata[K.step] ?? "?"), \(copied) tensors)"
            }
            if let coverageStart { try model.startCoverage(at: coverageStart) }
        }
        let schedule: LearningRateSchedule = lrSchedule == "cosine" ? .cosine(totalSteps: steps, warmupSteps: warmupSteps) : .constant
        let trainer = try Trainer(model: model, weights: weights, learningRate: learningRate,
                                  transformLearningRateScale: transformLrScale, gradientClipNorm: clipGradNorm,
                                  schedule: schedule, imageLoss: ImageLoss(rawValue: imageLoss)!, coverageLearningRateScale: coverageLrScale,
                                  drawnMotionRegion: DrawnMotion.Region(rawValue: drawnMotionRegion)!)
        metadata[K.transformLearningRateScale] = "\(transformLrScale)"
        metadata[K.gradientClipNorm] = "\(clipGradNorm)"
        metadata[K.learningRateSchedule] = lrSchedule == "cosine" ? "cosine to step \(steps), warm-up \(warmupSteps)" : "constant"
        metadata[K.imageLoss] = imageLoss
        metadata[K.coverageLearningRateScale] = "\(coverageLrScale)"
        metadata[K.sceneBackground] = sceneBackground
        if wDrawnMotion > 0 { metadata[K.drawnMotionRegion] = drawnMotionRegion }
        if let restoredState { trainer.optimizer.state = restoredState }

        let data: TrainingData
        if videos.isEmpty {
            let world = syntheticWorld
            data = SyntheticTrainingData(generator: try world.makeGenerator(), seed: seed, distantFrames: sceneBackground == "distant",
                                         emptyDistantFraction: emptyDistantFrames)
            metadata.merge(world.metadata(checkpointFolder: URL(fileURLWithPath: output).deletingLastPathComponent())) { $1 }
        } else {
            let paths = try videos.flatMap { try SceneWorld.files(in: $0, extensions: Self.videoExtensions) }
            data = try VideoTrainingData(paths: paths, resolution: resolution, offset: gap, maximumOffset: maxGap, filter: videoFilter, seed: seed,
                                         distantFrames: sceneBackground == "distant")
        }
        var options = TrainingRun.Options()
        options.batchSize = batch
        options.totalSteps = steps
        options.checkpointURL = URL(fileURLWithPath: output)
        options.checkpointEvery = checkpointEvery
        options.logURL = log.map { URL(fileURLWithPath: $0) }
        options.logEvery = logEvery
        options.metadata = metadata
        // Ctrl-C or SIGTERM: the step in progress ends, its checkpoint is written, and the
        // command exits 130 (a second signal quits at once).
        InterruptRequest.install()
        options.shouldStop = { InterruptRequest.isRequested }
        options.processGroup = job
        let run: TrainingRun
        do {
            run = try TrainingRun(trainer: trainer, data: data, options: options)
        } catch {
            // A setting every process rejects alike (a batch that does not split): process 0 says it.
            if !lead { throw ExitCode.failure }
            throw error
        }
        let startStep = trainer.step
        if !quiet && lead {
            let processes = job.map { ", \($0.size) processes of \(batch / $0.size) pairs each" } ?? ""
            printError("training \(variant) model \(resolution)x\(resolution), \(model.parameterCount) parameters, batch \(batch)\(processes), steps \(startStep)→\(steps), \(Parallel.workerCount) threads")
            printError("data: \(data.summary)")
        }
        try run.run { entry in
            guard !quiet else { return }
            let r = entry.report
            let remaining = Double(steps - r.step) * Double(batch) / max(entry.samplesPerSecond, 1e-9)
            var line = String(format: "step %d/%d  total %.5f  scene %.5f  recon %.5f  equiv %.5f  inv %.5f  |f| %.3f  |h| %.3f",
                              r.step, steps, r.total, r.scene, r.reconstruction, r.character, r.background,
                              r.characterFeatureMagnitude, r.backgroundFeatureMagnitude)
            if let t = r.transformError { line += String(format: "  |θz-θx| %.4f", t) }
            if let g = r.gradientNorm { line += String(format: "  ‖∇‖ %.3f", g) }
            if let a = r.coverageMean { line += String(format: "  α %.3f", a) }
            if let d = r.drawnMotionError { line += String(format: "  |θ(A)| %.4f", d) }
            line += String(format: "  %.1f samples/s  ETA %.0fs", entry.samplesPerSecond, remaining)
            printError(line)
        }
        if run.ending == .stopped {
            if lead { printError("stopped at step \(trainer.step); \(output) holds it (continue with --resume \(output))") }
            throw ExitCode(InterruptRequest.exitStatus)
        }
        if !quiet && lead { printError("wrote \(output)") }
    }
}

/// Writes a line to standard error.
func printError(_ line: String) {
    FileHandle.standardError.write(Data((line + "\n").utf8))
}
