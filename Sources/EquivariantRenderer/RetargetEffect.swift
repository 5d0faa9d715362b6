import Tensors

/// What the retargeting pipeline does to each frame. The same effects back the `eqr` host,
/// the C library and the frei0r plugin, so they mean the same everywhere.
public enum RetargetEffect: Equatable, Sendable {
    /// The character of each frame over the new background: `g(f(x) + h(b))`.
    case swap
    /// The character moved by a further affine (on top of its own motion), over the new
    /// background: `g(T^z(f(x)) + h(b))` with θ_z from the motion. `keyframes` maps frame
    /// indices to motions; between keyframes the six numbers are interpolated linearly, and
    /// outside them the nearest keyframe holds. One keyframe is a fixed transform.
    case transform(keyframes: [Int: Affine2D])
    /// The character moved the way a template's clip moved (accumulated per frame), over
    /// the new background; the template repeats when the input is longer.
    case transfer(MotionTemplate)
    /// The model's own re-render of the input, `g(f(x) + h(x))`, for diagnosis.
    case reconstruct

    /// The motion of `transform` at frame `index`.
    public static func motion(at index: Int, keyframes: [Int: Affine2D]) -> Affine2D {
        let keys = keyframes.keys.sorted()
        guard let first = keys.first, let last = keys.last else { return .identity }
        if index <= first { return keyframes[first]! }
        if index >= last { return keyframes[last]! }
        let upper = keys.first { $0 >= index }!, lower = keys.last { $0 <= index }!
        if upper == lower { return keyframes[lower]! }
        let t = Float(index - lower) / Float(upper - lower)
        let a = keyframes[lower]!.elements, b = keyframes[upper]!.elements
        return Affine2D((0..<6).map { a[$0] + t * (b[$0] - a[$0]) })
    }
}

/// Streams frames through f, h, T^z and g one at a time for an effect, keeping only what
/// the effect needs between frames (the still background's features, the frame count).
///
/// Frames are `[1, 3, R, R]` tensors at the model's resolution in [0, 1]; scaling to and from
/// the video's own size is the caller's (libavfilter's) job.
public final class Retargeter {
    /// The model.
    public let model: EquivariantModel
    /// The effect.
    public let effect: RetargetEffect
    /// h(b) of the still background, once one is set.
    public private(set) var stillBackgroundFeatures: Tensor?
    private let templateThetas: [Affine2D]

    /// Creates a pipeline; throws if the effect does not fit the model.
    public init(model: EquivariantModel, effect: RetargetEffect) throws {
        self.model = model
        self.effect = effect
        if case .transfer(let template) = effect {
            guard template.resolution == model.configuration.resolution else {
                throw ModelError.invalidInput("the motion template was estimated at \(template.resolution)×\(template.resolution), the model runs at \(model.configuration.resolution)×\(model.configuration.resolution)")
            }
            templateThetas = template.accumulatedThetas()
        } else {
            templateThetas = []
        }
        if case .transform(let keyframes) = effect {
            for (index, motion) in keyframes where motion.inverse == nil {
                throw ModelError.invalidInput("the transform at frame \(index) \(motion) is not invertible")
            }
        }
    }

    /// Whether the effect needs a background (all but `reconstruct`).
    public var needsBackground: Bool { effect != .reconstruct }

    /// Encodes a still background once; later frames reuse its features.
    public func setStillBackground(_ frame: Tensor) throws {
        stillBackgroundFeatures = try model.encodeBackground(frame)
    }

    /// Renders frame `index` of the character input. `background` is this frame's
    /// background (a moving one); without it the still background is used.
    public func render(_ frame: Tensor, index: Int, background: Tensor? = nil) throws -> Tensor {
        if effect == .reconstruct { return try model.reconstruct(frame) }
        let backgroundFeatures: Tensor
        if let background {
            backgroundFeatures = try model.encodeBackground(background)
        } else if let stillBackgroundFeatures {
            backgroundFeatures = stillBackgroundFeatures
        } else {
            throw ModelError.invalidInput("the \(effect) effect needs a background: set a still one or pass one per frame")
        }
        let character = try model.encodeCharacter(frame)
        let theta: Tensor?
        switch effect {
        case .swap, .reconstruct:
            theta = nil
        case .transform(let keyframes):
            theta = try model.featureTheta(forMotions: [RetargetEffect.motion(at: index, keyframes: keyframes)])
        case .transfer:
            let step = templateThetas[index % templateThetas.count]
            theta = Tensor(shape: [1, 6], scalars: step.elements)
        }
        return model.render(model.swapFeatures(character: character, background: backgroundFeatures, theta: theta))
    }
}
