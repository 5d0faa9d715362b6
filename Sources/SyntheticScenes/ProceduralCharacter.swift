#if canImport(Glibc)
import Glibc
#endif
import Tensors

/// The recipe of one procedural character, drawn from a seed: a star-shaped outline given by
/// its radius `r(φ)` around the frame centre, plus the colours and texture inside it.
///
/// Alpha is a linear ramp over `edgeWidth` pixels of the signed distance to the outline,
/// approximated near the outline by `(r(φ) − ρ) / √(1 + (r′(φ)/r(φ))²)`.
struct ProceduralCharacter {
    enum Kind: Int { case ellipse = 0, polygon, star, blob }
    enum Pattern { case stripes, checks, rings }

    static let tableSize = 720
    /// Width of the alpha ramp, in pixels.
    static let edgeWidth: Float = 1.5

    let kind: Kind
    /// `r(φ)` in normalised units at `φ = 2πk / tableSize`.
    private(set) var radius: [Float]
    private(set) var radiusDerivative: [Float]
    private(set) var maxRadius: Float = 0

    var body: Colour, stripe: Colour, spot: Colour, outline: Colour
    var pattern: Pattern, patternPeriod: Float, patternDirection: (Float, Float), patternPhase: Float
    var ringCentre: (Float, Float)
    var spots: [(x: Float, y: Float, r: Float)] = []
    var eye: (x: Float, y: Float, r: Float), pupil: (x: Float, y: Float, r: Float)

