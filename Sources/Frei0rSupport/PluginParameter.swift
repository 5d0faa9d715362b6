import Foundation

/// The plugins' parameters. frei0r doubles live in [0, 1]; each number's mapping onto the
/// effect's own range is declared here once (and documented in README.md).
enum PluginParameter: Int32, CaseIterable {
    case model, background, effect, angle, scale, translationX, translationY, fit, render

    /// The frei0r type (`F0R_PARAM_STRING` = 4, `F0R_PARAM_DOUBLE` = 1).
    var type: Int32 { [.model, .background, .effect, .fit, .render].contains(self) ? 4 : 1 }

    /// The short name shown by hosts.
    var name: String {
        switch self {
        case .model: return "model"
        case .background: return "background"
        case .effect: return "effect"
        case .fit: return "fit"
        case .render: return "render"
        case .angle: return "angle"
        case .scale: return "scale"
        case .translationX: return "tx"
        case .translationY: return "ty"
        }
    }

    /// The explanation shown by hosts.
    var explanation: String {
        switch self {
        case .model: return "path of the model checkpoint (.safetensors from eqr train)"
        case .background: return "path of the new background: an image, or a video (looped)"
        case .effect: return "swap, reconstruct, matte, cutout, transform, transform=angle=20+scale=1.3, transfer=template=FILE (as eqr -effect)"
        case .fit: return "a background of another aspect ratio: cover (scale and centre-crop, the default), contain (pad with black) or stretch (as eqr -bg-fit)"
        case .render: return "composite (the character's own pixels, cut out by a matte learned from the stream, over the background at full resolution; the default) or model (the model's rendering, scaled; as eqr -render)"
        case .angle: return "transform rotation: degrees = 360*v - 180 (0.5 = none)"
        case .scale: return "transform scale: 10^(2*v - 1), 0.1 ... 10 (0.5 = 1)"
        case .translationX: return "transform horizontal shift: 4*v - 2 normalised units (0.5 = none)"
        case .translationY: return "transform vertical shift: 4*v - 2 normalised units, down positive (0.5 = none)"
        }
    }

    /// The `transform` option this number drives and its value for a frei0r double `v`
    /// (clamped to [0, 1]).
    func transformOption(_ v: Double) -> (key: String, value: Double) {
        let p = min(max(v, 0), 1)
        switch self {
        case .angle: return ("angle", 360 * p - 180)
        case .scale: return ("scale", pow(10, 2 * p - 1))
        case .translationX: return ("tx", 4 * p - 2)
        case .translationY: return ("ty", 4 * p - 2)
        case .model, .background, .effect, .fit, .render: preconditionFailure("\(name) is not a number")
        }
    }

    /// The neutral value of each number (no rotation, scale 1, no shift).
    static let neutral = 0.5
}
