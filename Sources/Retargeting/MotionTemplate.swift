import EquivariantModel
import Foundation
import Tensors

/// A motion template: the sequence of feature-space transforms θ_z estimated from a clip
/// (frame t → t+1), saved as a small JSON file and replayable on another character.
///
/// Replaying composes the steps: frame k of the replay renders the target with the
/// accumulated sampling matrix θ₁·θ₂·…·θ_k (each θ maps output → input, so later steps
/// are applied first to the output coordinates), i.e. the target moves the way the
/// source clip moved.
public struct MotionTemplate: Codable, Equatable, Sendable {
    /// The variant of the model that estimated it (`pixels` or `features`).
    public var variant: String
    /// The model resolution.
    public var resolution: Int
    /// Frame rate of the source clip, when known.
    public var frameRate: Double?
    /// θ_z of each step t → t+1, six numbers each.
    public var steps: [[Float]]

    /// Creates a template.
    public init(variant: String, resolution: Int, frameRate: Double?, steps: [[Float]]) {
        self.variant = variant
        self.resolution = resolution
        self.frameRate = frameRate
        self.steps = steps
    }

    /// Estimates the template of consecutive `frames` ([T, 3, R, R], T ≥ 2).
    public static func extract(model: EquivariantModel, frames: Tensor, frameRate: Double? = nil) throws -> MotionTemplate {
        guard frames.rank == 4, frames.shape[0] >= 2 else {
            throw ModelError.invalidInput("a motion template needs at least 2 frames, got \(frames.shape)")
        }
        var next = 0
        return try extract(model: model, frameRate: frameRate) {
            defer { next += 1 }
            return next < frames.shape[0] ? frames.batches(next..<(next + 1)) : nil
        }
    }

    /// Estimates the template of a stream of frames ([1, 3, R, R] each, until `nextFrame`
    /// returns nil), holding at most 17 frames at a time: pairs are estimated in batches of 16.
    public static func extract(model: EquivariantModel, frameRate: Double? = nil, nextFrame: () throws -> Tensor?) throws -> MotionTemplate {
        var window: [Tensor] = [], steps: [[Float]] = []
        func estimateWindow() throws {
            guard window.count >= 2 else { return }
            let frames = Tensor.concatenatingBatches(window), pairs = window.count - 1
            let theta = try model.estimateTheta(from: frames.batches(0..<pairs), to: frames.batches(1..<(pairs + 1)))
            for i in 0..<pairs { steps.append(Array(theta.scalars[(i * 6)..<(i * 6 + 6)])) }
            window = [window[pairs]]
        }
        while let frame = try nextFrame() {
            window.append(frame)
            if window.count == 17 { try estimateWindow() }
        }
        try estimateWindow()
        guard !steps.isEmpty else { throw ModelError.invalidInput("a motion template needs at least 2 frames, got \(window.count)") }
        return MotionTemplate(variant: model.configuration.variant, resolution: model.configuration.resolution,
                              frameRate: frameRate, steps: steps)
    }

    /// The accumulated sampling matrices: element k moves the target by the first k + 1 steps.
    public func accumulatedThetas() -> [Affine2D] {
        var total = Affine2D.identity
        return steps.map { step in
            total = total.composed(after: Affine2D(step))
            return total
        }
    }

    /// Renders `frame` ([1, 3, R, R]) moved by every accumulated step: the replay of the
    /// template on another character, one frame per step. The background features are
    /// encoded once.
    public func replay(model: EquivariantModel, onto frame: Tensor) throws -> [Tensor] {
        guard resolution == model.configuration.resolution else {
            throw ModelError.invalidInput("the template was estimated at \(resolution)×\(resolution), the model runs at \(model.configuration.resolution)×\(model.configuration.resolution)")
        }
        try model.checkFrames(frame)
        guard frame.shape[0] == 1 else { throw ModelError.invalidInput("replay takes one frame [1, 3, R, R], got \(frame.shape)") }
        let character = try model.encodeCharacter(frame), background = try model.encodeBackground(frame)
        return accumulatedThetas().map { theta in
            model.compose(character: model.moveCharacter(character, theta: Tensor(shape: [1, 6], scalars: theta.elements)), background: background)
        }
    }

    /// Reads and validates a template file.
    public static func read(contentsOf url: URL) throws -> MotionTemplate {
        if let problem = RegularFile.problem(url.path) { throw ModelError.invalidInput("the motion template \(url.path) \(problem)") }
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw ModelError.invalidInput("cannot read the motion template \(url.path): \(error.localizedDescription)")
        }
        let template: MotionTemplate
        do { template = try JSONDecoder().decode(MotionTemplate.self, from: data) } catch {
            throw ModelError.invalidInput("\(url.path) is not a motion template (JSON with variant, resolution, steps)")
        }
        guard !template.steps.isEmpty, template.steps.allSatisfy({ $0.count == 6 && $0.allSatisfy(\.isFinite) }) else {
            throw ModelError.invalidInput("\(url.path): every step must be 6 finite numbers")
        }
        return template
    }

    /// Writes the template as JSON, atomically.
    public func write(to url: URL) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(self).write(to: url, options: .atomic)
    }
}