    init(seed: UInt64, kind kindIndex: Int) {
        var g = SeededGenerator(seed: seed)
        kind = Kind(rawValue: kindIndex % 4) ?? .blob
        let n = ProceduralCharacter.tableSize
        let step = 2 * Float.pi / Float(n)
        var raw = [Float](repeating: 1, count: n)
        var smoothing: Float = 0  // Gaussian σ in table steps (rounds corners and tips)
        switch kind {
        case .ellipse:
            let aspect = g.nextFloat(in: 1.35...1.8), egg = g.nextFloat(in: 0...0.15)
            for k in 0..<n {
                let phi = Float(k) * step, c = cosf(phi), s = sinf(phi)
                raw[k] = aspect / (c * c + aspect * aspect * s * s).squareRoot() * (1 + egg * c)
            }
        case .polygon:
            let sides = 3 + Int(g.next() % 4), stretch = g.nextFloat(in: 1...1.3)
            let sector = 2 * Float.pi / Float(sides)
            for k in 0..<n {
                let phi = Float(k) * step, c = cosf(phi), s = sinf(phi)
                let within = phi - (phi / sector).rounded(.down) * sector
                raw[k] = cosf(Float.pi / Float(sides)) / cosf(within - sector / 2)
                    * stretch / (c * c + stretch * stretch * s * s).squareRoot()
            }
            smoothing = Float(n) * g.nextFloat(in: 4...8) / 360
        case .star:
            let points = 4 + Int(g.next() % 4), depth = g.nextFloat(in: 0.3...0.48)
            for k in 0..<n {
                let x = Float(k * points % n) / Float(n)
                raw[k] = 1 - depth * (1 - abs(2 * x - 1))
            }
            smoothing = Float(n) * g.nextFloat(in: 2...4) / 360
        case .blob:
            var amplitudes: [(Float, Float)] = [(g.nextFloat(in: 0...0.1), g.nextFloat(in: 0...(2 * Float.pi)))]
            for harmonic in 2...5 {
                amplitudes.append((g.nextFloat(in: 0...(0.35 / Float(harmonic))), g.nextFloat(in: 0...(2 * Float.pi))))
            }
            for k in 0..<n {
                let phi = Float(k) * step
                var r: Float = 1
                for (h, (a, p)) in amplitudes.enumerated() { r += a * cosf(Float(h + 1) * phi + p) }
                raw[k] = max(r, 0.5)
            }
        }
        raw = ProceduralCharacter.circularGaussian(raw, sigma: smoothing)
        // A random orientation of the canonical pose.
        let turn = Int(g.next() % UInt64(n))
        raw = Array(raw[turn...] + raw[..<turn])
        // Scale to the target coverage: area = ½∮r² dφ, frame area = 4 normalised units.
        let area = raw.reduce(0) { $0 + $1 * $1 } * step / 2
        let coverage = g.nextFloat(in: 0.17...0.23)
        let scale = (coverage * 4 / area).squareRoot()
        radius = raw.map { $0 * scale }
        radiusDerivative = (0..<n).map { k in
            (raw[(k + 1) % n] - raw[(k + n - 1) % n]) * scale / (2 * step)
        }
        maxRadius = radius.max() ?? 0

        // Colours: three well-separated saturated hues, a dark outline.
        let hue = g.nextUnitFloat()
        body = Colour(hue: hue, saturation: g.nextFloat(in: 0.75...1), value: g.nextFloat(in: 0.8...1))
        stripe = Colour(hue: hue + g.nextFloat(in: 0.25...0.45), saturation: g.nextFloat(in: 0.75...1), value: g.nextFloat(in: 0.6...1))
        spot = Colour(hue: hue + g.nextFloat(in: 0.55...0.75), saturation: g.nextFloat(in: 0.6...1), value: g.nextFloat(in: 0.85...1))
        outline = body.scaled(0.28)

        pattern = [Pattern.stripes, .stripes, .checks, .rings][Int(g.next() % 4)]
        patternPeriod = g.nextFloat(in: 0.14...0.26)
        let angle = g.nextFloat(in: 0...(2 * Float.pi))
        patternDirection = (cosf(angle), sinf(angle))
        patternPhase = g.nextFloat(in: 0...(2 * Float.pi))
        ringCentre = (g.nextFloat(in: -0.3...0.3), g.nextFloat(in: -0.3...0.3))

        let spotCount = g.nextUnitFloat() < 0.75 ? 3 + Int(g.next() % 4) : 0
        var tmp: [(x: Float, y: Float, r: Float)] = []
        for _ in 0..<spotCount {
            let phi = g.nextFloat(in: 0...(2 * Float.pi))
            let rho = g.nextFloat(in: 0.15...0.7) * ProceduralCharacter.lookup(radius, phi).r
            tmp.append((rho * cosf(phi), rho * sinf(phi), g.nextFloat(in: 0.045...0.085)))
        }
        spots = tmp
        let eyeAngle = g.nextFloat(in: 0...(2 * Float.pi))
        let eyeDistance = 0.5 * ProceduralCharacter.lookup(radius, eyeAngle).r
        let eyeRadius = 0.13 * maxRadius
        eye = (eyeDistance * cosf(eyeAngle), eyeDistance * sinf(eyeAngle), eyeRadius)
        pupil = (eye.x + 0.35 * eyeRadius * cosf(eyeAngle), eye.y + 0.35 * eyeRadius * sinf(eyeAngle), 0.5 * eyeRadius)
    }

    /// `r(φ)` and `r′(φ)` by linear interpolation of a table.
    @inline(__always)
    static func lookup(_ table: [Float], _ phi: Float, derivative: [Float]? = nil) -> (r: Float, dr: Float) {
        let n = table.count
        var x = phi / (2 * Float.pi) * Float(n)
        x -= (x / Float(n)).rounded(.down) * Float(n)
        let i = min(Int(x), n - 1), f = x - Float(i), j = (i + 1) % n
        let r = table[i] + (table[j] - table[i]) * f
        guard let d = derivative else { return (r, 0) }
        return (r, d[i] + (d[j] - d[i]) * f)
    }

