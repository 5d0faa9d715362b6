import NeuralNetwork
import Tensors

/// The per-pixel loss of the rendered frames (scene and reconstruction terms).
public enum ImageLoss: String, CaseIterable, Sendable {
    /// Mean squared error, as in the note: it forgives many small errors, so renders blur.
    case squaredError = "mse"
    /// Mean absolute error: errors count linearly, which keeps edges and texture sharper.
    case absoluteError = "l1"
    /// `0.85·(1 − SSIM)/2 + 0.15·L1` over 3×3 windows (the mix self-supervised depth models
    /// train with): structure and local contrast count, so blur costs even where the mean
    /// colour is right.
    case structural = "ssim"

    /// The loss names, for help texts and errors.
    public static var nameList: String { allCases.map(\.rawValue).joined(separator: ", ") }

    /// The loss of `prediction` against `target` and its gradient with respect to the prediction.
    public func callAsFunction(_ prediction: Tensor, _ target: Tensor) -> (value: Float, gradient: Tensor) {
        switch self {
        case .squaredError: return Loss.meanSquaredError(prediction, target)
        case .absoluteError: return Loss.l1(prediction, target)
        case .structural:
            let ssim = StructuralSimilarity.loss(prediction, target), l1 = Loss.l1(prediction, target)
            return (0.85 * ssim.value + 0.15 * l1.value, ssim.gradient * 0.85 + l1.gradient * 0.15)
        }
    }
}
