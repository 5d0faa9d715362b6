/// A caller-owned image: 8-bit pixels of any size and row stride, packed RGB(A) as C hosts
/// and frei0r plugins hand them over, or planar YUV 4:2:0 for an encoder (see ``PixelLayout``).
public struct PixelBuffer {
    /// The first byte of the top row.
    public var base: UnsafeMutableRawPointer
    /// Width in pixels.
    public var width: Int
    /// Height in pixels.
    public var height: Int
    /// Bytes from one row to the next (at least `width × bytesPerPixel`).
    public var stride: Int
    /// The pixel layout.
    public var layout: PixelLayout

    /// Describes a buffer; nothing is copied.
    public init(base: UnsafeMutableRawPointer, width: Int, height: Int, stride: Int, layout: PixelLayout) {
        self.base = base
        self.width = width
        self.height = height
        self.stride = stride
        self.layout = layout
    }

    /// The `width`×`height` rectangle whose top-left pixel is (x, y), sharing this buffer's
    /// memory (nothing is copied). Precondition: a packed layout, the rectangle inside.
    public func cropped(x: Int, y: Int, width: Int, height: Int) -> PixelBuffer {
        precondition(layout != .yuv420p, "PixelBuffer.cropped: only packed layouts")
        precondition(x >= 0 && y >= 0 && width > 0 && height > 0 && x + width <= self.width && y + height <= self.height,
                     "PixelBuffer.cropped: \(width)x\(height)+\(x)+\(y) is outside \(self.width)x\(self.height)")
        return PixelBuffer(base: base + y * stride + x * layout.bytesPerPixel, width: width, height: height, stride: stride, layout: layout)
    }

    /// Throws `invalidArgument` unless the size and stride describe a real image.
    public func validate() throws {
        guard width > 0, height > 0, width <= 16384, height <= 16384 else {
            throw VideoIOError.invalidArgument("image size \(width)x\(height) is outside 1x1...16384x16384")
        }
        guard stride >= width * layout.bytesPerPixel, stride <= 1 << 20 else {
            throw VideoIOError.invalidArgument("row stride \(stride) is smaller than width × \(layout.bytesPerPixel) = \(width * layout.bytesPerPixel) bytes")
        }
    }

    /// The three planes of a `yuv420p` buffer: Y, U, V with their strides and sizes.
    var yuvPlanes: [(base: UnsafeMutablePointer<UInt8>, stride: Int, width: Int, height: Int)] {
        let chromaStride = (stride + 1) / 2, chromaWidth = (width + 1) / 2, chromaHeight = (height + 1) / 2
        let y = base.assumingMemoryBound(to: UInt8.self), u = y + stride * height, v = u + chromaStride * chromaHeight
        return [(y, stride, width, height), (u, chromaStride, chromaWidth, chromaHeight), (v, chromaStride, chromaWidth, chromaHeight)]
    }
}
