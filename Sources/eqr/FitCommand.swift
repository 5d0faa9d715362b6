import ArgumentParser
import Distributed
import EquivariantModel
import Foundation
import Tensors
import Training

/// `eqr fit`: fits a model to the user's own clips, label-free, for a time budget or a step
/// count; resumable, checkpointed atomically, and stopped cleanly by Ctrl-C.
struct FitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fit",
        abstract: "Fit a model to your own clips, from motion alone (no masks, no labels).",
        discussion: """
        Trains a layered model whose T^z is learned from the frames (features: keypoints on the \
        character features) on pairs of the clips' frames, \
        for --time (e.g. 5m, 90s, 1h) or --steps. A checkpoint is written every --checkpoint-every \
        steps and when the fit ends; Ctrl-C stops it with the last step saved (a second Ctrl-C \
        quits at once), and --resume continues it. The result works wherever a model does: \
        eqr -i clip.mp4 -i beach.jpg -m clip.safetensors -effect swap out.mp4.
        """)

    @Argument(help: "The clips to fit (static camera, a moving subject).") var clips: [String] = []
    @Option(name: .shortAndLong, help: "The fitted checkpoint.") var output: String
    @Option(help: "Time budget: a number with s, m or h (e.g. 5m).") var time: String?
    @Option(parsing: .unconditional, help: "Step count (with --time, whichever comes first).") var steps: Int?
    @Flag(help: "Continue the fit in -o (its weights, optimizer state and step).") var resume = false
    @Option(help: "Start f, h, g and the coverage head from this layered checkpoint instead of random weights.") var initFrom: String?
    @Option(help: "Where T^z comes from: features (keypoints learned on the character features) or pixels (the frame pair aligned where it differs, no learned layer).") var variant = FeaturesTransform.name
    @Option(parsing: .unconditional, help: "Model resolution for a new model (a multiple of 8).") var resolution = 64
    @Option(parsing: .unconditional, help: "Training pairs per step.") var batch = 16
    @Option(name: .customLong("lr"), parsing: .unconditional, help: "Adam learning rate (default: 2e-3 from random weights, 2e-4 with --init-from).") var learningRate: Float?
    @Option(parsing: .unconditional, help: "Smallest frame gap of training pairs.") var gap = 1
    @Option(parsing: .unconditional, help: "Largest frame gap (each pair's gap is drawn in between; slow subjects barely move between neighbouring frames).") var maxGap = 6
    @Option(parsing: .unconditional, help: "Seed of the weights and the pair sequence.") var seed: UInt64 = 1
    @Option(name: .customLong("vf"), help: "FFmpeg filter chain applied to the clips before they are scaled to the model.") var videoFilter: String?
    @Option(parsing: .unconditional, help: "Write a checkpoint every this many steps.") var checkpointEvery = 100
    @Option(help: "JSON-lines training log.") var log: String?
    @OptionGroup var threads: ThreadOptions
    @OptionGroup var overwrite: OverwriteOptions
    @Flag(help: "No progress line.") var quiet = false

    func validate() throws {
        guard !clips.isEmpty else { throw ValidationError("no clip given: eqr fit CLIP [CLIP…] -o model.safetensors --time 5m") }
        guard time != nil || steps != nil else { throw ValidationError("give a budget: --time (e.g. 5m) or --steps") }
        if let time { _ = try FitBudget.parse(time) }
        if let steps, steps < 1 { throw ValidationError("--steps must be positive, got \(steps)") }
        guard batch >= 1, batch <= 1024 else { throw ValidationError("--batch must be in 1...1024, got \(batch)") }
        guard gap >= 1, maxGap >= gap else { throw ValidationError("--gap must be at least 1 and --max-gap at least --gap, got \(gap) and \(maxGap)") }
        guard checkpointEvery >= 1 else { throw ValidationError("--checkpoint-every must be positive") }
        try checkOption("--variant") { try ClipFit.checkVariant(variant) }
        if let learningRate { try checkOption("--lr") { try Trainer.checkRates(learningRate: learningRate) } }
        if !resume && initFrom == nil {
            try checkOption("--resolution, --variant") { try ModelConfiguration(resolution: resolution, variant: variant).validate() }
        }
        for clip in clips where !FileManager.default.isReadableFile(atPath: clip) {
            throw ValidationError("\(clip): no such readable file")
        }
        let directory = URL(fileURLWithPath: output).deletingLastPathComponent().path
        guard FileManager.default.isWritableFile(atPath: directory) else {
            throw ValidationError("-o \(output): the directory \(directory) does not exist or is not writable")
        }
        if resume {
            guard FileManager.default.fileExists(atPath: output) else { throw ValidationError("--resume: \(output) does not exist yet; start the fit without --resume") }
            if initFrom != nil { throw ValidationError("--resume continues \(output); it cannot also start from --init-from") }
        } else {
            try overwrite.check([output])
        }
    }

    func run() throws {
        threads.apply()
        // Under mpirun: one data-parallel process of the job (see README, "Over Open MPI").
        let job = try MPIProcessGroup.joinLaunchedJob()
        defer { job?.finish() }
        let lead = (job?.rank ?? 0) == 0
        var options = ClipFit.Options(clips: clips, output: URL(fileURLWithPath: output))
        options.timeBudget = try time.map { try FitBudget.parse($0) }
        options.steps = steps
        options.resume = resume
        options.initFrom = initFrom.map { URL(fileURLWithPath: $0) }
        options.variant = variant
        options.resolution = resolution
        options.batchSize = batch
        options.learningRate = learningRate
        options.gap = gap
        options.maximumGap = maxGap
        options.seed = seed
        options.filter = videoFilter
        options.checkpointEvery = checkpointEvery
        options.log = log.map { URL(fileURLWithPath: $0) }
        InterruptRequest.install()
        options.shouldStop = { InterruptRequest.isRequested }
        options.processGroup = job
        let outcome = try ClipFit(options: options).run { entry, elapsed in
            guard !quiet else { return }
            printError(FitBudget.progressLine(entry, elapsed: elapsed, budget: options.timeBudget, steps: steps, batch: batch))
        }
        switch outcome.ending {
        case .stopped:
            if lead { printError("stopped at step \(outcome.step); \(output) holds it (continue with --resume)") }
            throw ExitCode(InterruptRequest.exitStatus)
        case .outOfTime, .completed:
            if !quiet && lead { printError("fitted \(outcome.step) steps on \(outcome.dataSummary); wrote \(output)") }
        }
    }
}
