import Foundation
import NeuralNetwork
import Tensors

/// The equivariant renderer: character encoder f, background encoder h, feature-space warp
/// T^z and renderer g, with `x̂' = g(T^z(f(x)) + h(x))`; with the layered renderer, a
/// coverage head draws α from the warped character features and
/// `x̂' = α·g(T^z(f(x)) + h(x)) + (1 − α)·g(h(x))` (see ``compose(character:background:)``).
/// Features are ``FeatureMaps``: the coarse maps, and a fine level at R for a two-level model.
///
/// All operations take and return NCHW batches of RGB frames in [0, 1] at the model's
/// resolution. Inference methods record nothing and mutate nothing, so one model can serve
/// several threads.
public final class EquivariantModel {
    /// The architecture.
    public let configuration: ModelConfiguration
    /// f: frame → character features.
    public let characterEncoder: FeatureEncoder
    /// h: frame → background features.
    public let backgroundEncoder: FeatureEncoder
    /// g: features → frame.
    public let renderer: FeatureDecoder
    /// The T^z variant: where θ_z comes from.
    public let transform: any TransformVariant
    /// The coverage head of the layered renderer (character features → α); nil for the
    /// additive renderer.
    public let coverage: FeatureDecoder?
    /// The feature-space spatial transformer.
    public let warp = SpatialTransformer()

    /// Builds a freshly initialised model (deterministic for a seed).
    public init(configuration: ModelConfiguration, seed: UInt64) throws {
        try configuration.validate()
        self.configuration = configuration
        var g = SeededGenerator(seed: seed)
        characterEncoder = Networks.encoder("f", configuration, &g)
        backgroundEncoder = Networks.encoder("h", configuration, &g)
        renderer = Networks.renderer(configuration, &g)
        transform = configuration.variantType!.init(configuration: configuration, generator: &g)
        // Drawn last, so an additive model's weights do not depend on the option.
        coverage = configuration.renderer == .layered ? Networks.coverage(configuration, &g) : nil
    }

    /// Every trainable parameter, in a fixed order (f, h, g, the coverage head, T^z).
    public var parameters: [Parameter] {
        characterEncoder.parameters + backgroundEncoder.parameters + renderer.parameters + (coverage?.parameters ?? []) + transform.parameters
    }

    /// The number of trainable scalars.
    public var parameterCount: Int { parameters.reduce(0) { $0 + $1.value.count } }

    // MARK: - Input checks

    /// Throws unless `frames` is `[N, 3, R, R]` with finite values.
    public func checkFrames(_ frames: Tensor, _ name: String = "frames") throws {
        let r = configuration.resolution
        guard frames.rank == 4, frames.shape[0] > 0, frames.shape[1] == 3, frames.shape[2] == r, frames.shape[3] == r else {
            throw ModelError.invalidInput("\(name) must be [N, 3, \(r), \(r)] for this \(r)×\(r) model, got \(frames.shape)")
        }
        guard frames.isFinite else { throw ModelError.invalidInput("\(name) contain NaN or infinite values") }
    }

    // MARK: - Building blocks

    /// f(x): character features.
    public func encodeCharacter(_ frames: Tensor) throws -> FeatureMaps {
        try checkFrames(frames)
        return characterEncoder(frames)
    }

    /// h(x): background features.
    public func encodeBackground(_ frames: Tensor) throws -> FeatureMaps {
        try checkFrames(frames)
        return backgroundEncoder(frames)
    }

    /// g(z): a frame from features (the renderer alone, without the coverage map).
    public func render(_ features: FeatureMaps) -> Tensor { renderer(features) }

    /// The frame drawn from character features c (already moved) and background features b:
    /// `g(c + b)` for the additive renderer, `α(c)·g(c + b) + (1 − α(c))·g(b)` for the layered one.
    public func compose(character: FeatureMaps, background: FeatureMaps) -> Tensor {
        let full = renderer(character + background)
        guard let coverage else { return full }
        return Self.blend(full, renderer(background), coverage: coverage(character))
    }

    /// Whether the renderer is layered (draws a coverage map α).
    public var hasCoverage: Bool { coverage != nil }

    /// Sets the coverage head's output bias so that α starts near `alpha` (0 < alpha < 1)
    /// where its other inputs are small; e.g. 0.5 instead of the built-in 0.95 (see
    /// `Networks.coverage`). Throws for an additive model or an α outside (0, 1).
    public func startCoverage(at alpha: Float) throws {
        guard let coverage, let head = coverage.tail.layers.last(where: { $0 is Conv2D }) as? Conv2D else {
            throw ModelError.unsupportedOperation("only a layered model has a coverage head")
        }
        guard alpha > 0, alpha < 1 else { throw ModelError.invalidConfiguration("the starting coverage must be in (0, 1), got \(alpha)") }
        head.bias.value = Tensor(shape: head.bias.value.shape, repeating: logf(alpha / (1 - alpha)))
    }

