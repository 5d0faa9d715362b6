import CFFmpeg

/// How a caller's packed 8-bit pixels are laid out.
public enum PixelLayout: Sendable, Equatable {
    /// Four bytes per pixel: red, green, blue, alpha.
    case rgba8
    /// Three bytes per pixel: red, green, blue.
    case rgb8

    /// Bytes per pixel.
    public var bytesPerPixel: Int { self == .rgba8 ? 4 : 3 }

    var avFormat: AVPixelFormat { self == .rgba8 ? AV_PIX_FMT_RGBA : AV_PIX_FMT_RGB24 }
}

/// A caller-owned image: packed 8-bit pixels of any size and row stride, as C hosts and
/// frei0r plugins hand them over.
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
    /// memory (nothing is copied). Precondition: the rectangle lies inside the buffer.
    public func cropped(x: Int, y: Int, width: Int, height: Int) -> PixelBuffer {
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
}

/// Resizes caller-owned pixels to and from planar float model frames with libswscale
/// (bicubic). Keeps its swscale contexts between calls, so one
/// scaler per thread; not thread-safe.
///
/// libswscale reads and writes in SIMD blocks past the end of rows, so it only ever touches
/// the scaler's own padded buffers; the caller's rows are copied in and out.
public final class PixelScaler {
    private var inbound: OpaquePointer?
    private var outbound: OpaquePointer?
    private var staging = PaddedImage()
    private var modelImage = PaddedImage()

    /// Creates a scaler.
    public init() {}

    /// Bicubic, with chroma kept at full resolution on both sides: by default libswscale
    /// scales RGB through horizontally subsampled chroma, which bleeds colour at the right
    /// edge of odd widths (a flat image came back 13 levels off in its last columns).
    private static let flags = Int32(SWS_BICUBIC | SWS_FULL_CHR_H_INT | SWS_FULL_CHR_H_INP | SWS_ACCURATE_RND)

    deinit {
        sws_freeContext(inbound)
        sws_freeContext(outbound)
    }

    /// The image resized to `side`×`side`, as planar RGB floats in [0, 1] (`3·side·side`
    /// values, red plane first). Alpha is ignored.
    /// - Throws: `invalidArgument` for a bad size or stride, `filterFailed` if swscale fails.
    public func planarFloat(from image: PixelBuffer, side: Int) throws -> [Float] {
        try planarFloat(from: image, width: side, height: side)
    }

    /// The image resized to `width`×`height`, as planar RGB floats in [0, 1] (red plane
    /// first). Alpha is ignored.
    /// - Throws: `invalidArgument` for a bad size or stride, `filterFailed` if swscale fails.
    public func planarFloat(from image: PixelBuffer, width: Int, height: Int) throws -> [Float] {
        try image.validate()
        guard width > 0, height > 0, width <= 16384, height <= 16384 else {
            throw VideoIOError.invalidArgument("target size \(width)x\(height) is outside 1x1...16384x16384")
        }
        staging.resize(width: image.width, height: image.height, bytesPerPixel: image.layout.bytesPerPixel)
        modelImage.resize(width: width, height: height, bytesPerPixel: 3)
        let rowBytes = image.width * image.layout.bytesPerPixel, stagingStride = staging.stride
        staging.bytes.withUnsafeMutableBytes { destination in
            for y in 0..<image.height {
                (destination.baseAddress! + y * stagingStride).copyMemory(from: image.base + y * image.stride, byteCount: rowBytes)
            }
        }
        inbound = sws_getCachedContext(inbound, Int32(image.width), Int32(image.height), image.layout.avFormat,
                                       Int32(width), Int32(height), AV_PIX_FMT_RGB24, Self.flags, nil, nil, nil)
        guard let context = inbound else { throw scaleFailure(image.width, image.height, width, height) }
        Self.scale(context, from: &staging, to: &modelImage)
        let plane = width * height
        var planar = [Float](repeating: 0, count: 3 * plane)
        let modelStride = modelImage.stride
        modelImage.bytes.withUnsafeBufferPointer { bytes in
            for y in 0..<height {
                let row = y * modelStride
                for x in 0..<width {
                    let i = y * width + x, p = row + 3 * x
                    planar[i] = Float(bytes[p]) / 255
                    planar[plane + i] = Float(bytes[p + 1]) / 255
                    planar[2 * plane + i] = Float(bytes[p + 2]) / 255
                }
            }
        }
        return planar
    }

