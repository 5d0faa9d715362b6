import CFrei0r

/// The two plugins built from this code: the filter that FFmpeg runs (background from a file)
/// and the mixer2 that MLT-based editors run (background from the second input).
public enum PluginKind: Sendable {
    /// `equivariant.so`: one input, the background is a path parameter.
    case filter
    /// `equivariant_mixer.so`: input 1 is the character, input 2 the background.
    case mixer

    /// The plugin these entry points are linked into (its target defines
    /// `eqr_frei0r_plugin_kind`).
    static var current: PluginKind { eqr_frei0r_plugin_kind() == 1 ? .mixer : .filter }

    /// The parameters in host order (FFmpeg's `frei0r=equivariant:p0|p1|...`, MLT's indices).
    var parameters: [PluginParameter] {
        switch self {
        case .filter: return PluginParameter.allCases
        case .mixer: return PluginParameter.allCases.filter { $0 != .background }
        }
    }
}
