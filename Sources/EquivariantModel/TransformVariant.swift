import NeuralNetwork
import Tensors

/// What a T^z variant may read to produce θ_z for a batch of pairs (x → x'). Each variant
/// takes what it needs and ignores the rest.
public struct TransformInputs {
    /// x, [N, 3, R, R].
    public var frames: Tensor
    /// x', [N, 3, R, R].
    public var nextFrames: Tensor
    /// f(x), [N, C', R/4, R/4], for variants that read it (see
    /// ``TransformVariant/readsCharacterFeatures``).
    public var characterFeatures: Tensor?
    /// f(x'), [N, C', R/4, R/4], likewise.
    public var nextCharacterFeatures: Tensor?
    /// θ_x, the sampling matrices of the known pixel motions [N, 6], when the data has them.
    public var knownTheta: Tensor?

    /// Bundles the inputs.
    public init(frames: Tensor, nextFrames: Tensor, characterFeatures: Tensor? = nil, nextCharacterFeatures: Tensor? = nil, knownTheta: Tensor? = nil) {
        self.frames = frames
        self.nextFrames = nextFrames
        self.characterFeatures = characterFeatures
        self.nextCharacterFeatures = nextCharacterFeatures
        self.knownTheta = knownTheta
    }
}

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
}

extension TransformVariant {
    /// By default a variant does not read the character features.
    public static var readsCharacterFeatures: Bool { false }

    /// By default θ_z of a known motion is its exact correspondence, θ_x.
    public func theta(forKnownTheta thetaX: Tensor) -> Tensor { thetaX }
}

/// The registry of T^z variants: the one place that lists them.
public enum TransformVariants {
    /// Every variant, in the order help texts list them.
    public static let all: [any TransformVariant.Type] = [GivenTransform.self, PixelsTransform.self, FeaturesTransform.self]

    /// The names of every variant (`given`, `pixels`, `features`).
    public static var names: [String] { all.map { $0.name } }

    /// The variant called `name`, or nil.
    public static func named(_ name: String) -> (any TransformVariant.Type)? { all.first { $0.name == name } }

    /// The names joined for messages: "given, pixels or features".
    public static var nameList: String {
        let names = self.names
        return names.count < 2 ? names.joined() : names.dropLast().joined(separator: ", ") + " or " + names.last!
    }
}