    /// A circular Gaussian blur of a periodic table (σ in table steps; ≤ 0.5 returns it unchanged).
    static func circularGaussian(_ values: [Float], sigma: Float) -> [Float] {
        guard sigma > 0.5 else { return values }
        let n = values.count, reach = Int((3 * sigma).rounded(.up))
        let weights = (-reach...reach).map { expf(-Float($0 * $0) / (2 * sigma * sigma)) }
        let total = weights.reduce(0, +)
        return (0..<n).map { k in
            var sum: Float = 0
            for (o, w) in weights.enumerated() { sum += w * values[((k + o - reach) % n + n) % n] }
            return sum / total
        }
    }

    /// The texture colour (before the outline) at normalised `(u, v)`; `pixel` is one pixel
    /// in normalised units, for anti-aliasing.
    @inline(__always)
    func texture(_ u: Float, _ v: Float, pixel: Float) -> Colour {
        let twoPi = 2 * Float.pi
        let along = u * patternDirection.0 + v * patternDirection.1
        let across = -u * patternDirection.1 + v * patternDirection.0
        let wave: Float
        switch pattern {
        case .stripes: wave = sinf(twoPi * along / patternPeriod + patternPhase)
        case .checks: wave = sinf(twoPi * along / patternPeriod + patternPhase) * sinf(twoPi * across / patternPeriod)
        case .rings:
            let dx = u - ringCentre.0, dy = v - ringCentre.1
            wave = sinf(twoPi * (dx * dx + dy * dy).squareRoot() / patternPeriod + patternPhase)
        }
        // The sine's slope is at most 2π/period per unit: a ramp about one pixel wide.
        let soft = twoPi / patternPeriod * pixel * 0.5
        var c = body.mixed(with: stripe, smoothstep(-soft, soft, wave))
        for s in spots {
            let d = ((u - s.x) * (u - s.x) + (v - s.y) * (v - s.y)).squareRoot()
            c = c.mixed(with: spot, saturate((s.r - d) / pixel + 0.5))
        }
        let de = ((u - eye.x) * (u - eye.x) + (v - eye.y) * (v - eye.y)).squareRoot()
        c = c.mixed(with: Colour(r: 0.96, g: 0.96, b: 0.94), saturate((eye.r - de) / pixel + 0.5))
        let dp = ((u - pupil.x) * (u - pupil.x) + (v - pupil.y) * (v - pupil.y)).squareRoot()
        c = c.mixed(with: Colour(r: 0.05, g: 0.05, b: 0.08), saturate((pupil.r - dp) / pixel + 0.5))
        // Soft light from the top left.
        return c.scaled(1 - 0.15 * (u + v) / max(maxRadius, 1e-3)).clamped
    }

    /// The layer sampled at pixel centres: `[4, height, width]` (RGB, alpha).
    func render(height: Int, width: Int) -> Tensor {
        let plane = height * width
        var scalars = [Float](repeating: 0, count: 4 * plane)
        let pixelsPerUnit = Float(min(height, width)) / 2, pixel = 1 / pixelsPerUnit
        for i in 0..<height {
            let v = pixelCentre(i, height)
            for j in 0..<width {
                let u = pixelCentre(j, width)
                let rho = (u * u + v * v).squareRoot()
                let (r, dr) = ProceduralCharacter.lookup(radius, atan2f(v, u), derivative: radiusDerivative)
                let distance = (r - rho) / (1 + (dr / max(r, 1e-3)) * (dr / max(r, 1e-3))).squareRoot() * pixelsPerUnit
                let alpha = saturate(0.5 + distance / ProceduralCharacter.edgeWidth)
                let c = distance < 1 ? outline : outline.mixed(with: texture(u, v, pixel: pixel), smoothstep(1, 2.2, distance))
                let k = i * width + j
                scalars[k] = c.r; scalars[plane + k] = c.g; scalars[2 * plane + k] = c.b; scalars[3 * plane + k] = alpha
            }
        }
        return Tensor(shape: [4, height, width], scalars: scalars)
    }
}