    /// Writes a `side`×`side` planar RGB frame (floats, clamped to [0, 1]) into `image`,
    /// resized to the image's size; alpha, when present, is set to opaque.
    /// - Throws: `invalidArgument` for a bad size, stride or plane count, `filterFailed` if swscale fails.
    public func write(planarFloat planar: [Float], side: Int, into image: PixelBuffer) throws {
        try image.validate()
        let plane = side * side
        guard side > 0, planar.count == 3 * plane else {
            throw VideoIOError.invalidArgument("expected \(3 * max(side, 0) * max(side, 0)) planar values for a \(side)x\(side) frame, got \(planar.count)")
        }
        modelImage.resize(width: side, height: side, bytesPerPixel: 3)
        staging.resize(width: image.width, height: image.height, bytesPerPixel: image.layout.bytesPerPixel)
        let modelStride = modelImage.stride
        modelImage.bytes.withUnsafeMutableBufferPointer { bytes in
            for y in 0..<side {
                for x in 0..<side {
                    for c in 0..<3 {
                        let v = planar[c * plane + y * side + x]
                        bytes[y * modelStride + 3 * x + c] = UInt8((v.isNaN ? 0 : min(max(v, 0), 1)) * 255 + 0.5)
                    }
                }
            }
        }
        outbound = sws_getCachedContext(outbound, Int32(side), Int32(side), AV_PIX_FMT_RGB24,
                                        Int32(image.width), Int32(image.height), image.layout.avFormat, Self.flags, nil, nil, nil)
        guard let context = outbound else { throw scaleFailure(side, side, image.width, image.height) }
        Self.scale(context, from: &modelImage, to: &staging)
        let rowBytes = image.width * image.layout.bytesPerPixel, stagingStride = staging.stride
        staging.bytes.withUnsafeBytes { source in
            for y in 0..<image.height {
                let row = image.base + y * image.stride
                row.copyMemory(from: source.baseAddress! + y * stagingStride, byteCount: rowBytes)
                if image.layout == .rgba8 {
                    let pixels = row.assumingMemoryBound(to: UInt8.self)
                    for x in 0..<image.width { pixels[4 * x + 3] = 255 }
                }
            }
        }
    }

    private static func scale(_ context: OpaquePointer, from source: inout PaddedImage, to destination: inout PaddedImage) {
        let sourceStride = source.stride, sourceHeight = source.height, destinationStride = destination.stride
        source.bytes.withUnsafeBufferPointer { input in
            destination.bytes.withUnsafeMutableBufferPointer { output in
                var sourcePlanes: [UnsafePointer<UInt8>?] = [input.baseAddress, nil, nil, nil]
                var sourceStrides: [Int32] = [Int32(sourceStride), 0, 0, 0]
                var destinationPlanes: [UnsafeMutablePointer<UInt8>?] = [output.baseAddress, nil, nil, nil]
                var destinationStrides: [Int32] = [Int32(destinationStride), 0, 0, 0]
                _ = sws_scale(context, &sourcePlanes, &sourceStrides, 0, Int32(sourceHeight), &destinationPlanes, &destinationStrides)
            }
        }
    }

    private func scaleFailure(_ w: Int, _ h: Int, _ w2: Int, _ h2: Int) -> VideoIOError {
        .filterFailed(chain: "swscale \(w)x\(h) -> \(w2)x\(h2)", code: EQR_AVERROR_EINVAL, message: "libswscale cannot convert between these sizes")
    }
}

/// A packed image in a buffer laid out the way libswscale wants: rows 64-byte aligned and
/// padding after the last row for its SIMD over-reads.
struct PaddedImage {
    var bytes: [UInt8] = []
    var stride = 0
    var height = 0

    mutating func resize(width: Int, height: Int, bytesPerPixel: Int) {
        stride = (width * bytesPerPixel + 63) / 64 * 64
        self.height = height
        let needed = stride * height + 128
        if bytes.count != needed { bytes = [UInt8](repeating: 0, count: needed) }
    }
}
