import SyntheticScenes
import Tensors

/// Channel `channel` of a `[C, H, W]` tensor as a flat array.
func channelPlane(_ t: Tensor, _ channel: Int) -> [Float] {
    let plane = t.shape[1] * t.shape[2]
    return Array(t.scalars[(channel * plane)..<((channel + 1) * plane)])
}

/// The alpha channel of a `[4, H, W]` layer.
func alpha(_ layer: Tensor) -> [Float] { channelPlane(layer, 3) }

/// The fraction of the frame a layer's alpha covers.
func coverage(_ layer: Tensor) -> Double {
    Double(alpha(layer).reduce(0, +)) / Double(layer.shape[1] * layer.shape[2])
}

/// The mean absolute difference of two equally long arrays.
func meanAbsoluteDifference(_ a: [Float], _ b: [Float]) -> Double {
    precondition(a.count == b.count)
    var total = 0.0
    for i in a.indices { total += Double(abs(a[i] - b[i])) }
    return total / Double(a.count)
}

/// Premultiplied RGB (alpha·RGB) of a `[4, H, W]` layer, flattened.
func premultiplied(_ layer: Tensor) -> [Float] {
    let a = alpha(layer)
    return (0..<3).flatMap { c in zip(channelPlane(layer, c), a).map { $0 * $1 } }
}
