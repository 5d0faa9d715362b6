#if canImport(Glibc)
import Glibc
#endif
import Tensors

// MARK: - Seeds

/// Mixes two 64-bit values into one well-spread seed (SplitMix64 finaliser applied twice), so
/// `(seed, index)` pairs give unrelated streams.
@inline(__always)
func mixSeed(_ a: UInt64, _ b: UInt64) -> UInt64 {
    var z = a ^ (b &* 0x9E37_79B9_7F4A_7C15 &+ 0xD1B5_4A32_D192_ED03)
    for _ in 0..<2 {
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        z ^= z >> 31
    }
    return z
}

// MARK: - Value noise

/// Smooth 2-D value noise: random values on an integer lattice, blended with the quintic fade
/// `6t⁵ − 15t⁴ + 10t³`. Continuous coordinates, so a field looks the same at any resolution.
struct ValueNoise: Sendable {
    let seed: UInt64

    @inline(__always)
    func lattice(_ ix: Int, _ iy: Int) -> Float {
        let key = UInt64(bitPattern: Int64(ix)) &* 0x8CB9_2BA7_2F3D_8DD7 ^ UInt64(bitPattern: Int64(iy)) &* 0xD6E8_FEB8_6659_FD93
        return Float(mixSeed(seed, key) >> 40) * (1.0 / Float(1 << 24))
    }

    @inline(__always)
    static func fade(_ t: Float) -> Float { t * t * t * (t * (t * 6 - 15) + 10) }

    /// The noise at `(x, y)` in lattice units, in [0, 1].
    @inline(__always)
    func value(_ x: Float, _ y: Float) -> Float {
        let fx = x.rounded(.down), fy = y.rounded(.down)
        let ix = Int(fx), iy = Int(fy)
        let tx = ValueNoise.fade(x - fx), ty = ValueNoise.fade(y - fy)
        let v00 = lattice(ix, iy), v10 = lattice(ix + 1, iy)
        let v01 = lattice(ix, iy + 1), v11 = lattice(ix + 1, iy + 1)
        let top = v00 + (v10 - v00) * tx, bottom = v01 + (v11 - v01) * tx
        return top + (bottom - top) * ty
    }
}

/// Fractal value noise: `octaves` layers, each at twice the frequency and half the weight of
/// the previous one, with independent lattices and random offsets.
struct FractalNoise: Sendable {
    private var layers: [(noise: ValueNoise, frequency: Float, weight: Float, offsetX: Float, offsetY: Float)] = []

    /// `frequency` is lattice cells per normalised unit for the first octave.
    init(octaves: Int, frequency: Float, generator: inout SeededGenerator) {
        var f = frequency, w: Float = 1, total: Float = 0
        for _ in 0..<octaves {
            layers.append((ValueNoise(seed: generator.next()), f, w,
                           generator.nextFloat(in: 0...64), generator.nextFloat(in: 0...64)))
            total += w
            f *= 2; w *= 0.5
        }
        for i in layers.indices { layers[i].weight /= total }
    }

    /// The field at normalised `(u, v)`, in [0, 1].
    @inline(__always)
    func value(_ u: Float, _ v: Float) -> Float {
        var sum: Float = 0
        for layer in layers {
            sum += layer.weight * layer.noise.value(u * layer.frequency + layer.offsetX, v * layer.frequency + layer.offsetY)
        }
        return sum
    }
}

// MARK: - Shaping functions

/// `0` below `edge0`, `1` above `edge1`, a smooth Hermite ramp between.
@inline(__always)
func smoothstep(_ edge0: Float, _ edge1: Float, _ x: Float) -> Float {
    let t = min(max((x - edge0) / (edge1 - edge0), 0), 1)
    return t * t * (3 - 2 * t)
}

/// `x` clamped to [0, 1].
@inline(__always)
func saturate(_ x: Float) -> Float { min(max(x, 0), 1) }

/// The normalised coordinate of the centre of pixel `i` of `n`: `(2i + 1)/n − 1`.
@inline(__always)
func pixelCentre(_ i: Int, _ n: Int) -> Float { Float(2 * i + 1) / Float(n) - 1 }

