#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Random access to frame pairs (t, t+k) for training, without decoding the video again.
///
/// The input is decoded **once**, streaming, at model resolution (through the same
/// libavfilter path as ``VideoReader``, including any user filter chain) into a compact
/// packed RGB24 store: `width × height × 3` bytes per frame (49 KB at 128×128, so 10 000
/// frames are 490 MB). The store is either in memory or — the default — in an unlinked
/// temporary file mapped with `mmap`, so the process's own heap stays flat however long the
/// input is and the kernel pages frames in and out as needed. Nothing is left on disk, even
/// after a crash (the file is unlinked as soon as it is created).
///
/// After initialisation the cache is read-only and safe to read from several threads.
public final class FramePairCache: @unchecked Sendable {
    /// Where decoded frames are kept.
    public enum Storage: Sendable {
        /// A growing in-memory buffer.
        case memory
        /// An unlinked temporary file in `directory` (nil: `$TMPDIR` or `/tmp`), memory-mapped.
        case temporaryFile(directory: String?)
    }

    /// The input path.
    public let path: String
    /// Frame width (model resolution).
    public let width: Int
    /// Frame height (model resolution).
    public let height: Int
    /// Number of cached frames.
    public let count: Int
    /// Frame rate of the cached frames (the input's rate divided by `frameStep`), when known.
    public let frameRate: Double?
    /// Timestamp in seconds of each cached frame.
    public let timestamps: [Double]
    /// Bytes of one frame (`width × height × 3`).
    public var bytesPerFrame: Int { width * height * 3 }

    private let base: UnsafeMutableRawPointer?
    private let mappedLength: Int
    private let isMapped: Bool

    /// Decodes `path` once into the cache.
    /// - Parameters:
    ///   - path: any input ``VideoReader`` opens.
    ///   - size: the model resolution.
    ///   - filter: a filter chain in `-vf` syntax applied before resizing.
    ///   - scaling: the resampling algorithm (area averaging by default, best for downscaling).
    ///   - frameStep: keep every `frameStep`-th decoded frame (1 keeps all).
    ///   - maxFrames: stop after this many cached frames.
    ///   - storage: where the frames are kept.
    /// - Throws: the errors of ``VideoReader``; `writeFailed` if the temporary file fails.
    public init(path: String, size: (width: Int, height: Int), filter: String? = nil,
                scaling: ScaleAlgorithm = .area, frameStep: Int = 1, maxFrames: Int? = nil,
                storage: Storage = .temporaryFile(directory: nil)) throws {
        guard frameStep >= 1 else { throw VideoIOError.invalidArgument("frameStep \(frameStep) must be ≥ 1") }
        if let m = maxFrames, m < 1 { throw VideoIOError.invalidArgument("maxFrames \(m) must be ≥ 1") }
        let reader = try VideoReader(path: path, size: size, filter: filter, scaling: scaling)
        self.path = path
        width = reader.width
        height = reader.height
        frameRate = reader.frameRate.map { $0 / Double(frameStep) }
        let frameBytes = reader.width * reader.height * 3
        var stamps: [Double] = []

        switch storage {
        case .memory:
            var capacity = max(1, min(reader.estimatedFrameCount.map { $0 / frameStep + 1 } ?? 64, maxFrames ?? Int.max))
            var buffer = UnsafeMutableRawPointer.allocate(byteCount: capacity * frameBytes, alignment: 64)
            var n = 0
            do {
                try FramePairCache.decode(reader, step: frameStep, limit: maxFrames) { frame in
                    if n == capacity {
                        let grown = UnsafeMutableRawPointer.allocate(byteCount: 2 * capacity * frameBytes, alignment: 64)
                        grown.copyMemory(from: buffer, byteCount: n * frameBytes)
                        buffer.deallocate()
                        buffer = grown
                        capacity *= 2
                    }
                    frame.withUnsafeRGB8 { src in
                        (buffer + n * frameBytes).copyMemory(from: src.baseAddress!, byteCount: frameBytes)
                    }
                    stamps.append(frame.timestamp)
                    n += 1
                }
            } catch {
                buffer.deallocate()
                throw error
            }
            base = buffer
            mappedLength = capacity * frameBytes
            isMapped = false
            count = n

        case .temporaryFile(let directory):
            let dir = directory ?? ProcessEnvironment.temporaryDirectory
            var template = Array("\(dir)/eqr-framecache-XXXXXX".utf8CString)
            let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
            if fd < 0 {
                let code = averrorFromErrno()
                throw VideoIOError.outputOpenFailed(path: dir, code: code, message: ffErrorString(code))
            }
            defer { close(fd) }
            // Unlinked at once: the data lives until the mapping goes, and nothing is left behind.
            template.withUnsafeBufferPointer { _ = unlink($0.baseAddress!) }
            var n = 0
            try FramePairCache.decode(reader, step: frameStep, limit: maxFrames) { frame in
                try frame.withUnsafeRGB8 { src in
                    var done = 0
                    while done < frameBytes {
                        let w = Glibc.write(fd, src.baseAddress! + done, frameBytes - done)
                        if w < 0 {
                            if errno == EINTR { continue }
                            let code = averrorFromErrno()
                            throw VideoIOError.writeFailed(path: dir, code: code, message: ffErrorString(code))
                        }
                        done += w
                    }
                }
                stamps.append(frame.timestamp)
                n += 1
            }
            let length = n * frameBytes
            guard let p = mmap(nil, length, PROT_READ, MAP_SHARED, fd, 0), p != MAP_FAILED else {
                let code = averrorFromErrno()
                throw VideoIOError.writeFailed(path: dir, code: code, message: ffErrorString(code))
            }
            base = p
            mappedLength = length
            isMapped = true
            count = n
        }
        timestamps = stamps
    }

