import Tensors
import VideoIO

/// A full-resolution RGB image as three float planes in [0, 1], red first: the working
/// format of the layer compositor (frames, plates and backgrounds at the video's own size).
public struct PlanarImage: Equatable, Sendable {
    /// Width in pixels.
    public let width: Int
    /// Height in pixels.
    public let height: Int
    /// `3·width·height` values: the red plane, then green, then blue.
    public var values: [Float]

    /// An image from its planar values.
    /// - Precondition: `values.count == 3·width·height`.
    public init(width: Int, height: Int, values: [Float]) {
        precondition(width > 0 && height > 0 && values.count == 3 * width * height, "PlanarImage: \(values.count) values for \(width)x\(height)")
        self.width = width
        self.height = height
        self.values = values
    }

    /// A black image.
    public init(width: Int, height: Int) {
        self.init(width: width, height: height, values: [Float](repeating: 0, count: 3 * width * height))
    }

    /// An image from a frame's packed 8-bit RGB pixels (no resampling).
    public init(_ frame: Frame) {
        self.init(width: frame.width, height: frame.height, values: frame.planarFloat())
    }

    /// Pixels per plane.
    public var planeSize: Int { width * height }
}

/// One float plane (a matte, a coverage map) with its size.
public struct PlanarMask: Equatable, Sendable {
    /// Width in pixels.
    public let width: Int
    /// Height in pixels.
    public let height: Int
    /// `width·height` values, row by row.
    public var values: [Float]

    /// A plane from its values.
    /// - Precondition: `values.count == width·height`.
    public init(width: Int, height: Int, values: [Float]) {
        precondition(width > 0 && height > 0 && values.count == width * height, "PlanarMask: \(values.count) values for \(width)x\(height)")
        self.width = width
        self.height = height
        self.values = values
    }

    /// The plane resized to `width`×`height` by bilinear interpolation between pixel
    /// centres (edges clamped): how a model-resolution coverage map reaches the video's size.
    public func resized(width newWidth: Int, height newHeight: Int) -> PlanarMask {
        if newWidth == width && newHeight == height { return self }
        var out = [Float](unsafeUninitializedCapacity: newWidth * newHeight) { _, count in count = newWidth * newHeight }
        let sx = Float(width) / Float(newWidth), sy = Float(height) / Float(newHeight)
        // The horizontal taps are the same on every row: computed once.
        var left = [Int](repeating: 0, count: newWidth), right = left, weight = [Float](repeating: 0, count: newWidth)
        for x in 0..<newWidth {
            let fx = min(max((Float(x) + 0.5) * sx - 0.5, 0), Float(width - 1))
            left[x] = Int(fx)
            right[x] = min(left[x] + 1, width - 1)
            weight[x] = fx - Float(left[x])
        }
        let sourceWidth = width, sourceHeight = height
        // Every source row resized horizontally once, then each output row is a blend of two
        // of them (the same arithmetic as interpolating each output pixel from four taps, so
        // the same values, with a quarter of the gathers when upscaling 4×).
        var horizontal = [Float](unsafeUninitializedCapacity: sourceHeight * newWidth) { _, count in count = sourceHeight * newWidth }
        values.withUnsafeBufferPointer { v in
            horizontal.withUnsafeMutableBufferPointer { h in
                left.withUnsafeBufferPointer { x0s in
                    right.withUnsafeBufferPointer { x1s in
                        weight.withUnsafeBufferPointer { wxs in
                            let h = h
                            Parallel.forEach(sourceHeight) { y in
                                let source = v.baseAddress! + y * sourceWidth, row = h.baseAddress! + y * newWidth
                                for x in 0..<newWidth { row[x] = source[x0s[x]] * (1 - wxs[x]) + source[x1s[x]] * wxs[x] }
                            }
                        }
                    }
                }
            }
        }
        horizontal.withUnsafeBufferPointer { h in
            out.withUnsafeMutableBufferPointer { o in
                let o = o
                Parallel.forEach(newHeight) { y in
                    let fy = min(max((Float(y) + 0.5) * sy - 0.5, 0), Float(sourceHeight - 1))
                    let y0 = Int(fy), y1 = min(y0 + 1, sourceHeight - 1), wy = fy - Float(y0)
                    let upper = h.baseAddress! + y0 * newWidth, lower = h.baseAddress! + y1 * newWidth
                    let row = o.baseAddress! + y * newWidth
                    for x in 0..<newWidth { row[x] = upper[x] * (1 - wy) + lower[x] * wy }
                }
            }
        }
        return PlanarMask(width: newWidth, height: newHeight, values: out)
    }
}
