import Tensors
import VideoIO

extension Frame {
    /// The frame as a `[1, 3, height, width]` tensor in [0, 1], the layout the model takes.
    public var modelTensor: Tensor {
        Tensor(shape: [1, 3, height, width], scalars: planarFloat())
    }
}
