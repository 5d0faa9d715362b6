/// How a learned T^z predictor (`pixels`, `features`) turns its last layer into θ_z.
public enum TransformOutput: String, CaseIterable, Codable, Sendable {
    /// The last dense layer is θ_z itself (models trained before the bound existed).
    case direct
    /// `θ_z = [I + 0.5·tanh(u_A) | tanh(u_t)]` (`BoundedAffine`): the warp cannot leave the
    /// frame, so a label-free predictor cannot drift into a region without gradient.
    case bounded
    /// `features` only: θ_z from where 4 learned keypoint heatmaps on each frame's character
    /// features peak (soft-argmax), the affine map carrying x's keypoints onto x''s
    /// (``PoseEstimate``). Its translation is bounded by construction and tied to where the
    /// character is.
    case pose
    /// `pixels` only: no learned layer; θ_z aligns the frame pair itself, robust
    /// Lucas–Kanade over the pixels where x and x' differ (``PairAlignment``). Label-free,
    /// and accurate from the first step, so f, h and g can train from scratch on it.
    case aligned

    /// The names, for help texts and messages.
    public static var nameList: String { allCases.map(\.rawValue).joined(separator: ", ") }
}
