/// How the renderer draws a frame from the character features c = T^z(f(x)) and the
/// background features b = h(x).
public enum RendererKind: String, CaseIterable, Codable, Sendable {
    /// The research note's model: `x̂ = g(c + b)`.
    case additive
    /// A layered composite: `x̂ = α·g(c + b) + (1 − α)·g(b)`, with the coverage map α drawn
    /// from the character features alone, so only the character moves with θ (α ≡ 1 is the
    /// additive model).
    case layered

    /// The names, for help texts and messages.
    public static var nameList: String { allCases.map(\.rawValue).joined(separator: ", ") }
}
