import ArgumentParser
import EquivariantModel
import Foundation
import SyntheticScenes
import Tensors
import Training
import VideoIO

/// `eqr eval`: the hypothesis test on held-out synthetic scenes.
struct EvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Score a model on held-out synthetic scenes (PSNR/SSIM vs exact ground truth, with baselines).")

    @Option(name: .shortAndLong, help: "Model checkpoint.") var model: String
    @Option(parsing: .unconditional, help: "Scenes per setting.") var samples = 32
    @Option(parsing: .unconditional, help: "Clips per setting for the swap at 4× the model's size (0: skip).") var fullResolutionClips = 3
    @Option(parsing: .unconditional, help: "Evaluation seed (sample seeds never used in training).") var seed: UInt64 = 0
    @Flag(help: "Print one JSON object instead of the table.") var json = false
    @Option(help: "Write a contact sheet PNG of held-out scenes here.") var sheet: String?
    @Option(help: "Score on the synthetic world this other checkpoint was trained on (same resolution), e.g. to compare models trained on different worlds on the same scenes.") var worldOf: String?
    @Option(help: "Training log (JSON lines) to plot.") var log: String?
    @Option(help: "Write the loss-curve plot PNG here (needs --log).") var plot: String?
    @OptionGroup var threads: ThreadOptions

    func validate() throws {
        guard (0...256).contains(fullResolutionClips) else { throw ValidationError("--full-resolution-clips must be in 0...256, got \(fullResolutionClips)") }
        guard samples >= 2, samples <= 4096 else { throw ValidationError("--samples must be in 2...4096, got \(samples)") }
        if plot != nil && log == nil { throw ValidationError("--plot needs --log (the training log to draw)") }
    }

    func run() throws {
        threads.apply()
        // The loss curve is drawn from the log alone: a log it cannot draw fails before the
        // evaluation's work, not after it.
        let curve = try log.flatMap { log in try plot.map { _ in try LossCurvePlot.render(try LossCurvePlot.readLog(contentsOf: URL(fileURLWithPath: log))) } }
        let file = URL(fileURLWithPath: try ModelSearch.resolve(model))
        let contents = try Checkpoint.load(contentsOf: file)
        var world = SceneWorld(checkpoint: contents, checkpointFolder: file.deletingLastPathComponent())
        if let worldOf {
            let other = URL(fileURLWithPath: try ModelSearch.resolve(worldOf))
            world = SceneWorld(checkpoint: try Checkpoint.load(contentsOf: other), checkpointFolder: other.deletingLastPathComponent())
            guard world.resolution == contents.model.configuration.resolution else {
                throw RuntimeError("--world-of \(worldOf) is a \(world.resolution)×\(world.resolution) world; \(model) is a \(contents.model.configuration.resolution)×\(contents.model.configuration.resolution) model")
            }
        }
        let generator = try world.makeGenerator()
        var report = try Evaluation.run(model: contents.model, generator: generator, samples: samples, seed: seed)
        if fullResolutionClips > 0 {
            report.add(try FullResolutionEvaluation.run(model: contents.model, world: world, clips: fullResolutionClips, seed: seed))
        }
        // The figures first, so a file that cannot be written does not lose them.
        if json {
            try printJSON(report, pretty: true)
        } else {
            print(Self.table(report))
        }
        if let sheet {
            try ImageFile.write(try EvaluationSheet.render(model: contents.model, generator: generator, seed: seed), to: sheet)
        }
        if let curve, let plot { try ImageFile.write(curve, to: plot) }
    }

    /// The Markdown table the README shows.
    static func table(_ r: Evaluation.Report) -> String {
        var lines = [
            "model: \(r.variant), \(r.resolution)x\(r.resolution), \(r.samples) scenes per setting",
            "",
            "| row | what | trained bg PSNR | SSIM | unseen bg PSNR | SSIM |",
            "|---|---|---|---|---|---|",
        ]
        for (key, meaning) in Evaluation.rows {
            guard let a = r.metrics[key], let b = r.metrics_unseen[key] else { continue }
            lines.append(String(format: "| %@ | %@ | %.2f | %.3f | %.2f | %.3f |", key, meaning, a.psnr, a.ssim, b.psnr, b.ssim))
        }
        if !r.transform_error.isEmpty {
            lines.append("")
            lines.append("mean |θz − θtrue| of estimated transforms: " + r.transform_error.keys.sorted().map { String(format: "%@ %.4f", $0, r.transform_error[$0]!) }.joined(separator: ", "))
        }
        lines.append(String(format: "swap onto a still background, mean frame-to-frame change away from the character: %.4f (ground truth %.4f)",
                            r.temporal["swap_background_change"] ?? .nan, r.temporal["ground_truth_change"] ?? .nan))
        if let c = r.coverage {
            lines.append(String(format: "layered coverage α of f(x): mean %.3f / %.3f, IoU with the true mask %.3f / %.3f (trained / unseen backgrounds)",
                                c["trained_mean"] ?? .nan, c["unseen_mean"] ?? .nan, c["trained_iou"] ?? .nan, c["unseen_iou"] ?? .nan))
        }
        if let full = r.full_resolution, let trained = full["trained"], let unseen = full["unseen"] {
            let side = FullResolutionEvaluation.scale * r.resolution
            lines += ["", "at \(side)x\(side) (\(FullResolutionEvaluation.scale)× the model), clips of \(FullResolutionEvaluation.framesPerClip) frames:", "",
                      "| row | what | trained bg PSNR | SSIM | unseen bg PSNR | SSIM |", "|---|---|---|---|---|---|"]
            for (key, meaning) in FullResolutionEvaluation.rows {
                guard let a = trained[key], let b = unseen[key] else { continue }
                lines.append(String(format: "| %@ | %@ | %.2f | %.3f | %.2f | %.3f |", key, meaning, a.psnr, a.ssim, b.psnr, b.ssim))
            }
            if let iou = r.full_resolution_matte_iou, let a = iou["trained"], let b = iou["unseen"] {
                lines += ["", "| matte IoU with the true mask | trained bg | unseen bg |", "|---|---|---|"]
                for (key, meaning) in FullResolutionEvaluation.matteRows {
                    guard let x = a[key], let y = b[key] else { continue }
                    lines.append(String(format: "| %@ | %.3f | %.3f |", meaning, x, y))
                }
            }
            if let change = r.full_resolution_background_change, let a = change["trained"], let b = change["unseen"] {
                lines.append(String(format: "swap onto a still background at this size, mean frame-to-frame change away from the character: composite %.4f / %.4f, model %.4f / %.4f (ground truth %.4f / %.4f)",
                                    a["composite"] ?? .nan, b["composite"] ?? .nan, a["model"] ?? .nan, b["model"] ?? .nan, a["ground_truth"] ?? .nan, b["ground_truth"] ?? .nan))
            }
        }
        return lines.joined(separator: "\n")
    }
}
