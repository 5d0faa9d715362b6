/// The geometry of a 2-D convolution window over one `[channels, height, width]` image.
public struct ConvolutionGeometry: Equatable, Sendable {
    /// Input channels.
    public var channels: Int
    /// Input height and width.
    public var height: Int, width: Int
    /// Kernel height and width.
    public var kernelHeight: Int, kernelWidth: Int
    /// Step between windows, the same on both axes.
    public var stride: Int
    /// Zero padding added on every side.
    public var padding: Int

    /// Creates a geometry; see the properties.
    public init(channels: Int, height: Int, width: Int, kernelHeight: Int, kernelWidth: Int, stride: Int, padding: Int) {
        self.channels = channels
        self.height = height
        self.width = width
        self.kernelHeight = kernelHeight
        self.kernelWidth = kernelWidth
        self.stride = stride
        self.padding = padding
    }

    /// Output height: `(height + 2·padding − kernelHeight) / stride + 1`.
    public var outputHeight: Int { (height + 2 * padding - kernelHeight) / stride + 1 }
    /// Output width: `(width + 2·padding − kernelWidth) / stride + 1`.
    public var outputWidth: Int { (width + 2 * padding - kernelWidth) / stride + 1 }
    /// Rows of the column matrix: `channels · kernelHeight · kernelWidth`.
    public var columnRows: Int { channels * kernelHeight * kernelWidth }
    /// Columns of the column matrix: one per output pixel.
    public var columnCount: Int { outputHeight * outputWidth }
}
