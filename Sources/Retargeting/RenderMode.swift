/// What the frame pipeline outputs for swap, transform and transfer.
public enum RenderMode: String, CaseIterable, Sendable {
    /// Layers at the video's own resolution: the character's pixels from the frame, cut out
    /// by a matte from the clip's background plate (the model's coverage where the plate is
    /// unknown), laid over the new background at its own resolution (``LayerCompositor``).
    case composite
    /// The model's rendering g(T^z(f(x)) + h(b)) at its resolution, scaled to the output.
    case model

    /// The names, for messages.
    public static var nameList: String { allCases.map(\.rawValue).joined(separator: ", ") }
}
