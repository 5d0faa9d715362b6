/// Which (character, background) pairs a scene sample may draw.
///
/// The generator keeps `trainedBackgroundCount` backgrounds for training (indices
/// `0..<trainedBackgroundCount`) and a disjoint set for evaluation (procedural banks:
/// `SceneGenerator.unseenBackgroundIndexOffset` onwards; photo banks: the photos after the
/// trained ones). With `holdsOutPairings` the "diagonal" pairs of the trained backgrounds,
/// `(background − character) mod max(characterCount, trainedBackgroundCount) == 0`, are
/// kept out of training too, so the renderer can be scored on character/background
/// combinations it never saw.
public enum SceneSplit: String, CaseIterable, Codable, Sendable {
    /// Trained backgrounds, every character, minus the held-out pairs (if any).
    case trainedBackgrounds
    /// Trained backgrounds with characters they were never paired with in training.
    case heldOutPairings
    /// Backgrounds never used in training, every character.
    case unseenBackgrounds
}
