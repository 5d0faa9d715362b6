import EquivariantModel
import Tensors

/// What the retargeting pipeline (``FramePipeline``) does to each frame. The same effects
/// back the `eqr` host, the C library and the frei0r plugins, so they mean the same everywhere.
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
    /// The character's matte α as grey (white = character, black = background) at the
    /// output's size, for compositing elsewhere: the matte the composite uses (the clip's
    /// plate, and a layered model's coverage where the plate is not trusted), or, in
    /// ``RenderMode/model``, a layered model's own coverage scaled up. Needs no background.
    case matte
    /// The character alone: its own pixels with that matte as alpha, transparent elsewhere
    /// (into an RGBA output; into one without alpha, the character over black, `x·α`).
    /// Needs no background.
    case cutout

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