    deinit {
        guard let p = base else { return }
        if isMapped { munmap(p, mappedLength) } else { p.deallocate() }
    }

    private static func decode(_ reader: VideoReader, step: Int, limit: Int?, _ store: (Frame) throws -> Void) throws {
        var decoded = 0
        var kept = 0
        while let frame = try reader.next() {
            defer { decoded += 1 }
            if decoded % step != 0 { continue }
            try store(frame)
            kept += 1
            if let l = limit, kept >= l { break }
        }
    }

    private func check(_ index: Int) throws {
        guard index >= 0, index < count else {
            throw VideoIOError.invalidArgument("frame index \(index) outside 0..<\(count)")
        }
    }

    /// Calls `body` with the packed RGB24 bytes of frame `index`, without copying.
    public func withFrameBytes<R>(at index: Int, _ body: (UnsafeBufferPointer<UInt8>) throws -> R) throws -> R {
        try check(index)
        let p = (base! + index * bytesPerFrame).assumingMemoryBound(to: UInt8.self)
        return try body(UnsafeBufferPointer(start: p, count: bytesPerFrame))
    }

    /// Frame `index` as a ``Frame`` (a copy).
    public func frame(at index: Int) throws -> Frame {
        try withFrameBytes(at: index) { bytes in
            Frame(uncheckedWidth: width, height: height, rgb8: Array(bytes), timestamp: timestamps[index], index: index)
        }
    }

    /// The pair (frame `t`, frame `t + offset`). `offset` may be negative.
    public func pair(at t: Int, offset: Int) throws -> (first: Frame, second: Frame) {
        try check(t)
        try check(t + offset)
        return (try frame(at: t), try frame(at: t + offset))
    }

    /// Writes frame `index` as planar float32 CHW in [0, 1] into a caller buffer of at least
    /// `3 × width × height` floats (for filling a batch tensor without allocating).
    public func writePlanarFloat(at index: Int, into buffer: UnsafeMutableBufferPointer<Float>) throws {
        let plane = width * height
        guard let out = buffer.baseAddress, buffer.count >= 3 * plane else {
            throw VideoIOError.invalidArgument("planar buffer holds \(buffer.count) floats, need \(3 * plane)")
        }
        try withFrameBytes(at: index) { s in
            let scale: Float = 1 / 255
            for i in 0..<plane {
                out[i] = Float(s[3 * i]) * scale
                out[plane + i] = Float(s[3 * i + 1]) * scale
                out[2 * plane + i] = Float(s[3 * i + 2]) * scale
            }
        }
    }

    /// How many pairs (t, t + offset) exist for a non-negative offset.
    public func pairCount(offset: Int) -> Int { max(0, count - abs(offset)) }
}

/// The process's temporary directory.
enum ProcessEnvironment {
    static var temporaryDirectory: String {
        if let p = getenv("TMPDIR"), p.pointee != 0 {
            var s = String(cString: p)
            while s.count > 1 && s.hasSuffix("/") { s.removeLast() }
            return s
        }
        return "/tmp"
    }
}
