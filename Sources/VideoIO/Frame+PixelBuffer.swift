extension Frame {
    /// A black frame of the given size, to be filled through ``withMutablePixelBuffer(_:)``.
    /// Throws when a size is not positive.
    public init(width: Int, height: Int, timestamp: Double = 0, index: Int = 0) throws {
        guard width > 0, height > 0 else {
            throw VideoIOError.invalidArgument("frame size \(width)x\(height) must be positive")
        }
        self.init(uncheckedWidth: width, height: height, rgb8: [UInt8](repeating: 0, count: 3 * width * height), timestamp: timestamp, index: index)
    }

    /// Calls `body` with the pixels as a read-only ``PixelBuffer`` (RGB24, no row padding),
    /// without copying. `body` must not write through the buffer.
    public func withPixelBuffer<R>(_ body: (PixelBuffer) throws -> R) rethrows -> R {
        try rgb8.withUnsafeBytes { bytes in
            try body(PixelBuffer(base: UnsafeMutableRawPointer(mutating: bytes.baseAddress!), width: width, height: height,
                                 stride: 3 * width, layout: .rgb8))
        }
    }

    /// Calls `body` with the pixels as a writable ``PixelBuffer`` (RGB24, no row padding).
    public mutating func withMutablePixelBuffer<R>(_ body: (PixelBuffer) throws -> R) rethrows -> R {
        let (width, height) = (self.width, self.height)
        return try rgb8.withUnsafeMutableBytes { bytes in
            try body(PixelBuffer(base: bytes.baseAddress!, width: width, height: height, stride: 3 * width, layout: .rgb8))
        }
    }
}
