/// How the composite's matte is drawn (``CharacterMatte``).
public enum MatteStyle: String, CaseIterable, Sendable {
    /// The moving region for camera footage (``BackgroundPlate/isCameraFootage``), the
    /// edge-refined matte for a rendered clip.
    case automatic = "auto"
    /// The moving region: where the frame differs from the plate, spread around it and
    /// opaque, with the frame itself as the character layer (it keeps the character's blur,
    /// shadows and codec ringing, and a ring of the old background with them).
    case region
    /// The matte refined to the frame's own edges, soft where they are, with the plate taken
    /// out of the character layer (tight, but on camera footage it loses the character's
    /// blur and shadows).
    case edges

    /// The names, for messages.
    public static var nameList: String { allCases.map(\.rawValue).joined(separator: ", ") }

    /// Whether a frame over `plate` takes the moving region.
    public func takesMovingRegion(over plate: BackgroundPlate) -> Bool {
        switch self {
        case .automatic: plate.isCameraFootage
        case .region: true
        case .edges: false
        }
    }
}
