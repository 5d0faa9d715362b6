#if canImport(Glibc)
import Glibc
#endif
import Tensors

/// A linear RGB colour with components in [0, 1].
struct Colour: Sendable {
    var r: Float, g: Float, b: Float

    /// From hue (turns, any real: wraps), saturation and value in [0, 1].
    init(hue: Float, saturation s: Float, value v: Float) {
        let h = (hue - hue.rounded(.down)) * 6
        let sector = min(Int(h), 5), f = h - Float(sector)
        let p = v * (1 - s), q = v * (1 - s * f), t = v * (1 - s * (1 - f))
        switch sector {
        case 0: (r, g, b) = (v, t, p)
        case 1: (r, g, b) = (q, v, p)
        case 2: (r, g, b) = (p, v, t)
        case 3: (r, g, b) = (p, q, v)
        case 4: (r, g, b) = (t, p, v)
        default: (r, g, b) = (v, p, q)
        }
    }

    init(r: Float, g: Float, b: Float) { self.r = r; self.g = g; self.b = b }

    /// `self` towards `other` by `t` (0 gives `self`).
    @inline(__always)
    func mixed(with other: Colour, _ t: Float) -> Colour {
        Colour(r: r + (other.r - r) * t, g: g + (other.g - g) * t, b: b + (other.b - b) * t)
    }

    /// Every component multiplied by `k`.
    @inline(__always)
    func scaled(_ k: Float) -> Colour { Colour(r: r * k, g: g * k, b: b * k) }

    /// Components clamped to [0, 1].
    var clamped: Colour { Colour(r: saturate(r), g: saturate(g), b: saturate(b)) }
}

/// A piecewise-linear colour ramp through `stops` (evenly spaced over [0, 1]).
@inline(__always)
func ramp(_ stops: [Colour], _ t: Float) -> Colour {
    let x = saturate(t) * Float(stops.count - 1)
    let i = min(Int(x), stops.count - 2)
    return stops[i].mixed(with: stops[i + 1], x - Float(i))
}