    /// α(c) [N, 1, R, R] of character features, or nil for the additive renderer.
    public func coverageMap(_ character: FeatureMaps) -> Tensor? { coverage?(character) }

    /// `α·front + (1 − α)·back`, α [N, 1, H, W] broadcast over the channels of [N, C, H, W].
    public static func blend(_ front: Tensor, _ back: Tensor, coverage alpha: Tensor) -> Tensor {
        precondition(front.shape == back.shape && alpha.shape == [front.shape[0], 1, front.shape[2], front.shape[3]],
                     "blend: shapes \(front.shape), \(back.shape), α \(alpha.shape)")
        let n = front.shape[0], c = front.shape[1], plane = front.shape[2] * front.shape[3]
        var out = front
        out.withUnsafeMutablePointer { o in
            back.withUnsafePointer { b in
                alpha.withUnsafePointer { a in
                    for s in 0..<n { for ch in 0..<c {
                        let base = (s * c + ch) * plane, am = a + s * plane
                        for i in 0..<plane { o[base + i] = am[i] * o[base + i] + (1 - am[i]) * b[base + i] }
                    } }
                }
            }
        }
        return out
    }

    /// T^z(z): warps features (every level) by sampling matrices θ_z [N, 6].
    public func warpFeatures(_ features: FeatureMaps, theta: Tensor) -> FeatureMaps {
        warpFeatures(features, theta: theta, tape: nil)
    }

    /// T^z(z) of every level with the same θ_z, recorded on `tape` when given.
    func warpFeatures(_ features: FeatureMaps, theta: Tensor, tape: Tape?) -> FeatureMaps {
        FeatureMaps(coarse: warp.forward(input: features.coarse, theta: theta, tape: tape),
                    fine: features.fine.map { warp.forward(input: $0, theta: theta, tape: tape) })
    }

    /// The backward of ``warpFeatures(_:theta:tape:)``: the gradients of the features and of θ_z.
    func warpFeaturesBackward(_ gradient: FeatureMaps, tape: Tape) -> (features: FeatureMaps, theta: Tensor) {
        let fine = gradient.fine.map { warp.backward($0, tape: tape) }  // recorded last
        let coarse = warp.backward(gradient.coarse, tape: tape)
        return (FeatureMaps(coarse: coarse.input, fine: fine?.input), fine.map { coarse.theta + $0.theta } ?? coarse.theta)
    }

    /// The T^z variant's type (its name and what it needs).
    public var variant: any TransformVariant.Type { type(of: transform) }

    /// θ_z for content motions given in pixel space (one `Affine2D` per sample): the
    /// variant's θ_z of the sampling matrices θ_x = motion⁻¹ (see
    /// ``TransformVariant/theta(forKnownTheta:)``).
    public func featureTheta(forMotions motions: [Affine2D]) throws -> Tensor {
        transform.theta(forKnownTheta: try Self.samplingMatrices(for: motions))
    }

    /// θ_z estimated from frame pairs (x → x'); `pixels` and `features` variants only.
    public func estimateTheta(from frames: Tensor, to nextFrames: Tensor) throws -> Tensor {
        try checkFrames(frames)
        try checkFrames(nextFrames, "next frames")
        guard frames.shape == nextFrames.shape else {
            throw ModelError.invalidInput("frame pairs differ in shape: \(frames.shape) vs \(nextFrames.shape)")
        }
        guard !variant.needsKnownMotion else {
            throw ModelError.unsupportedOperation("a `\(variant.name)` model cannot estimate T^z from frames; train a model of a variant that reads frames (\(TransformVariants.all.filter { !$0.needsKnownMotion }.map { $0.name }.joined(separator: ", ")))")
        }
        var inputs = TransformInputs(frames: frames, nextFrames: nextFrames)
        if variant.readsCharacterFeatures {
            inputs.characterFeatures = characterEncoder(frames).coarse
            inputs.nextCharacterFeatures = characterEncoder(nextFrames).coarse
        }
        return try transform.theta(for: inputs, tape: nil)
    }

    // MARK: - Rendering operations

    /// g(f(x) + h(x)): the model's own re-render of each frame.
    public func reconstruct(_ frames: Tensor) throws -> Tensor {
        try checkFrames(frames)
        return compose(character: characterEncoder(frames), background: backgroundEncoder(frames))
    }

