#if canImport(Glibc)
import Glibc
#endif
import Tensors

/// Static scene backgrounds ("plates"): either procedural textures, deterministic from
/// `(seed, index)`, or caller-supplied photos.
///
/// Every background is an RGB planar tensor `[3, H, W]` with values in [0, 1]. A procedural
/// background mixes a two-colour gradient, fractal value noise (2–3 octaves) mapped through
/// a palette, and often a pattern (stripes, checks, rings or noise-warped waves) in another
/// colour, each with its own random palette scheme, frequencies and orientation. The texture
/// is defined in normalised coordinates, so the same index looks the same at any resolution.
///
/// Generating a procedural background costs a fraction of a millisecond at 64×64; callers
/// that need the same index often (such as `SceneGenerator`) keep the result.
public struct BackgroundBank: Sendable {
    /// Image height in pixels.
    public let height: Int
    /// Image width in pixels.
    public let width: Int

    private enum Source: Sendable {
        case procedural(seed: UInt64)
        case images([Tensor])
    }

    private let source: Source

    /// A procedural bank: `background(at:)` accepts any non-negative index.
    public init(seed: UInt64, height: Int, width: Int) throws(SceneError) {
        guard height > 0, width > 0, height <= 4096, width <= 4096 else {
            throw SceneError.invalidConfiguration("background size must be in 1...4096 on each side, got \(height)×\(width)")
        }
        self.height = height
        self.width = width
        source = .procedural(seed: seed)
    }

    /// A bank of caller-supplied photos, already decoded to `[3, H, W]` floats in [0, 1]; all
    /// must share one size. Index `i` is `images[i]`.
    public init(images: [Tensor]) throws(SceneError) {
        guard let first = images.first else { throw SceneError.invalidImage("no background images given") }
        guard first.rank == 3, first.shape[0] == 3, first.shape[1] > 0, first.shape[2] > 0 else {
            throw SceneError.invalidImage("background image 0 must be [3, H, W], got \(first.shape)")
        }
        for (i, image) in images.enumerated() {
            guard image.shape == first.shape else {
                throw SceneError.invalidImage("background image \(i) has shape \(image.shape), image 0 has \(first.shape)")
            }
            guard image.scalars.allSatisfy({ $0.isFinite && $0 >= 0 && $0 <= 1 }) else {
                throw SceneError.invalidImage("background image \(i) has values outside [0, 1] (or not finite)")
            }
        }
        height = first.shape[1]
        width = first.shape[2]
        source = .images(images)
    }

    /// The number of photos, or `nil` for a procedural bank (any index ≥ 0 is valid).
    public var imageCount: Int? {
        if case .images(let images) = source { return images.count }
        return nil
    }

    /// Whether `index` names a background of this bank.
    public func contains(_ index: Int) -> Bool {
        guard index >= 0 else { return false }
        return imageCount.map { index < $0 } ?? true
    }

    /// The background `index` as `[3, H, W]` in [0, 1].
    ///
    /// - Precondition: `contains(index)`.
    public func background(at index: Int) -> Tensor {
        precondition(contains(index), "BackgroundBank: index \(index) is outside the bank (\(imageCount.map { "0..<\($0)" } ?? "0 and above"))")
        switch source {
        case .images(let images): return images[index]
        case .procedural(let seed): return ProceduralBackground(seed: mixSeed(seed, UInt64(index))).render(height: height, width: width)
        }
    }
}

/// The recipe of one procedural background, drawn from a seed.
struct ProceduralBackground {
    enum Pattern { case none, stripes, checks, rings, waves }

    var gradientFrom: Colour, gradientTo: Colour, gradientDirection: (Float, Float)
    var noiseStops: [Colour], noise: FractalNoise, noiseWeight: Float, noiseContrast: Float
    var pattern: Pattern, patternColour: Colour, patternWeight: Float
    var patternPeriod: Float, patternDirection: (Float, Float), patternPhase: Float, patternSoftness: Float
    var ringCentre: (Float, Float), warpAmount: Float, warp: FractalNoise

