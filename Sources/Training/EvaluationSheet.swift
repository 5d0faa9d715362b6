import EquivariantModel
import Retargeting
import SyntheticScenes
import Tensors
import VideoIO

/// A contact sheet of what the model does on a few held-out scenes: one row per scene with
/// the inputs, the prediction, swaps, re-render, transfer and the separated parts.
public enum EvaluationSheet {
    /// Renders `rows` scenes of the trained-background setting (held-out pairings).
    public static func render(model: EquivariantModel, generator: SceneGenerator, rows: Int = 4, seed: UInt64 = 0, cellSize: Int = 128) throws -> Frame {
        guard rows >= 1, rows <= 16 else { throw ModelError.invalidInput("contact sheet rows must be in 1...16, got \(rows)") }
        let s = Evaluation.scenes(generator, split: .heldOutPairings, samples: rows, seed: Evaluation.seedBase &+ seed)
        let a = s.a, b = s.b
        let motionsA = Affine2D.list(from: a.motions)
        let theta = model.variant.needsKnownMotion
            ? try model.featureTheta(forMotions: motionsA)
            : try model.estimateTheta(from: a.frames, to: a.nextFrames)
        var columns: [(String, Tensor)] = [
            ("x", a.frames), ("x' (truth)", a.nextFrames),
            ("predicted x'", try model.render(a.frames, theta: theta)),
            ("bg frame B", b.frames),
            ("swap A on B", try model.swap(characterFrames: a.frames, backgroundFrames: b.frames)),
            ("swap truth", .concatenatingBatches((0..<rows).map { i in
                generator.composite(character: a.characterIndices[i], pose: Affine2D.list(from: a.poses)[i],
                                    plate: b.plates.batches(i..<(i + 1)).reshaped(to: [3, generator.configuration.resolution, generator.configuration.resolution]))
                    .reshaped(to: [1, 3, generator.configuration.resolution, generator.configuration.resolution])
            })),
            ("re-render", try model.rerender(a.frames, motions: s.newMotions)),
        ]
        if !model.variant.needsKnownMotion {
            columns.append(("A's motion on B", try model.transfer(from: a.frames, to: a.nextFrames, onto: b.frames)))
        }
        columns += [
            ("g(f(x)) char only", try model.renderCharacterOnly(a.frames)),
            ("g(h(x)) bg only", try model.renderBackgroundOnly(a.frames)),
        ]
        var frames: [Frame] = [], labels: [String] = []
        for row in 0..<rows {
            for (label, batch) in columns {
                frames.append(try Frame(modelTensor: batch.batches(row..<(row + 1))))
                labels.append(row == 0 ? label : "")
            }
        }
        return try ContactSheet(columns: columns.count, cellWidth: cellSize, cellHeight: cellSize, spacing: 4, scaling: .nearest).render(frames, labels: labels)
    }
}
