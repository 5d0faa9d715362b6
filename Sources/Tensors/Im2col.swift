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
    /// Whether the column matrix is the image itself (1×1 kernel, stride 1, no padding).
    public var isPointwise: Bool { kernelHeight == 1 && kernelWidth == 1 && stride == 1 && padding == 0 }

    /// The range of output columns `ox` whose input column `ox·stride − padding + offset`
    /// lies inside `0..<extent`.
    @inlinable
    func validOutputs(offset: Int, extent: Int, outputs: Int) -> Range<Int> {
        // Smallest ox with ox*stride >= padding - offset, largest with ox*stride <= extent-1+padding-offset.
        let low = padding - offset
        let first = low <= 0 ? 0 : (low + stride - 1) / stride
        let high = extent - 1 + padding - offset
        let last = high < 0 ? -1 : min(outputs - 1, high / stride)
        return first <= last ? first..<(last + 1) : 0..<0
    }
}

/// Unfolds image patches into a matrix so a convolution becomes one GEMM (im2col), and
/// folds a column matrix back, summing overlaps (col2im, the adjoint used by backward).
///
/// Column matrix layout: row `(c·kernelHeight + ky)·kernelWidth + kx`, column
/// `oy·outputWidth + ox`, holding `image[c, oy·stride − padding + ky, ox·stride − padding + kx]`
/// (0 outside the image). This row order matches a weight tensor stored as
/// `[outputChannels, channels, kernelHeight, kernelWidth]`.
///
/// Both run on the calling thread; callers parallelise across samples or row blocks.
public enum Im2col {
    /// Fills `columns` for the output rows `rows` only: a `columnRows × (rows.count·outputWidth)`
    /// matrix whose column `(oy − rows.lowerBound)·outputWidth + ox` is output pixel (oy, ox).
    public static func unfold(
        _ image: UnsafePointer<Float>, into columns: UnsafeMutablePointer<Float>, geometry g: ConvolutionGeometry,
        outputRows rows: Range<Int>? = nil
    ) {
        let rows = rows ?? 0..<g.outputHeight
        let ow = g.outputWidth, width = rows.count * ow, plane = g.height * g.width, s = g.stride
        for c in 0..<g.channels {
            let source = image + c * plane
            for ky in 0..<g.kernelHeight {
                let rowsValid = g.validOutputs(offset: ky, extent: g.height, outputs: g.outputHeight).clamped(to: rows)
                for kx in 0..<g.kernelWidth {
                    let row = columns + ((c * g.kernelHeight + ky) * g.kernelWidth + kx) * width
                    let colsValid = g.validOutputs(offset: kx, extent: g.width, outputs: ow)
                    if colsValid.isEmpty || rowsValid.isEmpty {
                        row.update(repeating: 0, count: width)
                        continue
                    }
                    // Rows above and below the image are zero.
                    row.update(repeating: 0, count: (rowsValid.lowerBound - rows.lowerBound) * ow)
                    (row + (rowsValid.upperBound - rows.lowerBound) * ow).update(
                        repeating: 0, count: (rows.upperBound - rowsValid.upperBound) * ow)
                    for oy in rowsValid {
                        let rowBase = (oy * s - g.padding + ky) * g.width + kx - g.padding  // index of ox = 0, may be negative
                        let destination = row + (oy - rows.lowerBound) * ow
                        for ox in 0..<colsValid.lowerBound { destination[ox] = 0 }
                        for ox in colsValid.upperBound..<ow { destination[ox] = 0 }
                        RowKernels.gather(
                            from: source + (rowBase + colsValid.lowerBound * s), stride: s,
                            into: destination + colsValid.lowerBound, count: colsValid.count)
                    }
                }
            }
        }
    }

    /// Adds the full column matrix back into `image` (which the caller has zeroed or wants
    /// accumulated into), summing every window that covers a pixel.
    public static func fold(_ columns: UnsafePointer<Float>, into image: UnsafeMutablePointer<Float>, geometry g: ConvolutionGeometry) {
        let oh = g.outputHeight, ow = g.outputWidth, plane = g.height * g.width, s = g.stride
        for c in 0..<g.channels {
            let destination = image + c * plane
            for ky in 0..<g.kernelHeight {
                let rowsValid = g.validOutputs(offset: ky, extent: g.height, outputs: oh)
                for kx in 0..<g.kernelWidth {
                    let row = columns + ((c * g.kernelHeight + ky) * g.kernelWidth + kx) * oh * ow
                    let colsValid = g.validOutputs(offset: kx, extent: g.width, outputs: ow)
                    if colsValid.isEmpty { continue }
                    for oy in rowsValid {
                        let rowBase = (oy * s - g.padding + ky) * g.width + kx - g.padding  // index of ox = 0, may be negative
                        RowKernels.scatterAdd(
                            row + oy * ow + colsValid.lowerBound, into: destination + (rowBase + colsValid.lowerBound * s),
                            stride: s, count: colsValid.count)
                    }
                }
            }
        }
    }
}
