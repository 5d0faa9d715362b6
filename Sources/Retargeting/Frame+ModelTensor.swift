import Tensors
import VideoIO

extension Frame {
    /// The frame as a `[1, 3, height, width]` tensor in [0, 1], the layout the model takes.
    public var modelTensor: Tensor {
        Tensor(shape: [1, 3, height, width], scalars: planarFloat())
    }

    /// A frame from one image tensor, `[3, H, W]` or `[1, 3, H, W]`, values in [0, 1]
    /// (outside values are clamped, NaN becomes 0).
    /// - Throws: ``VideoIOError/invalidArgument(_:)`` for any other shape.
    public init(modelTensor tensor: Tensor, timestamp: Double = 0, index: Int = 0) throws {
        let shape = tensor.shape
        guard (shape.count == 3 && shape[0] == 3) || (shape.count == 4 && shape[0] == 1 && shape[1] == 3) else {
            throw VideoIOError.invalidArgument("a frame needs a [3, H, W] or [1, 3, H, W] tensor, got \(shape)")
        }
        try self.init(width: shape[shape.count - 1], height: shape[shape.count - 2], planarFloat: tensor.scalars, timestamp: timestamp, index: index)
    }
}
