import EquivariantModel
import Retargeting
import SyntheticScenes
import Tensors
import VideoIO

/// The swap as users get it: clips rendered at 4× the model's size (the scene generator draws
/// the same world at any size, so the ground truth stays exact), swapped by the frame
/// pipeline's default full-resolution composite with the clip's consensus plate (as `eqr -i`
/// does), next to the model's own rendering scaled up and the classical pipeline (temporal
/// median plate + difference mask + paste) over the same frames.
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
    ]

    /// Scores `clips` clips of `frames` frames per setting (`trained`: backgrounds seen in
    /// training, pairings held out; `unseen`: backgrounds never seen), keyed by setting, then row.
    /// - Throws: ``ModelError/invalidInput(_:)`` when the world's resolution is not the
    ///   model's or the counts are out of range.
    public static func run(model: EquivariantModel, world: SceneWorld, clips: Int = 3, frames: Int = framesPerClip, seed: UInt64 = 0) throws -> [String: [String: Evaluation.Score]] {
        let side = model.configuration.resolution
        guard world.resolution == side else { throw ModelError.invalidInput("scene resolution \(world.resolution) differs from the model's \(side)") }
        guard clips >= 1, frames >= 2 else { throw ModelError.invalidInput("needs at least 1 clip of 2 frames, got \(clips) of \(frames)") }
        var full = world
        full.resolution = scale * side
        let generator = try full.makeGenerator()
        var result: [String: [String: Evaluation.Score]] = [:]
        for (setting, split) in [("trained", SceneSplit.heldOutPairings), ("unseen", SceneSplit.unseenBackgrounds)] {
            let pairings = generator.pairings(for: split).isEmpty ? generator.pairings(for: .trainedBackgrounds) : generator.pairings(for: split)
            let backgrounds = Array(Set(pairings.map(\.background))).sorted()
            var outputs: [String: [Tensor]] = [:], truths: [Tensor] = []
            var g = SeededGenerator(seed: Evaluation.seedBase &+ seed &+ 0xF011)
            for clipIndex in 0..<clips {
                let pairing = pairings[Int(g.next() % UInt64(pairings.count))]
                let others = backgrounds.filter { $0 != pairing.background }
                let newBackground = others.isEmpty ? pairing.background : others[Int(g.next() % UInt64(others.count))]
                let clip = generator.clip(frames: frames, character: pairing.character, background: pairing.background, seed: g.next() ^ UInt64(clipIndex))
                let still = generator.plate(background: newBackground)
                let inputs = try clip.frames.enumerated().map { try Frame(modelTensor: $0.element, index: $0.offset) }
                let composite = try FramePipeline(model: model)
                composite.setBackground(try Frame(modelTensor: still))
                composite.setPlate(try BackgroundPlate.consensus(of: inputs))
                let rendered = try FramePipeline(model: model)
                rendered.renderMode = .model
                rendered.setBackground(try Frame(modelTensor: still))
                let classical = classicalSwap(clip.frames, over: still)
                for (t, input) in inputs.enumerated() {
                    truths.append(generator.composite(character: pairing.character, pose: clip.poses[t], plate: still))
                    outputs["swap_composite", default: []].append(try composite.process(input).modelTensor.reshaped(to: still.shape))
                    outputs["swap_model", default: []].append(try rendered.process(input).modelTensor.reshaped(to: still.shape))
                    outputs["baseline_classical_swap", default: []].append(classical[t])
                    outputs["baseline_paste_background", default: []].append(still)
                }
            }
            // PSNR over every frame; SSIM (its Gaussian windows dominate the cost at this
            // size) over every fourth.
            func stacked(_ images: [Tensor], every step: Int = 1) -> Tensor {
                .concatenatingBatches(Swift.stride(from: 0, to: images.count, by: step).map { images[$0].reshaped(to: [1] + images[$0].shape) })
            }
            let truth = stacked(truths), sparseTruth = stacked(truths, every: 4)
            result[setting] = outputs.mapValues { images in
                Evaluation.Score(psnr: ImageMetrics.psnr(stacked(images), truth), ssim: ImageMetrics.ssim(stacked(images, every: 4), sparseTruth))
            }
        }
        return result
    }

    /// The classical pipeline on one clip (`[3, H, W]` frames): the temporal median plate,
    /// a difference mask (largest channel difference above 0.08), the frame pasted inside it.
    static func classicalSwap(_ frames: [Tensor], over background: Tensor) -> [Tensor] {
        let count = frames.count, n = background.count, plane = n / 3
        var plate = [Float](repeating: 0, count: n)
        var column = [Float](repeating: 0, count: count)
        for i in 0..<n {
            for t in 0..<count { column[t] = frames[t].scalars[i] }
            column.sort()
            plate[i] = count % 2 == 1 ? column[count / 2] : (column[count / 2 - 1] + column[count / 2]) / 2
        }
        return frames.map { frame in
            let x = frame.scalars
            var out = background.scalars
            for i in 0..<plane {
                let d = max(abs(x[i] - plate[i]), abs(x[plane + i] - plate[plane + i]), abs(x[2 * plane + i] - plate[2 * plane + i]))
                if d > 0.08 { for c in 0..<3 { out[c * plane + i] = x[c * plane + i] } }
            }
            return Tensor(shape: background.shape, scalars: out)
        }
    }
}
