import CFFmpeg
import Dispatch

/// Resizes caller-owned pixels to and from planar float model frames with libswscale
/// (bicubic). Keeps its swscale contexts and buffers between calls, so one scaler per
/// thread; not thread-safe.
///
/// Scaling runs on planar RGB (`GBRP`) on both sides: swscale resizes each colour plane on
/// its own, with no detour through subsampled YUV (which bled colour at the right edge of
/// odd widths) and on its fast planar paths (upscaling 64×64 to 640×480 took 3.7 ms into
/// packed RGB24, 0.8 ms into planar RGB). The three planes are scaled concurrently, each by
/// its own 8-bit grey context. libswscale reads and writes in SIMD blocks past the end of
/// rows, so it only ever touches the scaler's own padded planes; the caller's packed rows are
/// split into planes and joined back here (in row bands, concurrently).
public final class PixelScaler {
    /// One swscale context per plane, caller size → model size.
    private var inbound: [OpaquePointer?] = [nil, nil, nil]
    /// One swscale context per plane, model size → caller size.
    private var outbound: [OpaquePointer?] = [nil, nil, nil]
    /// Model size (planar RGB) → caller size in YUV 4:2:0, scaling and converting in one pass.
    private var outboundYUV: OpaquePointer?
    /// The caller-sized YUV 4:2:0 planes, padded for swscale.
    private var stagingYUV: [UInt8] = []
    /// The caller-sized planes.
    private var staging = PaddedPlanes()
    /// The model-sized planes.
    private var modelPlanes = PaddedPlanes()

    /// Creates a scaler.
    public init() {}

    private static let flags = Int32(SWS_BICUBIC | SWS_ACCURATE_RND)

    deinit {
        (inbound + outbound + [outboundYUV]).forEach { sws_freeContext($0) }
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
        guard image.layout != .yuv420p else { throw VideoIOError.invalidArgument("yuv420p is an output layout; pass RGB or RGBA pixels") }
        guard width > 0, height > 0, width <= 16384, height <= 16384 else {
            throw VideoIOError.invalidArgument("target size \(width)x\(height) is outside 1x1...16384x16384")
        }
        if width == image.width && height == image.height { return Self.planarFloat(unscaled: image) }
        staging.resize(width: image.width, height: image.height)
        modelPlanes.resize(width: width, height: height)
        staging.split(image)
        try Self.prepare(&inbound, from: (image.width, image.height), to: (width, height))
        Self.scale(inbound, from: &staging, to: &modelPlanes)
        let plane = width * height
        var planar = [Float](repeating: 0, count: 3 * plane)
        let stride = modelPlanes.stride, planeBytes = modelPlanes.planeBytes
        modelPlanes.bytes.withUnsafeBufferPointer { bytes in
            planar.withUnsafeMutableBufferPointer { out in
                for channel in 0..<3 {
                    let from = bytes.baseAddress! + PaddedPlanes.plane(ofChannel: channel) * planeBytes, to = out.baseAddress! + channel * plane
                    for y in 0..<height {
                        let row = from + y * stride, target = to + y * width
                        for x in 0..<width { target[x] = Float(row[x]) / 255 }
                    }
                }
            }
        }
        return planar
    }

    /// The image at its own size as planar RGB floats: one pass over its rows, in bands over
    /// the cores (the same values as a pass through swscale, which copies at equal sizes).
    private static func planarFloat(unscaled image: PixelBuffer) -> [Float] {
        let width = image.width, height = image.height, plane = width * height, step = image.layout.bytesPerPixel
        return [Float](unsafeUninitializedCapacity: 3 * plane) { buffer, count in
            let out = buffer.baseAddress!
            let bands = plane >= 1 << 16 ? 8 : 1
            DispatchQueue.concurrentPerform(iterations: bands) { band in
                for y in (height * band / bands)..<(height * (band + 1) / bands) {
                    let source = (image.base + y * image.stride).assumingMemoryBound(to: UInt8.self)
                    let red = out + y * width, green = red + plane, blue = green + plane
                    for x in 0..<width {
                        red[x] = Float(source[step * x]) / 255
                        green[x] = Float(source[step * x + 1]) / 255
                        blue[x] = Float(source[step * x + 2]) / 255
                    }
                }
            }
            count = 3 * plane
        }
    }

    /// Writes a `side`×`side` planar RGB frame (floats, clamped to [0, 1]) into `image`,
    /// resized to the image's size; alpha, when present, is set to opaque.
    /// - Throws: `invalidArgument` for a bad size, stride or plane count, `filterFailed` if swscale fails.
    public func write(planarFloat planar: [Float], side: Int, into image: PixelBuffer) throws {
        try write(planarFloat: planar, width: side, height: side, into: image)
    }

