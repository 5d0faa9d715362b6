#if canImport(Glibc)
import Glibc
#endif
import Tensors

/// A smooth random affine walk: the placement `A_t` of a character at every frame `t`,
/// deterministic from a seed.
///
/// `A_t` is a **motion** in normalised coordinates (it moves canonical content at p to
/// `A_t·p`; render with the sampling matrix `A_t⁻¹`), built as
/// `Affine2D(angle:scaleX:scaleY:shear:translationX:translationY:)`, i.e.
/// `p ↦ t + R(angle)·Sh(shear)·diag(sx, sy)·p`. Each of the six parameters (angle, log
/// scale, log anisotropy, shear, tx, ty) is its centre plus a sum of three sinusoids with
/// random low frequencies and phases whose amplitudes add up to at most the parameter's
/// limit, so every parameter stays inside `limits` at every time and moves smoothly.
/// The scale is `s = exp(logScale)`, `sx = s·exp(a)`, `sy = s·exp(−a)`.
public struct AffineWalk: Equatable, Sendable {
    /// Bounds and speed of a walk.
    public struct Limits: Equatable, Sendable {
        /// Largest rotation, in radians either way (default 35°).
        public var maxAngle: Float
        /// The range of the uniform scale `s`.
        public var scaleRange: ClosedRange<Float>
        /// Largest log anisotropy `a` (`sx/sy = exp(2a)`).
        public var maxAnisotropy: Float
        /// Largest shear, either way.
        public var maxShear: Float
        /// Largest translation on each axis, normalised units (1 = half the frame).
        public var maxTranslation: Float
        /// Frequencies of the sinusoids, in cycles per frame.
        public var cyclesPerFrame: ClosedRange<Float>

        /// Creates limits; the defaults give steps of a few pixels per frame at 64×64.
        public init(maxAngle: Float = 35 * Float.pi / 180, scaleRange: ClosedRange<Float> = 0.75...1.25,
                    maxAnisotropy: Float = 0.08, maxShear: Float = 0.15, maxTranslation: Float = 0.45,
                    cyclesPerFrame: ClosedRange<Float> = 0.018...0.06) {
            self.maxAngle = maxAngle
            self.scaleRange = scaleRange
            self.maxAnisotropy = maxAnisotropy
            self.maxShear = maxShear
            self.maxTranslation = maxTranslation
            self.cyclesPerFrame = cyclesPerFrame
        }

        /// Throws when a bound is negative, not finite, or the scale range is not positive.
        public func validate() throws(SceneError) {
            let values = [maxAngle, scaleRange.lowerBound, scaleRange.upperBound, maxAnisotropy, maxShear,
                          maxTranslation, cyclesPerFrame.lowerBound, cyclesPerFrame.upperBound]
            guard values.allSatisfy(\.isFinite) else {
                throw SceneError.invalidConfiguration("walk limits must be finite, got \(self)")
            }
            guard scaleRange.lowerBound > 0 else {
                throw SceneError.invalidConfiguration("walk scale range must be positive, got \(scaleRange)")
            }
            guard maxAngle >= 0, maxAnisotropy >= 0, maxShear >= 0, maxTranslation >= 0, cyclesPerFrame.lowerBound >= 0 else {
                throw SceneError.invalidConfiguration("walk bounds and frequencies must be non-negative, got \(self)")
            }
        }
    }

    /// The placement parameters at one time.
    public struct Parameters: Equatable, Sendable {
        /// Rotation, radians (screen-counter-clockwise, as `Affine2D`).
        public var angle: Float
        /// Scale along the character's x axis.
        public var scaleX: Float
        /// Scale along the character's y axis.
        public var scaleY: Float
        /// Shear along x.
        public var shear: Float
        /// Translation, normalised units.
        public var translationX: Float
        /// Translation, normalised units.
        public var translationY: Float