    /// g(T^z(f(x)) + h(x)): each frame with its character moved by θ_z.
    public func render(_ frames: Tensor, theta: Tensor) throws -> Tensor {
        try checkFrames(frames)
        try checkTheta(theta, batch: frames.shape[0])
        return compose(character: warpFeatures(characterEncoder(frames), theta: theta), background: backgroundEncoder(frames))
    }

    /// Each frame with its character moved by a pixel-space motion (re-render under any affine).
    public func rerender(_ frames: Tensor, motions: [Affine2D]) throws -> Tensor {
        try render(frames, theta: featureTheta(forMotions: motions))
    }

    /// g(T^z(f(x_c)) + h(x_b)): the character of `characterFrames` over the background of
    /// `backgroundFrames` (θ_z defaults to the identity).
    public func swap(characterFrames: Tensor, backgroundFrames: Tensor, theta: Tensor? = nil) throws -> Tensor {
        try checkFrames(characterFrames, "character frames")
        try checkFrames(backgroundFrames, "background frames")
        guard characterFrames.shape == backgroundFrames.shape else {
            throw ModelError.invalidInput("character frames \(characterFrames.shape) and background frames \(backgroundFrames.shape) differ")
        }
        return compose(character: moveCharacter(characterEncoder(characterFrames), theta: theta), background: backgroundEncoder(backgroundFrames))
    }

    /// T^z(character), or the features unchanged without θ_z.
    public func moveCharacter(_ character: FeatureMaps, theta: Tensor?) -> FeatureMaps {
        guard let theta else { return character }
        return warpFeatures(character, theta: theta)
    }

    /// g(T^z(f(x), f(x'))·f(x'') + h(x'')): `targets` moved the way `sources` → `sourcesNext` moved.
    public func transfer(from sources: Tensor, to sourcesNext: Tensor, onto targets: Tensor) throws -> Tensor {
        let theta = try estimateTheta(from: sources, to: sourcesNext)
        return try render(targets, theta: theta)
    }

    /// g(f(x)): the character alone.
    public func renderCharacterOnly(_ frames: Tensor) throws -> Tensor { render(try encodeCharacter(frames)) }

    /// g(h(x)): the background alone.
    public func renderBackgroundOnly(_ frames: Tensor) throws -> Tensor { render(try encodeBackground(frames)) }

    /// θ_x = motion⁻¹ for each motion, as [N, 6]; a non-invertible motion is an input error.
    public static func samplingMatrices(for motions: [Affine2D]) throws -> Tensor {
        do { return try Affine2D.samplingMatrices(for: motions) } catch { throw ModelError.invalidInput(error.description) }
    }

    func checkTheta(_ theta: Tensor, batch: Int) throws {
        guard theta.shape == [batch, 6] else { throw ModelError.invalidInput("theta must be [\(batch), 6], got \(theta.shape)") }
        guard theta.isFinite else { throw ModelError.invalidInput("theta contains NaN or infinite values") }
    }
}

extension EquivariantModel {
    /// Copies the weights of f, h and g from another model with the same channel counts (any
    /// T^z variant) — e.g. to start a `pixels` or `features` model from a `given` one — and
    /// returns how many tensors were copied; a layered model also takes a layered one's
    /// coverage head. Tensors are matched by name, so renderer blocks and fine-level heads that
    /// only this model has keep their fresh weights (a fine level starts at zero: the copy
    /// then renders as its source does). The T^z predictor keeps its own weights.
    ///
    /// The resolutions may differ: f, h, g and the coverage head are convolutions and group
    /// norms, whose weights do not depend on the frame size, so a 64×64 model can start a
    /// 128×128 one (which then sees every structure at twice the size in pixels).
    @discardableResult
    public func copyEncodersAndRenderer(from other: EquivariantModel) throws -> Int {
        let c = configuration, o = other.configuration
        guard c.featureChannels == o.featureChannels, c.baseChannels == o.baseChannels, c.groups == o.groups else {
            throw ModelError.invalidConfiguration("cannot copy f, h, g from a model with \(o.featureChannels)/\(o.baseChannels) channels in \(o.groups) groups into one with \(c.featureChannels)/\(c.baseChannels) in \(c.groups)")
        }
        func sharedParameters(_ model: EquivariantModel) -> [Parameter] {
            model.characterEncoder.parameters + model.backgroundEncoder.parameters + model.renderer.parameters + (model.coverage?.parameters ?? [])
        }
        let theirs = Dictionary(uniqueKeysWithValues: sharedParameters(other).map { ($0.name, $0) })
        var copied = 0
        for mine in sharedParameters(self) {
            guard let source = theirs[mine.name], source.value.shape == mine.value.shape else { continue }
            mine.value = source.value
            copied += 1
        }
        return copied
    }
}