    /// Writes a `width`×`height` planar RGB image (floats, clamped to [0, 1]) into `image`,
    /// resized to the image's size (copied when the sizes match); alpha, when present, is set
    /// to opaque.
    /// - Throws: `invalidArgument` for a bad size, stride or plane count, `filterFailed` if swscale fails.
    public func write(planarFloat planar: [Float], width: Int, height: Int, into image: PixelBuffer) throws {
        try image.validate()
        let plane = width * height
        guard width > 0, height > 0, planar.count == 3 * plane else {
            throw VideoIOError.invalidArgument("expected \(3 * max(width, 0) * max(height, 0)) planar values for a \(width)x\(height) image, got \(planar.count)")
        }
        modelPlanes.resize(width: width, height: height)
        staging.resize(width: image.width, height: image.height)
        let stride = modelPlanes.stride, planeBytes = modelPlanes.planeBytes
        modelPlanes.bytes.withUnsafeMutableBufferPointer { bytes in
            planar.withUnsafeBufferPointer { values in
                let bytes = bytes
                // Rows in bands over the cores (a full-resolution frame is ~1 M values).
                let bands = plane >= 1 << 16 ? 3 * 8 : 3
                DispatchQueue.concurrentPerform(iterations: bands) { band in
                    let channel = band % 3, part = band / 3, parts = bands / 3
                    let from = values.baseAddress! + channel * plane, to = bytes.baseAddress! + PaddedPlanes.plane(ofChannel: channel) * planeBytes
                    for y in (height * part / parts)..<(height * (part + 1) / parts) {
                        let row = to + y * stride, source = from + y * width
                        for x in 0..<width { row[x] = UInt8(level: source[x]) }
                    }
                }
            }
        }
        if image.layout == .yuv420p { return try writeYUV(width: width, height: height, into: image) }
        if width == image.width && height == image.height {
            modelPlanes.join(into: image)
            return
        }
        try Self.prepare(&outbound, from: (width, height), to: (image.width, image.height))
        Self.scale(outbound, from: &modelPlanes, to: &staging)
        staging.join(into: image)
    }

    /// The model planes scaled and converted into a caller's YUV 4:2:0 buffer by one swscale
    /// context (into padded planes first, then copied).
    private func writeYUV(width: Int, height: Int, into image: PixelBuffer) throws {
        outboundYUV = sws_getCachedContext(outboundYUV, Int32(width), Int32(height), AV_PIX_FMT_GBRP, Int32(image.width), Int32(image.height),
                                           AV_PIX_FMT_YUV420P, Self.flags, nil, nil, nil)
        guard let context = outboundYUV else {
            throw VideoIOError.filterFailed(chain: "swscale gbrp \(width)x\(height) -> yuv420p \(image.width)x\(image.height)", code: EQR_AVERROR_EINVAL,
                                            message: "libswscale cannot convert between these sizes")
        }
        let targets = image.yuvPlanes
        let strides = targets.map { ($0.width + 63) / 64 * 64 }
        let offsets = [0, strides[0] * targets[0].height + 128, strides[0] * targets[0].height + 128 + strides[1] * targets[1].height + 128]
        let needed = offsets[2] + strides[2] * targets[2].height + 128
        if stagingYUV.count != needed { stagingYUV = [UInt8](repeating: 0, count: needed) }
        let sourceStride = Int32(modelPlanes.stride), sourcePlaneBytes = modelPlanes.planeBytes
        modelPlanes.bytes.withUnsafeBufferPointer { input in
            stagingYUV.withUnsafeMutableBufferPointer { output in
                var sourcePlanes: [UnsafePointer<UInt8>?] = (0..<3).map { input.baseAddress! + $0 * sourcePlaneBytes } + [nil]
                var sourceStrides: [Int32] = [sourceStride, sourceStride, sourceStride, 0]
                var destinationPlanes: [UnsafeMutablePointer<UInt8>?] = offsets.map { output.baseAddress! + $0 } + [nil]
                var destinationStrides: [Int32] = strides.map { Int32($0) } + [0]
                _ = sws_scale(context, &sourcePlanes, &sourceStrides, 0, Int32(height), &destinationPlanes, &destinationStrides)
                for (plane, target) in targets.enumerated() {
                    for y in 0..<target.height {
                        (target.base + y * target.stride).update(from: output.baseAddress! + offsets[plane] + y * strides[plane], count: target.width)
                    }
                }
            }
        }
    }

    /// Makes (or keeps) one grey-plane context per colour plane for these sizes.
    private static func prepare(_ contexts: inout [OpaquePointer?], from source: (Int, Int), to target: (Int, Int)) throws {
        for plane in 0..<3 {
            contexts[plane] = sws_getCachedContext(contexts[plane], Int32(source.0), Int32(source.1), AV_PIX_FMT_GRAY8,
                                                   Int32(target.0), Int32(target.1), AV_PIX_FMT_GRAY8, flags, nil, nil, nil)
            guard contexts[plane] != nil else {
                throw VideoIOError.filterFailed(chain: "swscale \(source.0)x\(source.1) -> \(target.0)x\(target.1)", code: EQR_AVERROR_EINVAL,
                                                message: "libswscale cannot convert between these sizes")
            }
        }
    }

    /// Scales the three planes concurrently, each with its own context.
    private static func scale(_ contexts: [OpaquePointer?], from source: inout PaddedPlanes, to destination: inout PaddedPlanes) {
        let sourceStride = Int32(source.stride), sourceHeight = Int32(source.height), destinationStride = Int32(destination.stride)
        let sourcePlaneBytes = source.planeBytes, destinationPlaneBytes = destination.planeBytes
        source.bytes.withUnsafeBufferPointer { input in
            destination.bytes.withUnsafeMutableBufferPointer { output in
                let inputBase = input.baseAddress!, outputBase = output.baseAddress!
                DispatchQueue.concurrentPerform(iterations: 3) { plane in
                    var sourcePlanes: [UnsafePointer<UInt8>?] = [inputBase + plane * sourcePlaneBytes, nil, nil, nil]
                    var sourceStrides: [Int32] = [sourceStride, 0, 0, 0]
                    var destinationPlanes: [UnsafeMutablePointer<UInt8>?] = [outputBase + plane * destinationPlaneBytes, nil, nil, nil]
                    var destinationStrides: [Int32] = [destinationStride, 0, 0, 0]
                    _ = sws_scale(contexts[plane], &sourcePlanes, &sourceStrides, 0, sourceHeight, &destinationPlanes, &destinationStrides)
                }
            }
        }
    }
}