        /// The motion these parameters describe.
        public var transform: Affine2D {
            Affine2D(angle: angle, scaleX: scaleX, scaleY: scaleY, shear: shear, translationX: translationX, translationY: translationY)
        }
    }

    /// One parameter: `centre + Σ amplitude·sin(2π·frequency·t + phase)`.
    struct Track: Equatable, Sendable {
        var centre: Double
        var amplitudes: [Double], frequencies: [Double], phases: [Double]

        init(centre: Float, limit: Float, limits: Limits, generator g: inout SeededGenerator) {
            self.centre = Double(centre)
            // Different walks use different shares of the range.
            let reach = Double(limit) * Double(g.nextFloat(in: 0.65...1))
            let weights = (0..<3).map { _ in Double(g.nextFloat(in: 0.2...1)) }
            let total = weights.reduce(0, +)
            amplitudes = weights.map { $0 / total * reach }
            frequencies = (0..<3).map { _ in Double(g.nextFloat(in: limits.cyclesPerFrame)) }
            phases = (0..<3).map { _ in Double(g.nextFloat(in: 0...(2 * Float.pi))) }
        }

        func value(at time: Double) -> Float {
            var sum = centre
            for k in 0..<3 { sum += amplitudes[k] * sin(2 * Double.pi * frequencies[k] * time + phases[k]) }
            return Float(sum)
        }
    }

    /// The seed the walk was drawn from.
    public let seed: UInt64
    /// The bounds the walk respects.
    public let limits: Limits
    let angle: Track, logScale: Track, anisotropy: Track, shear: Track, translationX: Track, translationY: Track

    /// Draws a walk from `seed`.
    ///
    /// - Precondition: `limits.validate()` does not throw.
    public init(seed: UInt64, limits: Limits = Limits()) {
        do { try limits.validate() } catch { preconditionFailure("AffineWalk: \(error.description)") }
        self.seed = seed
        self.limits = limits
        var g = SeededGenerator(seed: mixSeed(seed, 0xA77E_3A1C))
        let logLow = logf(limits.scaleRange.lowerBound), logHigh = logf(limits.scaleRange.upperBound)
        angle = Track(centre: 0, limit: limits.maxAngle, limits: limits, generator: &g)
        logScale = Track(centre: (logLow + logHigh) / 2, limit: (logHigh - logLow) / 2, limits: limits, generator: &g)
        anisotropy = Track(centre: 0, limit: limits.maxAnisotropy, limits: limits, generator: &g)
        shear = Track(centre: 0, limit: limits.maxShear, limits: limits, generator: &g)
        translationX = Track(centre: 0, limit: limits.maxTranslation, limits: limits, generator: &g)
        translationY = Track(centre: 0, limit: limits.maxTranslation, limits: limits, generator: &g)
    }

    /// The placement parameters at `time` (in frames; fractional times interpolate smoothly).
    public func parameters(at time: Double) -> Parameters {
        let s = expf(logScale.value(at: time)), a = expf(anisotropy.value(at: time))
        return Parameters(angle: angle.value(at: time), scaleX: s * a, scaleY: s / a, shear: shear.value(at: time),
                          translationX: translationX.value(at: time), translationY: translationY.value(at: time))
    }

    /// The placement `A_t` (a motion from the canonical pose) at frame `time`.
    public func pose(at time: Double) -> Affine2D { parameters(at: time).transform }

    /// The motion from frame `time` to frame `time + gap`: `A_{t+gap}·A_t⁻¹`.
    public func motion(from time: Double, gap: Double) -> Affine2D {
        AffineWalk.motion(from: pose(at: time), to: pose(at: time + gap))
    }

    /// The motion `B·A⁻¹` that carries content placed at `pose` to `next`.
    ///
    /// - Precondition: `pose` is invertible.
    public static func motion(from pose: Affine2D, to next: Affine2D) -> Affine2D {
        guard let inverse = pose.inverse else { preconditionFailure("AffineWalk.motion: pose \(pose) is not invertible") }
        return next.composed(after: inverse)
    }
}
