import ArgumentParser
import EquivariantModel
import Foundation
import NeuralNetwork
import Retargeting
import SyntheticScenes
import Tensors
import Training
import VideoIO

/// `eqr demo`: the main job on embedded defaults. Loads the committed default model, swaps
/// a synthetic character clip at 4× the model's resolution onto a new still background
/// (composed at full resolution, next to the model's own rendering and the exact ground
/// truth), and writes the video and a contact sheet. `--toy` instead trains the small network of the neural-network core.
struct DemoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo", abstract: "Retarget a synthetic clip with the committed default model (or --toy: train the toy network).")

    @Option(name: .shortAndLong, help: "Model checkpoint: a path, or a name `eqr models` lists.") var model = "default"
    @Option(help: "Output directory.") var out = "out"
    @Option(parsing: .unconditional, help: "Frames of the demo clip.") var frames = 48
    @Flag(help: "Train the toy conv network instead and print its loss falling.") var toy = false
    @Option(parsing: .unconditional, help: "Toy: optimisation steps.") var steps = 300
    @Option(parsing: .unconditional, help: "Toy: random seed for weights and data.") var seed: UInt64 = 42
    @Option(parsing: .unconditional, help: "Toy: print the loss every this many steps.") var every = 25

    func validate() throws {
        guard steps > 0 else { throw ValidationError("--steps must be positive, got \(steps)") }
        guard every > 0 else { throw ValidationError("--every must be positive, got \(every)") }
        guard frames >= 2, frames <= 10_000 else { throw ValidationError("--frames must be in 2...10000, got \(frames)") }
    }

    func run() throws {
        if toy { return try runToy() }
        let file = URL(fileURLWithPath: try ModelSearch.resolve(model))
        let contents = try Checkpoint.load(contentsOf: file)
        let net = contents.model, side = net.configuration.resolution
        let world = SceneWorld(checkpoint: contents, checkpointFolder: file.deletingLastPathComponent())
        let generator = try world.makeGenerator()
        // The same scenes at 4× the model's size: what a user's video is to the model.
        var fullWorld = world
        fullWorld.resolution = 4 * side
        let full = try fullWorld.makeGenerator(), fullSide = 4 * side
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        // Character 0 over background 0: a pairing held out of training. New background: 3.
        let clip = full.clip(frames: frames, character: 0, background: 0, seed: 2026)
        let still = full.plate(background: 3)
        let inputs = try clip.frames.enumerated().map { try Frame(modelTensor: $0.element, index: $0.offset) }
        let swap = try FramePipeline(model: net, effect: .swap)
        swap.setBackground(try Frame(modelTensor: still))
        // As `eqr -i` learns it from the clip: a layered model's coverage votes.
        let coverage = net.hasCoverage ? try inputs.map { frame in try frame.withPixelBuffer { try swap.coverage($0)! } } : nil
        swap.setPlate(try BackgroundPlate.consensus(of: inputs, coverage: coverage))
        let rendered = try FramePipeline(model: net, effect: .swap)
        rendered.renderMode = .model
        rendered.setBackground(try Frame(modelTensor: still))
        let videoPath = out + "/demo-swap.mp4"
        let writer = try VideoWriter(path: videoPath, width: 4 * fullSide, height: fullSide, frameRate: 25)
        var psnr = 0.0, modelPSNR = 0.0
        for (t, (input, pose)) in zip(inputs, clip.poses).enumerated() {
            let swapped = try swap.process(input).modelTensor, byModel = try rendered.process(input).modelTensor
            let truth = full.composite(character: 0, pose: pose, plate: still).reshaped(to: [1, 3, fullSide, fullSide])
            psnr += ImageMetrics.psnr(swapped, truth) / Double(frames)
            modelPSNR += ImageMetrics.psnr(byModel, truth) / Double(frames)
            // input | swap (composite) | the model's own rendering, scaled | ground truth
            let row = Self.sideBySide([clip.frames[t].reshaped(to: [1, 3, fullSide, fullSide]), swapped, byModel, truth], side: fullSide)
            try writer.write(try Frame(width: 4 * fullSide, height: fullSide, planarFloat: row, timestamp: Double(t) / 25, index: t))
        }
        try writer.finish()

        // The same clip and background as files, retargeted by the ffmpeg-style host.
        let clipPath = out + "/demo-clip.mp4", backgroundPath = out + "/demo-background.png", hostPath = out + "/demo-transform.mp4"
        let clipWriter = try VideoWriter(path: clipPath, width: fullSide, height: fullSide, frameRate: 25)
        for (t, frame) in inputs.enumerated() {
            var stamped = frame
            stamped.timestamp = Double(t) / 25
            try clipWriter.write(stamped)
        }
        try clipWriter.finish()
        try ImageFile.write(try Frame(modelTensor: still), to: backgroundPath)
        let hostArguments = ["-i", clipPath, "-i", backgroundPath, "-m", model, "-effect", "transform=angle=20:scale=1.2", "-y", "-nostats", hostPath]
        let host = try HostCommand.parse(hostArguments)
        try host.validate()
        try host.run()

        let sheetPath = out + "/demo-sheet.png"
        try ImageFile.write(try EvaluationSheet.render(model: net, generator: generator), to: sheetPath)
        print("model: \(model) (\(net.configuration.variant), \(side)x\(side))")
        print("wrote \(videoPath): \(frames) frames at \(fullSide)x\(fullSide), left to right: input clip | swap onto a new background | the model's own rendering, scaled up | ground truth")
        print(String(format: "swap PSNR against the exact ground truth: %.2f dB (the model's rendering alone: %.2f dB)", psnr, modelPSNR))
        print("wrote \(hostPath): the host on \(clipPath) and \(backgroundPath), as `eqr \(hostArguments.joined(separator: " "))`")
        print("wrote \(sheetPath): held-out scenes (inputs, prediction, swap, re-render, transfer, character only, background only)")
    }

    /// Planar RGB of the images placed left to right.
    static func sideBySide(_ images: [Tensor], side: Int) -> [Float] {
        let width = images.count * side
        var out = [Float](repeating: 0, count: 3 * side * width)
        for (k, image) in images.enumerated() {
            for c in 0..<3 { for y in 0..<side { for x in 0..<side {
                out[(c * side + y) * width + k * side + x] = min(max(image.scalars[(c * side + y) * side + x], 0), 1)
            } } }
        }
        return out
    }

    func runToy() throws {
        let task = ToyTask(seed: seed)
        let clock = ContinuousClock()
        let start = clock.now
        print("toy task: shift soft blobs 2 px right, \(task.batchSize)×3×\(task.size)×\(task.size) per step, Adam")
        var window: [Float] = []
        for step in 1...steps {
            window.append(task.step())
            if step % every == 0 || step == steps {
                print("step \(step)  mse \(formatted(window.reduce(0, +) / Float(window.count)))")
                window.removeAll()
            }
        }
        let seconds = (clock.now - start).inSeconds
        print("trained \(steps) steps in \(formatted(Float(seconds))) s (\(formatted(Float(Double(steps * task.batchSize) / seconds))) samples/s)")
    }
}

/// A float with four significant digits.
func formatted(_ value: Float) -> String {
    let magnitude = abs(value)
    if magnitude != 0 && (magnitude < 1e-3 || magnitude >= 1e5) {
        let exponent = Int(log10(Double(magnitude)).rounded(.down))
        let mantissa = Double(value) / pow(10, Double(exponent))
        return "\((mantissa * 1000).rounded() / 1000)e\(exponent)"
    }
    return "\((Double(value) * 10000).rounded() / 10000)"
}
