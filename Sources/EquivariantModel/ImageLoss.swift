import NeuralNetwork
import Tensors

/// The per-pixel loss of the rendered frames (scene and reconstruction terms).
public enum ImageLoss: String, CaseIterable, Sendable {
    /// Mean squared error, as in the note: it forgives many small errors, so renders blur.
    case squaredError = "mse"
    /// Mean absolute error: errors count linearly, which keeps edges and texture sharper.
    case absoluteError = "l1"

    /// The loss names, for help texts and errors.
    public static var nameList: String { allCases.map(\.rawValue).joined(separator: ", ") }

    /// The loss of `prediction` against `target` and its gradient with respect to the prediction.
    public func callAsFunction(_ prediction: Tensor, _ target: Tensor) -> (value: Float, gradient: Tensor) {
        switch self {
        case .squaredError: return Loss.meanSquaredError(prediction, target)
        case .absoluteError: return Loss.l1(prediction, target)
        }
    }
}
