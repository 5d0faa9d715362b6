/// Weights of the training losses (all four are reported separately whatever the weights).
public struct LossWeights: Equatable, Codable, Sendable {
    /// L_s = ‖g(T^z(f(x)) + h(x)) − x'‖², next-frame prediction.
    public var scene: Float
    /// ‖g(f(x) + h(x)) − x‖², the identity case of the scene loss.
    public var reconstruction: Float
    /// L_c = ‖T^z(f(x)) − f(x')‖², equivariance of f. Kept small: on its own it rewards a
    /// silent f (DESIGN.md §1).
    public var character: Float
    /// L_b = ‖h(x') − h(x)‖², invariance of h.
    public var background: Float
    /// L_t = ‖θ_z − θ_x‖², supervision of the T^z predictor by the true motion where the
    /// data has it (synthetic scenes); 0 keeps training label-free. Ignored by `given`.
    public var transform: Float
    /// Divide L_c by the energy of the target features, `mean(f(x')²) + ε`, so that
    /// shrinking f or warping it out of the frame (zero padding) no longer lowers L_c: the
    /// unnormalised loss rewards a silent f and a T^z that samples nothing.
    public var normalizesCharacter: Bool
    /// Weight of `mean(α)` (layered renderer): keeps the coverage map sparse, so the
    /// background layer draws what does not move.
    public var alphaSparsity: Float
    /// Weight of `mean(α(1 − α))` (layered renderer): pushes α towards 0 or 1.
    public var alphaBinary: Float
    /// Weight of `‖θ_z(x, A·x) − θ(A)‖²` over motions A the trainer draws itself
    /// (``DrawnMotion``): label-free equivariance of a learned T^z. 0 turns it off.
    public var drawnMotion: Float
    /// Weight of `‖θ_z − θ_aligned‖²`, θ_aligned being the frame pair aligned where it
    /// differs (``PairAlignment``): a label-free teacher for a learned predictor (`pixels`,
    /// `features`), which reads only the frames. 0 turns it off.
    public var alignmentTeacher: Float

    /// Creates weights; defaults follow the prototype (w_c = w_b = 0.1), with L_c normalised.
    public init(scene: Float = 1, reconstruction: Float = 1, character: Float = 0.1, background: Float = 0.1, transform: Float = 0, normalizesCharacter: Bool = true,
                alphaSparsity: Float = 0.01, alphaBinary: Float = 0.01, drawnMotion: Float = 0, alignmentTeacher: Float = 0) {
        self.scene = scene
        self.reconstruction = reconstruction
        self.character = character
        self.background = background
        self.transform = transform
        self.normalizesCharacter = normalizesCharacter
        self.alphaSparsity = alphaSparsity
        self.alphaBinary = alphaBinary
        self.drawnMotion = drawnMotion
        self.alignmentTeacher = alignmentTeacher
    }

    /// Throws unless every weight is finite and non-negative and the scene weight positive.
    public func validate() throws {
        for (name, value) in [("scene", scene), ("reconstruction", reconstruction), ("character", character), ("background", background), ("transform", transform),
                              ("alpha sparsity", alphaSparsity), ("alpha binary", alphaBinary), ("drawn motion", drawnMotion),
                              ("alignment teacher", alignmentTeacher)] {
            guard value.isFinite, value >= 0 else {
                throw ModelError.invalidConfiguration("loss weight \(name) must be a finite number ≥ 0, got \(value)")
            }
        }
        guard scene > 0 else { throw ModelError.invalidConfiguration("the scene loss weight must be positive") }
    }
}
