import NeuralNetwork
import Tensors

/// Where the feature-space transform T^z comes from: one of the research note's three
/// variations. A variant owns its trainable layers (checkpoint keys `t.<name>.*`), produces
/// the sampling matrices θ_z [N, 6] and back-propagates into its parameters and, when it
/// reads them, into the character features.
///
/// Every variant starts at the exact correspondence (T^z = T^x for `given`, the identity for
/// the predictors), so training starts stable. Register a new variant in
/// ``TransformVariants/all``; names, checkpoints, the command line and the C API follow.
public protocol TransformVariant: AnyObject {
    /// The name used in checkpoints (`variant` metadata), on the command line (`--variant`)
    /// and by the C API (`eqr_model_variant`).
    static var name: String { get }
    /// One line for help texts.
    static var summary: String { get }
    /// Whether θ_z is a function of the known motion T^x, so training needs the true motion
    /// of every pair (synthetic scenes) and θ_z cannot be estimated from frames.
    static var needsKnownMotion: Bool { get }
    /// Whether θ_z is computed from the character features (f(x), f(x')), so callers must
    /// fill them in ``TransformInputs`` and the gradient flows back into f.
    static var readsCharacterFeatures: Bool { get }

    /// Builds the variant's layers for `configuration`, initialised from `generator`.
    init(configuration: ModelConfiguration, generator: inout SeededGenerator)

    /// The trainable parameters, in checkpoint order.
    var parameters: [Parameter] { get }

    /// θ_z [N, 6] for a batch; with a tape, records what ``backward(_:tape:)`` needs.
    /// - Throws: ``ModelError/invalidInput(_:)`` when the inputs lack what the variant reads.
    func theta(for inputs: TransformInputs, tape: Tape?) throws -> Tensor

    /// Accumulates parameter gradients from dL/dθ_z and returns the gradients with respect
    /// to (f(x), f(x')) when the variant reads the character features, else nil.
    func backward(_ thetaGradient: Tensor, tape: Tape) -> (characterFeatures: Tensor, nextCharacterFeatures: Tensor)?

    /// θ_z for the known sampling matrices θ_x [N, 6] (the re-render and transform effects):
    /// the learned map for `given`, θ_x itself for variants that estimate motion from frames
    /// (their feature space shares the frames' normalised coordinates).
    func theta(forKnownTheta thetaX: Tensor) -> Tensor
    /// The variant's network as data (``ModelArchitecture``), or nil when it has none.
    var networkDescription: [LayerDescription]? { get }
}

extension TransformVariant {
    /// By default a variant does not read the character features.
    public static var readsCharacterFeatures: Bool { false }

    /// By default θ_z of a known motion is its exact correspondence, θ_x.
    public func theta(forKnownTheta thetaX: Tensor) -> Tensor { thetaX }
}
