/// One RGB image: packed 8-bit RGB24 pixels, row-major, top row first, no row padding.
///
/// The neural-network side works in planar float32 `[3, H, W]` (CHW, values in [0, 1]);
/// ``planarFloat()`` and ``init(width:height:planarFloat:timestamp:index:)`` convert both ways.
/// Equality compares size, pixels, timestamp and index; compare ``rgb8`` for pixels only.
public struct Frame: Equatable, Sendable {
    /// Width in pixels.
    public let width: Int
    /// Height in pixels.
    public let height: Int
    /// Packed RGB24 pixels: `3 * width * height` bytes, pixel (x, y) at `3 * (y * width + x)`.
    public internal(set) var rgb8: [UInt8]
    /// Presentation time in seconds from the start of the input (0 for frames made in memory).
    public var timestamp: Double
    /// Position of the frame in its input, counting from 0 (0 for frames made in memory).
    public var index: Int
    /// The frame's thumbnail, when its reader makes them (``VideoReader/makeThumbnails(size:)``).
    public var thumbnail: Thumbnail?

    /// A frame from packed RGB24 bytes. Throws when `rgb8.count != 3 * width * height` or a size
    /// is not positive.
    public init(width: Int, height: Int, rgb8: [UInt8], timestamp: Double = 0, index: Int = 0) throws {
        guard width > 0, height > 0 else {
            throw VideoIOError.invalidArgument("frame size \(width)x\(height) must be positive")
        }
        guard rgb8.count == width * height * 3 else {
            throw VideoIOError.invalidArgument(
                "a \(width)x\(height) RGB24 frame needs \(width * height * 3) bytes, got \(rgb8.count)")
        }
        self.init(uncheckedWidth: width, height: height, rgb8: rgb8, timestamp: timestamp, index: index)
    }

    /// A frame filled with one colour. Throws when a size is not positive.
    public init(width: Int, height: Int, red: UInt8, green: UInt8, blue: UInt8) throws {
        guard width > 0, height > 0 else {
            throw VideoIOError.invalidArgument("frame size \(width)x\(height) must be positive")
        }
        var bytes = [UInt8](repeating: 0, count: width * height * 3)
        for i in stride(from: 0, to: bytes.count, by: 3) {
            bytes[i] = red; bytes[i + 1] = green; bytes[i + 2] = blue
        }
        self.init(uncheckedWidth: width, height: height, rgb8: bytes, timestamp: 0, index: 0)
    }

    /// A frame from planar float32 CHW data (`[3, height, width]`, values in [0, 1]; values
    /// outside are clamped, NaN becomes 0). Throws when the count does not match the size.
    public init(width: Int, height: Int, planarFloat: [Float], timestamp: Double = 0, index: Int = 0) throws {
        guard width > 0, height > 0 else {
            throw VideoIOError.invalidArgument("frame size \(width)x\(height) must be positive")
        }
        let plane = width * height
        guard planarFloat.count == 3 * plane else {
            throw VideoIOError.invalidArgument(
                "a \(width)x\(height) planar frame needs \(3 * plane) floats, got \(planarFloat.count)")
        }
        let bytes = [UInt8](unsafeUninitializedCapacity: 3 * plane) { out, count in
            planarFloat.withUnsafeBufferPointer { src in
                for c in 0..<3 {
                    let s = src.baseAddress! + c * plane
                    for i in 0..<plane {
                        out[3 * i + c] = UInt8(level: s[i])
                    }
                }
            }
            count = 3 * plane
        }
        self.init(uncheckedWidth: width, height: height, rgb8: bytes, timestamp: timestamp, index: index)
    }

    /// Internal initializer for buffers already known to be the right size.
    init(uncheckedWidth width: Int, height: Int, rgb8: [UInt8], timestamp: Double, index: Int) {
        self.width = width
        self.height = height
        self.rgb8 = rgb8
        self.timestamp = timestamp
        self.index = index
    }

    /// The pixel at (x, y) as (red, green, blue). Precondition: the coordinates are inside.
    public func pixel(x: Int, y: Int) -> (red: UInt8, green: UInt8, blue: UInt8) {
        precondition(x >= 0 && x < width && y >= 0 && y < height, "pixel (\(x), \(y)) outside \(width)x\(height)")
        let i = 3 * (y * width + x)
        return (rgb8[i], rgb8[i + 1], rgb8[i + 2])
    }

    /// The pixels as planar float32 CHW (`[3, height, width]`), values `byte / 255` in [0, 1].
    public func planarFloat() -> [Float] {
        let n = 3 * width * height
        return [Float](unsafeUninitializedCapacity: n) { buffer, count in
            writePlanarFloat(into: buffer.baseAddress!)
            count = n
        }
    }

    /// Writes the pixels as planar float32 CHW into a caller buffer (for filling a batch tensor
    /// without allocating). Throws when the buffer holds fewer than `3 * width * height` floats.
    public func writePlanarFloat(into buffer: UnsafeMutableBufferPointer<Float>) throws {
        guard let base = buffer.baseAddress, buffer.count >= 3 * width * height else {
            throw VideoIOError.invalidArgument(
                "planar buffer holds \(buffer.count) floats, need \(3 * width * height)")
        }
        writePlanarFloat(into: base)
    }

    private func writePlanarFloat(into out: UnsafeMutablePointer<Float>) {
        let plane = width * height
        let scale: Float = 1 / 255
        rgb8.withUnsafeBufferPointer { src in
            let s = src.baseAddress!
            for i in 0..<plane {
                out[i] = Float(s[3 * i]) * scale
                out[plane + i] = Float(s[3 * i + 1]) * scale
                out[2 * plane + i] = Float(s[3 * i + 2]) * scale
            }
        }
    }

    /// Calls `body` with the packed RGB24 bytes, without copying.
    public func withUnsafeRGB8<R>(_ body: (UnsafeBufferPointer<UInt8>) throws -> R) rethrows -> R {
        try rgb8.withUnsafeBufferPointer(body)
    }

    /// Peak signal-to-noise ratio in dB between two frames of the same size over all three
    /// channels (peak 255). Identical frames give `.infinity`. Throws on a size mismatch.
    public static func psnr(_ a: Frame, _ b: Frame) throws -> Double {
        guard a.width == b.width, a.height == b.height else {
            throw VideoIOError.frameSizeMismatch(expectedWidth: a.width, expectedHeight: a.height,
                                                 width: b.width, height: b.height)
        }
        var sum: Double = 0
        a.rgb8.withUnsafeBufferPointer { pa in
            b.rgb8.withUnsafeBufferPointer { pb in
                var partial: Int = 0
                for i in 0..<pa.count {
                    let d = Int(pa[i]) - Int(pb[i])
                    partial += d * d
                }
                sum = Double(partial)
            }
        }
        if sum == 0 { return .infinity }
        let mse = sum / Double(a.rgb8.count)
        return 10 * log10(255.0 * 255.0 / mse)
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
