import Dispatch

/// Three 8-bit planes (green, blue, red: FFmpeg's `GBRP`) laid out the way libswscale wants:
/// rows 64-byte aligned and padding after each plane for its SIMD over-reads.
struct PaddedPlanes {
    var bytes: [UInt8] = []
    var stride = 0
    var width = 0
    var height = 0

    /// Bytes from one plane to the next.
    var planeBytes: Int { stride * height + 128 }

    /// The plane holding red (0), green (1) or blue (2): GBRP stores green, blue, red.
    static func plane(ofChannel channel: Int) -> Int { (channel + 2) % 3 }

    mutating func resize(width: Int, height: Int) {
        self.width = width
        self.height = height
        stride = (width + 63) / 64 * 64
        let needed = 3 * planeBytes
        if bytes.count != needed { bytes = [UInt8](repeating: 0, count: needed) }
    }

    /// Runs `row(y)` for every row, in two concurrent bands when the image is large enough to
    /// be worth it (each row is written by exactly one band).
    private static func inBands(of height: Int, _ row: (Int) -> Void) {
        guard height >= 64 else { return (0..<height).forEach(row) }
        withoutActuallyEscaping(row) { row in
            DispatchQueue.concurrentPerform(iterations: 2) { band in
                for y in (band * height / 2)..<((band + 1) * height / 2) { row(y) }
            }
        }
    }

    /// Splits a caller's packed RGB(A) rows (of this size) into the planes.
    mutating func split(_ image: PixelBuffer) {
        let step = image.layout.bytesPerPixel, stride = self.stride, planeBytes = self.planeBytes, width = self.width
        bytes.withUnsafeMutableBufferPointer { planes in
            let g = planes.baseAddress!, b = g + planeBytes, r = b + planeBytes
            Self.inBands(of: image.height) { y in
                let source = (image.base + y * image.stride).assumingMemoryBound(to: UInt8.self), row = y * stride
                for x in 0..<width {
                    r[row + x] = source[step * x]
                    g[row + x] = source[step * x + 1]
                    b[row + x] = source[step * x + 2]
                }
            }
        }
    }

    /// Joins the planes into a caller's packed RGB(A) rows (of this size); alpha is opaque.
    func join(into image: PixelBuffer) {
        let step = image.layout.bytesPerPixel, stride = self.stride, planeBytes = self.planeBytes, width = self.width
        let opaque = image.layout == .rgba8
        bytes.withUnsafeBufferPointer { planes in
            let g = planes.baseAddress!, b = g + planeBytes, r = b + planeBytes
            Self.inBands(of: image.height) { y in
                let target = (image.base + y * image.stride).assumingMemoryBound(to: UInt8.self), row = y * stride
                for x in 0..<width {
                    target[step * x] = r[row + x]
                    target[step * x + 1] = g[row + x]
                    target[step * x + 2] = b[row + x]
                    if opaque { target[step * x + 3] = 255 }
                }
            }
        }
    }
}