    init(seed: UInt64) {
        var g = SeededGenerator(seed: seed)
        // Palette: a scheme of related hues around a random base hue.
        let base = g.nextUnitFloat()
        let hues: [Float]
        switch Int(g.next() % 4) {
        case 0: hues = [0, 0.07, -0.07, 0.14].map { base + $0 }           // analogous
        case 1: hues = [0, 0.5, 0.06, 0.56].map { base + $0 }             // complementary
        case 2: hues = [0, 1.0 / 3, 2.0 / 3, 0.1].map { base + $0 }       // triadic
        default: hues = (0..<4).map { _ in g.nextUnitFloat() }          // free
        }
        let saturationScale = g.nextFloat(in: 0.45...1)
        var colours: [Colour] = hues.map { hue in
            Colour(hue: hue, saturation: saturationScale * g.nextFloat(in: 0.35...0.95), value: g.nextFloat(in: 0.3...0.95))
        }
        // One dark and one light stop so every plate has some contrast.
        colours[1] = Colour(hue: hues[1], saturation: saturationScale * g.nextFloat(in: 0.4...0.9), value: g.nextFloat(in: 0.15...0.4))
        colours[2] = Colour(hue: hues[2], saturation: saturationScale * g.nextFloat(in: 0.2...0.7), value: g.nextFloat(in: 0.75...1))

        gradientFrom = colours[0]
        gradientTo = colours[Int(g.next() % 3) + 1].mixed(with: colours[0], 0.3)
        let gradientAngle = g.nextFloat(in: 0...(2 * Float.pi))
        gradientDirection = (cosf(gradientAngle), sinf(gradientAngle))

        noiseStops = [colours[1], colours[0], colours[2], colours[3]].shuffledDeterministically(&g)
        noise = FractalNoise(octaves: g.nextUnitFloat() < 0.5 ? 2 : 3, frequency: g.nextFloat(in: 0.8...2.6), generator: &g)
        noiseWeight = g.nextFloat(in: 0.4...0.9)
        noiseContrast = g.nextFloat(in: 1.6...2.4)

        let patterns: [Pattern] = [.none, .stripes, .stripes, .checks, .checks, .rings, .waves, .waves]
        pattern = patterns[Int(g.next() % UInt64(patterns.count))]
        patternColour = Colour(hue: g.nextUnitFloat(), saturation: g.nextFloat(in: 0.3...0.9), value: g.nextFloat(in: 0.2...1))
        patternWeight = g.nextFloat(in: 0.3...0.7)
        patternPeriod = g.nextFloat(in: 0.18...0.6)
        let patternAngle = g.nextFloat(in: 0...(2 * Float.pi))
        patternDirection = (cosf(patternAngle), sinf(patternAngle))
        patternPhase = g.nextFloat(in: 0...(2 * Float.pi))
        patternSoftness = g.nextFloat(in: 0.1...0.6)
        ringCentre = (g.nextFloat(in: -1.2...1.2), g.nextFloat(in: -1.2...1.2))
        warpAmount = g.nextFloat(in: 0.15...0.4)
        warp = FractalNoise(octaves: 2, frequency: g.nextFloat(in: 0.8...1.6), generator: &g)
    }

    /// The pattern's coverage at `(u, v)`, in [0, 1].
    func patternMask(_ u: Float, _ v: Float) -> Float {
        let twoPi = 2 * Float.pi
        let along = u * patternDirection.0 + v * patternDirection.1
        let across = -u * patternDirection.1 + v * patternDirection.0
        let wave: Float
        switch pattern {
        case .none: return 0
        case .stripes: wave = sinf(twoPi * along / patternPeriod + patternPhase)
        case .checks: wave = sinf(twoPi * along / patternPeriod + patternPhase) * sinf(twoPi * across / patternPeriod)
        case .rings:
            let dx = u - ringCentre.0, dy = v - ringCentre.1
            wave = sinf(twoPi * (dx * dx + dy * dy).squareRoot() / patternPeriod + patternPhase)
        case .waves: wave = sinf(twoPi * (along + warpAmount * (warp.value(u, v) - 0.5) * 4) / patternPeriod + patternPhase)
        }
        return smoothstep(-patternSoftness, patternSoftness, wave)
    }

    /// The background sampled at pixel centres: `[3, height, width]`, values in [0, 1].
    func render(height: Int, width: Int) -> Tensor {
        let plane = height * width
        var scalars = [Float](repeating: 0, count: 3 * plane)
        for i in 0..<height {
            let v = pixelCentre(i, height)
            for j in 0..<width {
                let u = pixelCentre(j, width)
                let t = (u * gradientDirection.0 + v * gradientDirection.1) * 0.3536 + 0.5  // 1/(2√2): [-√2, √2] → [0, 1]
                var c = gradientFrom.mixed(with: gradientTo, t)
                let n = saturate((noise.value(u, v) - 0.5) * noiseContrast + 0.5)
                c = c.mixed(with: ramp(noiseStops, n), noiseWeight)
                c = c.mixed(with: patternColour, patternWeight * patternMask(u, v)).clamped
                let k = i * width + j
                scalars[k] = c.r; scalars[plane + k] = c.g; scalars[2 * plane + k] = c.b
            }
        }
        return Tensor(shape: [3, height, width], scalars: scalars)
    }
}

extension Array {
    /// The elements in an order drawn from `generator` (Fisher–Yates), the same on every machine.
    func shuffledDeterministically(_ generator: inout SeededGenerator) -> [Element] {
        var result = self
        guard count > 1 else { return result }
        for i in stride(from: count - 1, to: 0, by: -1) {
            result.swapAt(i, Int(generator.next() % UInt64(i + 1)))
        }
        return result
    }
}
